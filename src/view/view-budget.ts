/**
 * What the view holds for its clients at once. Every answer of Prometheus is read whole before it is
 * forwarded (so that a too-large or refused one becomes a clear error, not a cut-off page), and a client
 * that reads slowly keeps that answer in memory until its socket drains: without a bound, 30 slow clients
 * grew the view to 944 MiB. Requests that reach Prometheus take a slot, and each byte they hold counts,
 * until their response is closed (sent, or the client gone); past either bound the answer is a 503.
 */
import type { ServerResponse } from 'node:http';

/** Requests to Prometheus in flight at once (the page makes about a dozen per refresh). */
export const MAX_REQUESTS_IN_FLIGHT = 32;
/** Bytes of Prometheus's answers held at once, for all clients together. */
export const MAX_BUFFERED_BYTES = 64 * 1024 * 1024;

/** One request's share of the budget, from its admission until its response closes. */
export interface BudgetShare {
  /** Counts `bytes` more as held; false when they do not fit (the request must give up: a 503). */
  take(bytes: number): boolean;
  /** The answer is read whole: what it holds is no longer given up for an older request's. */
  done(): void;
  /** Aborted when an older request needs the bytes this one holds while still reading. */
  readonly signal: AbortSignal;
}

/** Thrown where a request gives up its share (it answers 503). */
export class ViewBusy extends Error {}

interface Holder {
  held: number;
  reading: boolean;
  readonly controller: AbortController;
}

export class ViewBudget {
  /** In the order they were admitted. */
  private readonly holders: Holder[] = [];
  private buffered = 0;

  constructor(
    private readonly maxInFlight = MAX_REQUESTS_IN_FLIGHT,
    private readonly maxBytes = MAX_BUFFERED_BYTES,
  ) {}

  /** A share for the request answered by `response`, or undefined when maxInFlight requests hold one. */
  admit(response: ServerResponse): BudgetShare | undefined {
    if (this.holders.length >= this.maxInFlight) return undefined;
    const holder: Holder = { held: 0, reading: true, controller: new AbortController() };
    this.holders.push(holder);
    response.once('close', () => {
      this.holders.splice(this.holders.indexOf(holder), 1);
      this.release(holder);
    });
    return {
      take: (bytes) => this.take(holder, bytes),
      done: () => void (holder.reading = false),
      signal: holder.controller.signal,
    };
  }

  /**
   * Many large answers read at once would each pass the bound part-way and all fail: the oldest requests
   * go on, and the youngest still reading give theirs up (their fetch is aborted, their memory freed).
   */
  private take(holder: Holder, bytes: number): boolean {
    if (holder.controller.signal.aborted) return false;
    while (this.buffered + bytes > this.maxBytes) {
      const younger = this.holders.slice(this.holders.indexOf(holder) + 1);
      const victim = younger.reverse().find((other) => other.reading && other.held > 0 && !other.controller.signal.aborted);
      if (victim === undefined) return false;
      this.release(victim);
      victim.controller.abort();
    }
    this.buffered += bytes;
    holder.held += bytes;
    return true;
  }

  private release(holder: Holder): void {
    this.buffered -= holder.held;
    holder.held = 0;
  }
}
