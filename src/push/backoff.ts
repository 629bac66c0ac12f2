/**
 * Capped exponential backoff with ±20 % jitter: 0.5 s, doubling, at most 5 s (OpenTelemetry's retrying
 * exporters start at 1 s × 1.5; a push must fit its retries inside one push interval, often 10 s). The
 * jitter keeps a thousand nodes that lost the gateway together from hammering it together when it is back.
 */

export interface BackoffPolicy {
  readonly initialSeconds: number;
  readonly multiplier: number;
  readonly maxSeconds: number;
  readonly jitter: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialSeconds: 0.5, multiplier: 2, maxSeconds: 5, jitter: 0.2 };

/** Delay before retry number `attempt` (0 = first retry). `random` is injectable for tests. */
export function backoffSeconds(attempt: number, policy: BackoffPolicy = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const base = Math.min(policy.maxSeconds, policy.initialSeconds * policy.multiplier ** attempt);
  return base * (1 - policy.jitter + 2 * policy.jitter * random());
}

/** Resolves after `seconds`, early (without error) if `signal` aborts; its timer never keeps the process alive. */
export function sleep(seconds: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, seconds * 1000);
    timer.unref();
    signal?.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}
