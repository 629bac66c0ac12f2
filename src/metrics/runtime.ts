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

export function installRuntimeMetrics(registry: MetricsRegistry): RuntimeSampler {
  const cpu = registry.counter('persia_node_cpu_seconds_total').labels();
  const resident = registry.gauge('persia_node_resident_memory_bytes').labels();
  const heap = registry.gauge('persia_node_heap_used_bytes').labels();
  const delay = registry.gauge('persia_node_event_loop_delay_seconds');
  const delayP50 = delay.labels('p50');
  const delayP99 = delay.labels('p99');
  const delayMax = delay.labels('max');
  registry.gauge('persia_node_start_time_seconds').set(Math.round(Date.now() / 1000 - process.uptime()));

  const loopDelay: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });
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
    // The histogram reports nanoseconds; with no samples yet its percentiles are 0, which is the truth.
    delayP50.set(loopDelay.percentile(50) / 1e9);
    delayP99.set(loopDelay.percentile(99) / 1e9);
    delayMax.set(loopDelay.max / 1e9);
    loopDelay.reset();
  });
  return { stop: () => loopDelay.disable() };
}
