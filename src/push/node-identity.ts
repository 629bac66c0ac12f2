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
 *   405), so a read scans the gateway's `/metrics` text as it streams (GatewayClient.scanMetrics) and
 *   stops at this node's line or at READ_CAP_BYTES; a gateway larger than that is left to the
 *   `PersiaDuplicateNodeIdentity` alert, which sees the stored incarnation flip (src/monitoring/alert-rules.ts),
 *   and this node stops reading it.
 */
import { DuplicateIdentityError } from '../errors.js';
import { GatewayClient } from '../gateway/client.js';
import type { GatewayEndpoint } from '../gateway/endpoint.js';
import { escapeLabelValue } from '../metrics/exposition-format.js';
import type { GroupingKey } from './grouping-key.js';
import { announceClaim } from './thread-claims.js';

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

/**
 * Scan the gateway's `/metrics` for the stored `persia_node_incarnation` of this node's group, through the
 * gateway client (its deadline, credentials and TLS are the endpoint's: the same as the node's pushes).
 */
export async function readStoredIncarnation(endpoint: GatewayEndpoint, key: GroupingKey): Promise<StoredIncarnation> {
  // The gateway writes a series' labels sorted by name, escaped as the text format escapes them.
  const { job, role, instance } = key;
  const prefix = `persia_node_incarnation{instance="${escapeLabelValue(instance)}",job="${escapeLabelValue(job)}",role="${escapeLabelValue(role)}"} `;
  // Sockets that never hold the process: a read-back in flight must not keep a finished program alive.
  const client = new GatewayClient(endpoint, { background: true });
  let value: number | undefined;
  try {
    const end = await client.scanMetrics((line) => {
      if (!line.startsWith(prefix)) return false;
      value = Number(line.slice(prefix.length));
      return true;
    }, READ_CAP_BYTES);
    if (end === 'too_large') return { kind: 'too_large' };
    return value !== undefined && Number.isFinite(value) ? { kind: 'found', value } : { kind: 'absent' };
  } finally {
    await client.destroy();
  }
}
