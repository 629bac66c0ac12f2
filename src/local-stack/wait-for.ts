import { setTimeout as sleep } from 'node:timers/promises';

export interface WaitForOptions {
  /** Upper bound for the whole wait; one attempt started before the deadline may finish after it. Default 10 000. */
  timeoutMs?: number;
  /** Pause between attempts. Default 100. */
  intervalMs?: number;
  /** Human description for the timeout error, e.g. "pushgateway on 127.0.0.1:9091 to be ready". */
  what?: string;
  /** Extra context appended to the timeout error (last result, last error, process output, ...). */
  details?: () => string;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_INTERVAL_MS = 100;

/**
 * The one polling loop of the test helpers: calls `fn` until it returns something other than
 * `undefined` or `false`, and returns that value.
 *
 * Errors thrown by `fn` end the wait at once: a caller that expects transient failures (connection
 * refused while a server starts) catches them itself and returns `undefined`, so that real bugs
 * (a bad PromQL query, a crashed child) fail fast instead of after the whole timeout.
 */
export async function waitFor<T>(fn: () => Promise<T | undefined | false>, options: WaitForOptions = {}): Promise<T> {
  if (typeof fn !== 'function') throw new TypeError(`waitFor: the first argument must be a function returning a promise, got ${typeof fn}`);
  // Exported by persia-metrics/local-stack, so also called from plain JavaScript: a missing or NaN number
  // here once made the loop spin without pause and without end (found by a new-user session).
  const timeoutMs = positiveMs(options.timeoutMs, 'timeoutMs', DEFAULT_TIMEOUT_MS);
  const intervalMs = positiveMs(options.intervalMs, 'intervalMs', DEFAULT_INTERVAL_MS);
  const started = Date.now();
  const deadline = started + timeoutMs;
  let attempts = 0;
  for (;;) {
    attempts += 1;
    const result = await fn();
    if (result !== undefined && result !== false) return result;
    const remaining = deadline - Date.now();
    if (remaining <= 0) break;
    await sleep(Math.min(intervalMs, remaining));
  }
  const extra = options.details?.();
  const what = options.what ?? `${fn.name || 'the condition'} to hold`;
  throw new Error(`Timed out after ${Date.now() - started} ms (${attempts} attempts) waiting for ${what}` + (extra ? `\n${extra}` : ''));
}

function positiveMs(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new TypeError(`waitFor: options.${name} must be a positive number of milliseconds, got ${typeof value === 'number' ? String(value) : typeof value}`);
  }
  return value;
}
