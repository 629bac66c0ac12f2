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

/** One request's share: `take` counts bytes held until the response closes; false when the total would pass the bound. */
export interface BudgetShare {
  take(bytes: number): boolean;
}

export class ViewBusy extends Error {}

export class ViewBudget {
  private inFlight = 0;
  private buffered = 0;

  constructor(
    private readonly maxInFlight = MAX_REQUESTS_IN_FLIGHT,
    private readonly maxBytes = MAX_BUFFERED_BYTES,
  ) {}

  /** A share for the request answered by `response`, or undefined when maxInFlight requests hold one. */
  admit(response: ServerResponse): BudgetShare | undefined {
    if (this.inFlight >= this.maxInFlight) return undefined;
    this.inFlight += 1;
    let held = 0;
    response.once('close', () => {
      this.inFlight -= 1;
      this.buffered -= held;
    });
    return {
      take: (bytes) => {
        if (this.buffered + bytes > this.maxBytes) return false;
        this.buffered += bytes;
        held += bytes;
        return true;
      },
    };
  }
}
