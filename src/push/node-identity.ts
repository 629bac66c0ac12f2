/**
 * One node identity (job, role, instance) is one group in the gateway, and a group has room for one writer:
 * two processes pushing it replace each other's values at every push (a counter reads 14000, then 19), and
 * both see their pushes succeed. Three guards:
 *
 * - in one thread, a second start of a live identity is refused (`claimIdentity`);
 * - across the worker threads of one process, which cannot see each other's registry, the claim is
 *   announced and two threads on one identity are both told within milliseconds (src/push/thread-claims.ts);
 * - across processes, every node publishes a random `persia_node_incarnation` and, during its first
 *   intervals, reads back what the gateway holds for its own group a little after its own push. Another
 *   incarnation there means another writer. The gateway has no per-group read (GET of a group path answers
 *   405), so a read scans the gateway's `/metrics` text as it streams and stops at this node's line or at
 *   READ_CAP_BYTES; a gateway larger than that is left to the `PersiaDuplicateNodeIdentity` alert, which
 *   sees the stored incarnation flip (src/monitoring/alert-rules.ts), and this node stops reading it.
 */
import { Agent, request } from 'undici';
import { DuplicateIdentityError } from '../errors.js';
import { escapeLabelValue } from '../metrics/exposition-format.js';
import type { GroupingKey } from './grouping-key.js';
import { announceClaim } from './thread-claims.js';
import { unrefConnector } from './transport.js';

/** Pushes after which the node reads its group back: a few in its first intervals, then never. */
const CHECK_AFTER_PUSHES: ReadonlySet<number> = new Set([2, 3, 4, 5, 6, 8, 10, 12, 16, 20, 24, 32]);
/** Bytes of the gateway's /metrics a check reads at most (about 70 default nodes' worth). */
const READ_CAP_BYTES = 1 << 20;

/** Shared by every copy of this library loaded in the thread (a bundle may hold its own); each thread has its own. */
const LIVE_KEY = Symbol.for('persia-metrics.live-identities');
const liveIdentities: Set<string> =
  ((globalThis as Record<symbol, unknown>)[LIVE_KEY] as Set<string> | undefined) ?? ((globalThis as Record<symbol, unknown>)[LIVE_KEY] = new Set<string>());

/**
 * Mark the identity `groupingPath` (job, role, instance) as pushed by this thread; returns its release.
 * Throws DuplicateIdentityError when it is already live here, whatever gateway address each start names:
 * `127.0.0.1:9091`, `http://127.0.0.1:9091/` and `localhost:9091` are one gateway, and no process has a
 * reason to push one node's group twice. Another thread of the process on the same identity cannot be
 * refused now: `onOtherThread` hears of it (with that thread's id) within milliseconds instead.
 */
export function claimIdentity(groupingPath: string, onOtherThread: (otherThread: number) => void = () => {}): () => void {
  const key = groupingPath;
  if (liveIdentities.has(key)) throw new DuplicateIdentityError(groupingPath);
  liveIdentities.add(key);
  const withdraw = announceClaim(key, onOtherThread);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    liveIdentities.delete(key);
    withdraw();
  };
}

/** A random incarnation, exact as a float64 and in every exposition format. */
export function drawIncarnation(): number {
  return Math.floor(Math.random() * 2 ** 48) + 1;
}

/** What a read of the gateway found for this node's group. */
export type StoredIncarnation = { readonly kind: 'found'; readonly value: number } | { readonly kind: 'absent' } | { readonly kind: 'too_large' };

export interface IdentityWatchOptions {
  readonly incarnation: number;
  readonly intervalSeconds: number;
  readonly read: () => Promise<StoredIncarnation>;
  /** Called once, when another incarnation is found in this node's group. */
  readonly onDuplicate: (stored: number) => void;
  /** Called once, when the gateway is too large to read back: the alert is then the only guard. */
  readonly onTooLarge?: () => void;
}

export class IdentityWatch {
  private pushes = 0;
  private timer: NodeJS.Timeout | undefined;
  private done = false;

  constructor(private readonly options: IdentityWatchOptions) {}

  /** Call after each successful push of the group. */
  afterPush(): void {
    this.pushes += 1;
    if (this.done || this.timer !== undefined || !CHECK_AFTER_PUSHES.has(this.pushes)) return;
    // Somewhere inside the interval, not at a fixed phase: another writer's push then falls between ours
    // and the read on about every other check, whatever the two nodes' phases are.
    const delay = this.options.intervalSeconds * (0.2 + 0.6 * Math.random());
    this.timer = setTimeout(() => void this.check(), delay * 1000);
    this.timer.unref();
  }

  stop(): void {
    this.done = true;
    clearTimeout(this.timer);
  }

  private async check(): Promise<void> {
    this.timer = undefined;
    let stored: StoredIncarnation;
    try {
      stored = await this.options.read();
    } catch {
      return; // a failed read says nothing about identities; the push path reports gateway trouble
    }
    if (this.done) return;
    if (stored.kind === 'too_large') {
      this.done = true;
      this.options.onTooLarge?.();
    } else if (stored.kind === 'found' && stored.value !== this.options.incarnation) {
      this.done = true;
      this.options.onDuplicate(stored.value);
    }
  }
}

export interface GroupReadOptions {
  readonly key: GroupingKey;
  readonly timeoutSeconds: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly connect?: Readonly<Record<string, unknown>>;
}

/** Scan `<baseUrl>/metrics` for the stored `persia_node_incarnation` of this node's group. */
export async function readStoredIncarnation(baseUrl: string, options: GroupReadOptions): Promise<StoredIncarnation> {
  // The gateway writes a series' labels sorted by name, escaped as the text format escapes them.
  const { job, role, instance } = options.key;
  const prefix = `persia_node_incarnation{instance="${escapeLabelValue(instance)}",job="${escapeLabelValue(job)}",role="${escapeLabelValue(role)}"} `;
  // Sockets that never hold the process: a read-back in flight must not keep a finished program alive.
  const agent = new Agent({ connect: unrefConnector({ timeout: options.timeoutSeconds * 1000, ...options.connect }) });
  try {
    const response = await request(`${baseUrl}/metrics`, {
      method: 'GET',
      headers: { ...options.headers },
      dispatcher: agent,
      signal: AbortSignal.timeout(options.timeoutSeconds * 1000),
    });
    if (response.statusCode !== 200) {
      await response.body.dump();
      throw new Error(`GET ${baseUrl}/metrics answered ${response.statusCode}`);
    }
    let read = 0;
    let pending = '';
    for await (const chunk of response.body) {
      const text = pending + (chunk as Buffer).toString('utf8');
      read += (chunk as Buffer).length;
      const lines = text.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (line.startsWith(prefix)) return found(response.body, Number(line.slice(prefix.length)));
      }
      if (read > READ_CAP_BYTES) {
        response.body.destroy();
        return { kind: 'too_large' };
      }
    }
    return pending.startsWith(prefix) ? { kind: 'found', value: Number(pending.slice(prefix.length)) } : { kind: 'absent' };
  } finally {
    await agent.destroy().catch(() => {});
  }
}

function found(body: { destroy(): unknown }, value: number): StoredIncarnation {
  body.destroy(); // the rest of the gateway's page is not needed
  return Number.isFinite(value) ? { kind: 'found', value } : { kind: 'absent' };
}
