/**
 * persia_node_event_loop_delay_seconds: the monitor's timer period is not delay, and the statistics are
 * ordered (max >= p99 >= p50) whatever the histogram answers; no samples read 0.
 */
import { describe, expect, it } from 'vitest';
import { MetricsRegistry } from '../../../src/metrics/registry.js';
import { installRuntimeMetrics, loopDelayStats } from '../../../src/metrics/runtime.js';

/** A stand-in for Node's IntervalHistogram with the answers it gives (nanoseconds). */
function histogram(count: number, p50: number, p99: number, max: number) {
  return { count, max, percentile: (percentile: number) => (percentile === 50 ? p50 : p99) };
}

const MS = 1e6;

describe('event-loop delay statistics', () => {
  it('read 0 with no samples (the monitor then answers percentiles of 511 ns and max 0)', () => {
    expect(loopDelayStats(histogram(0, 511, 511, 0), 10)).toEqual({ p50: 0, p99: 0, max: 0 });
  });

  it('take the monitor period off: an idle loop ticking every ~10.2 ms reads ~0.2 ms, not ~10 ms', () => {
    const stats = loopDelayStats(histogram(200, 10.2 * MS, 10.6 * MS, 12 * MS), 10);
    expect(stats.p50).toBeCloseTo(0.0002, 9);
    expect(stats.p99).toBeCloseTo(0.0006, 9);
    expect(stats.max).toBeCloseTo(0.002, 9);
  });

  it('never go below 0 when the timer fired early', () => {
    expect(loopDelayStats(histogram(3, 9.2 * MS, 9.5 * MS, 9.9 * MS), 10)).toEqual({ p50: 0, p99: 0, max: 0 });
  });

  it('cap percentiles by the exact max (bucket upper ends can exceed it): max >= p99 >= p50', () => {
    // Right after a reset, one sample: the percentiles answer the bucket's upper end, above the max.
    const one = loopDelayStats(histogram(1, 40.02 * MS, 40.02 * MS, 40 * MS), 10);
    expect(one).toEqual({ p50: 0.03, p99: 0.03, max: 0.03 });
    const skewed = loopDelayStats(histogram(5, 25 * MS, 20 * MS, 30 * MS), 10);
    expect(skewed.max).toBeGreaterThanOrEqual(skewed.p99);
    expect(skewed.p99).toBeGreaterThanOrEqual(skewed.p50);
  });

  it('are ordered in what a registry pushes, right after install and after a busy stretch', () => {
    const registry = new MetricsRegistry();
    const sampler = installRuntimeMetrics(registry);
    try {
      const read = () => {
        registry.collect();
        const gauge = registry.gauge('persia_node_event_loop_delay_seconds');
        return { p50: gauge.labels('p50').value, p99: gauge.labels('p99').value, max: gauge.labels('max').value };
      };
      for (const stats of [read(), read()]) {
        expect(stats.max).toBeGreaterThanOrEqual(stats.p99);
        expect(stats.p99).toBeGreaterThanOrEqual(stats.p50);
        expect(stats.p50).toBeGreaterThanOrEqual(0);
      }
    } finally {
      sampler.stop();
    }
  });
});
