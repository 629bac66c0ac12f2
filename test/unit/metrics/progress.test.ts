/**
 * persia_node_progress_age_seconds, as each push publishes it: 0 while the node progresses (its step counter
 * or any time-cost count rose since the previous push) and before its first step; then the seconds since the
 * push that last saw a rise, on the node's own clock.
 */
import { describe, expect, it } from 'vitest';
import { PROGRESS_AGE_METRIC, PROGRESS_METRICS, STEPS_METRIC } from '../../../src/metrics/catalog.js';
import { installProgressWatch } from '../../../src/metrics/progress.js';
import { MetricsRegistry } from '../../../src/metrics/registry.js';

function node() {
  let now = 0;
  const registry = new MetricsRegistry();
  installProgressWatch(registry, () => now);
  const age = (atMs: number): number => {
    now = atMs;
    registry.collect();
    return registry.gauge(PROGRESS_AGE_METRIC).value;
  };
  return { registry, age };
}

describe('progress age', () => {
  it('creates no series: a role pushes only the time costs it records, not every catalog one at 0', () => {
    const { registry, age } = node();
    registry.histogram('lookup_rpc_time_cost').labels().observe(0.004);
    age(10_000);
    age(20_000);
    for (const name of PROGRESS_METRICS) {
      const family = registry.get(name);
      const expected = name === 'lookup_rpc_time_cost' ? 1 : 0;
      expect(family?.seriesCount ?? 0, name).toBe(expected);
    }
  });

  it('is 0 before the first step, however long the node waits (a node still loading data is not hung)', () => {
    const { age } = node();
    expect(age(10_000)).toBe(0);
    expect(age(600_000)).toBe(0);
  });

  it('is 0 while steps rise between pushes, then grows by the time since the push that last saw a step', () => {
    const { registry, age } = node();
    const steps = registry.counter(STEPS_METRIC);
    steps.inc();
    expect(age(10_000)).toBe(0);
    steps.inc(3);
    expect(age(20_000)).toBe(0);
    expect(age(30_000)).toBe(10);
    expect(age(45_500)).toBe(25.5);
    steps.inc();
    expect(age(50_000)).toBe(0);
  });

  it('counts any time-cost observation as progress (a middleware or server records no step counter)', () => {
    const { registry, age } = node();
    expect(PROGRESS_METRICS).toContain('lookup_rpc_time_cost');
    registry.histogram('lookup_rpc_time_cost').observe(0.004);
    expect(age(10_000)).toBe(0);
    expect(age(20_000)).toBe(10);
    registry.histogram('update_gradient_time_cost').observe(0.002);
    expect(age(30_000)).toBe(0);
  });

  it('other metrics rising are not progress', () => {
    const { registry, age } = node();
    registry.counter(STEPS_METRIC).inc();
    age(10_000);
    registry.counter('nan_count').labels('age').inc();
    registry.gauge('staleness').set(3);
    expect(age(20_000)).toBe(10);
  });
});
