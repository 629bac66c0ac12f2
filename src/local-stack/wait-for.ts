import { setTimeout as sleep } from 'node:timers/promises';

export interface WaitForOptions {
  /** Upper bound for the whole wait; one attempt started before the deadline may finish after it. */
  timeoutMs: number;
  /** Pause between attempts. */
  intervalMs: number;
  /** Human description for the timeout error, e.g. "pushgateway on 127.0.0.1:9091 to be ready". */
  what: string;
  /** Extra context appended to the timeout error (last result, last error, process output, ...). */
  details?: () => string;
}

/**
 * The one polling loop of the test helpers: calls `fn` until it returns something other than
 * `undefined` or `false`, and returns that value.
 *
 * Errors thrown by `fn` end the wait at once: a caller that expects transient failures (connection
 * refused while a server starts) catches them itself and returns `undefined`, so that real bugs
 * (a bad PromQL query, a crashed child) fail fast instead of after the whole timeout.
 */
export async function waitFor<T>(fn: () => Promise<T | undefined | false>, options: WaitForOptions): Promise<T> {
  const started = Date.now();
  const deadline = started + options.timeoutMs;
  let attempts = 0;
  for (;;) {
    attempts += 1;
    const result = await fn();
    if (result !== undefined && result !== false) return result;
    const remaining = deadline - Date.now();
    if (remaining <= 0) break;
    await sleep(Math.min(options.intervalMs, remaining));
  }
  const extra = options.details?.();
  throw new Error(`Timed out after ${Date.now() - started} ms (${attempts} attempts) waiting for ${options.what}` + (extra ? `\n${extra}` : ''));
}
