/** Small measuring helpers shared by the bench sections: timers, percentiles, event-loop block. */
import { monitorEventLoopDelay } from 'node:perf_hooks';

export function nowMs(): number {
  return performance.now();
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

export function median(values: readonly number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
}

/**
 * Runs `work` while `monitorEventLoopDelay` watches, and returns the longest the loop was held up, in ms.
 * The monitor's timer fires every `resolution` ms, so the figure has that granularity; the monitor also
 * sees the time a timer needs to be served at all, which is why an idle loop reads ~1 ms, not 0.
 * The monitor's timer must be running before the work starts: a block that begins before its first tick is
 * not seen at all (measured: a 10 ms busy loop right after enable() reads 1.3 ms), which hid the
 * synchronous start of both sides' pushes until this wait was added.
 */
export async function withLoopMonitor<T>(work: () => Promise<T>): Promise<{ result: T; maxBlockMs: number }> {
  const monitor = monitorEventLoopDelay({ resolution: 1 });
  monitor.enable();
  await new Promise((resolve) => setTimeout(resolve, 5));
  try {
    const result = await work();
    // One more turn so a block at the very end is observed.
    await new Promise((resolve) => setTimeout(resolve, 5));
    return { result, maxBlockMs: monitor.max / 1e6 };
  } finally {
    monitor.disable();
  }
}

export function sleepMs(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function round(value: number, digits = 2): number {
  if (!Number.isFinite(value)) return value;
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
