/**
 * How long a push's extra sources are waited for once shutdown began (pusher.ts). A scrape of a slow
 * endpoint would otherwise take the whole push timeout, as long as the usual shutdown deadline, and the
 * final push (the node's `stopping` state) would miss it. Each body is built with a signal that stops
 * waiting for its sources (push-body.ts); once shutdown began, it is aborted at SOURCES_SHARE_OF_SHUTDOWN of
 * what is left of the deadline, and the rest is the PUT's. A push in flight at the signal gets this share of
 * the deadline, and the final push this share of what that left.
 */

const SOURCES_SHARE_OF_SHUTDOWN = 0.5;

export class ShutdownSourceCuts {
  /** Bodies being built, by the controller that stops waiting for their extra sources, with its timer once set. */
  private readonly cuts = new Map<AbortController, NodeJS.Timeout | undefined>();
  /** When shutdown's deadline passes (ms since the epoch), once shutdown began. */
  private deadlineMs: number | undefined;

  /** Builds a body with the signal that stops waiting for its extra sources (aborted only once shutdown began). */
  async build<T>(build: (cut: AbortSignal) => Promise<T> | T): Promise<T> {
    const cut = new AbortController();
    this.cuts.set(cut, undefined);
    if (this.deadlineMs !== undefined) this.cutSoon(cut);
    try {
      return await build(cut.signal);
    } finally {
      clearTimeout(this.cuts.get(cut));
      this.cuts.delete(cut);
    }
  }

  /** Shutdown began, its deadline at `deadlineMs`: the bodies being built now, and any built later, get their share of what is left. */
  shutdownBegan(deadlineMs: number): void {
    this.deadlineMs = deadlineMs;
    for (const cut of this.cuts.keys()) this.cutSoon(cut);
  }

  /** Stops waiting for the extra sources of `cut`'s body at their share of what is left of shutdown's deadline. */
  private cutSoon(cut: AbortController): void {
    const leftMs = Math.max(0, (this.deadlineMs ?? Date.now()) - Date.now());
    const shareMs = Math.floor(leftMs * SOURCES_SHARE_OF_SHUTDOWN);
    const reason = `within ${shareMs / 1000} s (the share of what was left of the shutdown deadline a push's sources get, so that the final push goes in time)`;
    const timer = setTimeout(() => cut.abort(reason), shareMs);
    timer.unref(); // shutdown() holds the process while it runs (src/gateway/keep-alive.ts)
    this.cuts.set(cut, timer);
  }
}
