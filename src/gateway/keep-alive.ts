/**
 * Keeps the process alive while an explicit call (`flush()`, `shutdown()`) is pending.
 *
 * Every timer and socket of the push loop is unref'd so that background ticks never keep a finished
 * training program alive. But a program that awaits `flush()` while nothing else holds the event loop (an
 * epoch loop between two checkpoints) would then simply end during a retry backoff, a request or shutdown's
 * deadline: the promise never settles, the user's catch block and later epochs never run, exit 0 (13 under
 * top-level await). One ref'd handle held for as long as any explicit call is pending covers every await
 * inside it at once, whatever timer or socket it waits on.
 */

/** A timer that never fires in practice: it exists only to be a ref'd handle. */
const FOREVER_MS = 2 ** 31 - 1;

export class KeepAlive {
  private pending = 0;
  private handle: NodeJS.Timeout | undefined;

  /** Runs `call`, keeping the process alive until the promise it returns settles. */
  async during<T>(call: () => Promise<T>): Promise<T> {
    this.hold();
    try {
      return await call();
    } finally {
      this.release();
    }
  }

  /** Whether an explicit call currently holds the process (for tests). */
  get holding(): boolean {
    return this.handle !== undefined;
  }

  private hold(): void {
    this.pending += 1;
    this.handle ??= setInterval(() => {}, FOREVER_MS);
  }

  private release(): void {
    this.pending -= 1;
    if (this.pending > 0) return;
    clearInterval(this.handle);
    this.handle = undefined;
  }
}
