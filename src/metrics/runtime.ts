/**
 * The node process's own health, sampled right before each push (nothing on the hot path): CPU, memory,
 * event-loop delay. Prefixed `persia_node_` because the gateway exposes its own `process_*` and `go_*`
 * series, and a pushed series with one of those names makes the gateway refuse the push.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { MetricsRegistry } from './registry.js';

export interface RuntimeSampler {
  /** Stop the event-loop monitor (it holds a native timer). */
  stop(): void;
}

/** The event-loop monitor's timer period. Finer costs wake-ups (1 ms: a thousand a second) for nothing. */
const LOOP_MONITOR_RESOLUTION_MS = 10;

export interface LoopDelayStats {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

/**
 * Seconds of event-loop delay from Node's monitor, which records the time between two ticks of its timer:
 * the timer's own period is in every sample (an idle loop read ~10 ms), so it is taken off, at 0 at least.
 * Its percentiles are the upper ends of the histogram's buckets and can exceed the exact max (right after a
 * reset, p50 read above max), so they are capped by it: max >= p99 >= p50 always. No samples: all 0 (the
 * monitor then answers percentiles of 511 ns and a max of 0).
 */
export function loopDelayStats(histogram: Pick<IntervalHistogram, 'count' | 'max' | 'percentile'>, resolutionMs: number): LoopDelayStats {
  if (histogram.count === 0) return { p50: 0, p99: 0, max: 0 };
  const max = histogram.max;
  const p99 = Math.min(histogram.percentile(99), max);
  const p50 = Math.min(histogram.percentile(50), p99);
  const delay = (nanoseconds: number): number => Math.max(0, nanoseconds - resolutionMs * 1e6) / 1e9;
  return { p50: delay(p50), p99: delay(p99), max: delay(max) };
}

export function installRuntimeMetrics(registry: MetricsRegistry): RuntimeSampler {
  const cpu = registry.counter('persia_node_cpu_seconds_total').labels();
  const resident = registry.gauge('persia_node_resident_memory_bytes').labels();
  const heap = registry.gauge('persia_node_heap_used_bytes').labels();
  const delay = registry.gauge('persia_node_event_loop_delay_seconds');
  const delayP50 = delay.labels('p50');
  const delayP99 = delay.labels('p99');
  const delayMax = delay.labels('max');
  // When the metrics started, not the process: the node's counters count from here, which is what a rate
  // "since the start" divides by (the NaN burst's baseline, src/monitoring/fast-rules.ts); a process that
  // loads data for minutes before it starts its metrics would otherwise read as having counted all along.
  registry.gauge('persia_node_start_time_seconds').set(Math.round(Date.now() / 1000));

  const loopDelay: IntervalHistogram = monitorEventLoopDelay({ resolution: LOOP_MONITOR_RESOLUTION_MS });
  loopDelay.enable();
  let lastCpuMicros = 0;

  registry.addCollector(() => {
    const usage = process.cpuUsage();
    const totalMicros = usage.user + usage.system;
    cpu.inc((totalMicros - lastCpuMicros) / 1e6);
    lastCpuMicros = totalMicros;
    const memory = process.memoryUsage();
    resident.set(memory.rss);
    heap.set(memory.heapUsed);
    const stats = loopDelayStats(loopDelay, LOOP_MONITOR_RESOLUTION_MS);
    delayP50.set(stats.p50);
    delayP99.set(stats.p99);
    delayMax.set(stats.max);
    loopDelay.reset();
  });
  return { stop: () => loopDelay.disable() };
}
