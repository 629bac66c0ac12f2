/**
 * persia_node_progress_age_seconds, as each push publishes it: 0 while the node progresses (its step counter
 * or any time-cost count rose since the previous push) and before its first step; then the seconds since the
 * push that last saw a rise, on the node's own clock. From a family of the extra sources' pages instead (the
 * agent's --progress), the same; with no source of progress, no age at all.
 */
import { describe, expect, it } from 'vitest';
import { PROGRESS_AGE_METRIC, PROGRESS_METRICS, STEPS_METRIC } from '../../../src/metrics/catalog.js';
import { checkProgressSource, installProgressWatch, progressExpected, StepClock } from '../../../src/metrics/progress.js';
import { MetricsRegistry } from '../../../src/metrics/registry.js';

function node() {
  let now = 0;
  const registry = new MetricsRegistry();
  installProgressWatch(registry, { nowMs: () => now });
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

describe('progress age from a family of the extra sources, or from nowhere', () => {
  function familyNode() {
    let now = 0;
    const reports: string[] = [];
    const registry = new MetricsRegistry();
    const observe = installProgressWatch(registry, { source: { family: 'train_steps_total' }, report: (message) => reports.push(message), nowMs: () => now });
    const age = (atMs: number, total: number | undefined): number => {
      now = atMs;
      observe?.(total);
      registry.collect();
      return registry.gauge(PROGRESS_AGE_METRIC).value;
    };
    return { registry, age, reports };
  }

  it("follows the family's total: a rise is progress, a frozen total grows the age (a trainer whose loop deadlocked)", () => {
    const { registry, age } = familyNode();
    expect(age(10_000, 0)).toBe(0);
    expect(age(20_000, 50)).toBe(0); // first seen above 0: progress (a trainer started before its agent)
    expect(age(30_000, 80)).toBe(0);
    expect(age(40_000, 80)).toBe(10);
    expect(age(55_000, 80)).toBe(25);
    // The catalog's counters are not its progress, and none of its series was created.
    registry.counter(STEPS_METRIC).inc();
    expect(age(60_000, 80)).toBe(30);
    expect(age(70_000, 81)).toBe(0);
  });

  it('a push without the family counts on from the last rise, said once until it came back', () => {
    const { age, reports } = familyNode();
    age(10_000, 5);
    expect(age(20_000, undefined)).toBe(10);
    expect(age(30_000, undefined)).toBe(20);
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatch(/progress family train_steps_total is in none of the pages/);
    expect(age(40_000, 5)).toBe(30);
    age(50_000, undefined);
    expect(reports).toHaveLength(2);
  });

  it('from nowhere (false): no age series at all, and no observer', () => {
    const registry = new MetricsRegistry();
    expect(installProgressWatch(registry, { source: false })).toBeUndefined();
    registry.collect();
    expect(registry.get(PROGRESS_AGE_METRIC)?.seriesCount ?? 0).toBe(0);
  });

  it('a progress option that is neither { family: name } nor false, or a family without extra sources to read it from, is a ConfigError naming it', () => {
    expect(checkProgressSource(undefined, false)).toBeUndefined();
    expect(checkProgressSource(false, false)).toBe(false);
    expect(checkProgressSource({ family: 'train_steps_total' }, true)).toEqual({ family: 'train_steps_total' });
    expect(checkProgressSource('steps', false)).toBe('steps');
    expect(() => checkProgressSource('train_steps_total', true)).toThrow(/startNodeMetrics\(\): progress: expected \{ family: /);
    expect(() => checkProgressSource({ family: 'train steps' }, true)).toThrow(/progress: expected/);
    expect(() => checkProgressSource({ family: 'train_steps_total' }, false)).toThrow(/progress\.family: expected extraSources to read it from/);
  });
});

describe('before the first progress, and the exact time of a step', () => {
  function steppingNode(fromStart: boolean) {
    let now = 0;
    const registry = new MetricsRegistry();
    const steps = new StepClock(registry, () => now);
    installProgressWatch(registry, { fromStart, steps, nowMs: () => now });
    const at = (ms: number): void => void (now = ms);
    const push = (ms: number): number | undefined => {
      at(ms);
      registry.collect();
      return registry.get(PROGRESS_AGE_METRIC)?.seriesCount === 0 ? undefined : registry.gauge(PROGRESS_AGE_METRIC).value;
    };
    return { registry, steps, at, push };
  }

  it('a node expected to progress counts its age from its start: one stuck in its initialisation grows old', () => {
    const { push } = steppingNode(true);
    expect(push(10_000)).toBe(10);
    expect(push(600_000)).toBe(600);
  });

  it('a node not expected to progress publishes no age until its first step (unknown, not 0), then counts from it', () => {
    const { registry, push } = steppingNode(false);
    expect(push(10_000)).toBeUndefined();
    expect(push(600_000)).toBeUndefined();
    registry.counter(STEPS_METRIC).inc();
    expect(push(610_000)).toBe(0);
    expect(push(620_000)).toBe(10);
  });

  it('a step counted with step() stamps its time: the age counts from the step, not from the push that saw it', () => {
    const { registry, steps, at, push } = steppingNode(true);
    at(1_000);
    steps.step();
    at(2_300);
    steps.step();
    expect(push(10_000)).toBe(0);
    expect(push(20_000)).toBe(17.7); // a push-resolution age would read 10
    expect(registry.counter(STEPS_METRIC).value).toBe(2);
    // A raw inc() of the step counter, or a time-cost count, is seen at the push (push resolution).
    at(21_000);
    registry.counter(STEPS_METRIC).inc();
    expect(push(30_000)).toBe(0);
    expect(push(40_000)).toBe(10);
    // A count the counter drops (NaN, negative) is no step and stamps nothing.
    steps.step(Number.NaN);
    steps.step(-1);
    expect(push(50_000)).toBe(20);
  });

  it('a resume (back to running after a pause) counts as the latest progress: the age grows through the pause, then counts from the resume', () => {
    const { steps, at, push } = steppingNode(true);
    at(1_000);
    steps.step();
    expect(push(10_000)).toBe(0);
    // A checkpoint of a minute: the age goes on growing (the node says paused, so nothing calls it hung).
    expect(push(70_000)).toBe(69);
    at(75_000);
    steps.resumed();
    expect(push(80_000)).toBe(5); // not 79: the pause was no lack of progress
    expect(push(90_000)).toBe(15);
    at(91_000);
    steps.step();
    expect(push(100_000)).toBe(0);
    // A resume before the last step changes nothing.
    at(101_000);
    steps.resumed();
    at(102_000);
    steps.step();
    expect(push(110_000)).toBe(0);
    expect(push(120_000)).toBe(18);
  });

  it('a resume gives no age to a node whose progress is unknown (none yet, none expected)', () => {
    const { steps, at, push } = steppingNode(false);
    at(5_000);
    steps.resumed();
    expect(push(10_000)).toBeUndefined();
  });

  it('which nodes are expected from their start: only one that says it counts steps or names a family (a server waiting for its trainers is not hung)', () => {
    expect(progressExpected(undefined)).toBe(false);
    expect(progressExpected('steps')).toBe(true);
    expect(progressExpected({ family: 'train_steps_total' })).toBe(true);
    expect(progressExpected(false)).toBe(false);
  });
});
