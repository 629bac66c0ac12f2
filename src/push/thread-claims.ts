/**
 * Worker threads of one process share its pid and its environment (each worker gets a copy of
 * process.env), so nodes started in two threads can name one identity: the process's REPLICA_INDEX or
 * PERSIA_METRICS_INSTANCE, or the same options. Each thread has its own globalThis, so the registry that
 * refuses a second start (src/push/node-identity.ts) sees only its own thread's nodes, and nothing else is
 * shared between threads synchronously by default: a claim cannot be refused at once across threads.
 *
 * So each claim is announced on a BroadcastChannel (one per process, across its threads). A thread that
 * holds the announced identity answers; both the holder (on the announcement) and the newcomer (on the
 * answer) are told, within milliseconds as long as their event loops turn. Either side's channel may have
 * opened after the other's announcement, but the holder's is open while it holds, so the newcomer's
 * announcement always reaches it.
 */
import { BroadcastChannel, isMainThread, threadId } from 'node:worker_threads';

const CHANNEL_NAME = 'persia-metrics.identity-claims.v1';

interface ClaimMessage {
  /** `claim`: a thread starts pushing `path`; `held`: the answer of a thread that already pushes it. */
  readonly kind: 'claim' | 'held';
  readonly path: string;
  readonly thread: number;
}

/** Identities this thread holds, each with whom to tell about another thread on it. */
const held = new Map<string, (otherThread: number) => void>();
let channel: BroadcastChannel | undefined;

/**
 * Announce that this thread pushes `path`; `onOtherThread` is called (with that thread's id) for every
 * other thread of the process found holding or claiming it while this claim is live. Returns the withdrawal.
 */
export function announceClaim(path: string, onOtherThread: (otherThread: number) => void): () => void {
  held.set(path, onOtherThread);
  post({ kind: 'claim', path, thread: threadId });
  return () => {
    if (held.get(path) !== onOtherThread) return;
    held.delete(path);
    if (held.size === 0) {
      channel?.close();
      channel = undefined;
    }
  };
}

/** "the main thread" or "worker thread <id>", as `threadId` numbers them. */
export function describeThread(id: number): string {
  return id === 0 ? 'the main thread' : `worker thread ${id}`;
}

/** This thread, described as `describeThread` does. */
export function currentThread(): string {
  return describeThread(isMainThread ? 0 : threadId);
}

function post(message: ClaimMessage): void {
  if (channel === undefined) {
    channel = new BroadcastChannel(CHANNEL_NAME);
    channel.onmessage = (event) => receive(event.data);
    // Never what keeps a thread alive: a finished program ends though a node's claim is still live.
    (channel as unknown as { unref(): void }).unref();
  }
  channel.postMessage(message);
}

function receive(data: unknown): void {
  if (!isClaimMessage(data) || data.thread === threadId) return; // another copy of the library in this thread: its own registry refuses
  const listener = held.get(data.path);
  if (listener === undefined) return;
  if (data.kind === 'claim') post({ kind: 'held', path: data.path, thread: threadId });
  listener(data.thread);
}

function isClaimMessage(data: unknown): data is ClaimMessage {
  if (typeof data !== 'object' || data === null) return false;
  const message = data as Record<string, unknown>;
  return (message['kind'] === 'claim' || message['kind'] === 'held') && typeof message['path'] === 'string' && typeof message['thread'] === 'number';
}
