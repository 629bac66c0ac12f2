/**
 * Issue 19 part 5: the cardinality guard. A family labelled by something unbounded keeps at most its limit of
 * series, then folds only the offending label of each new label set into "__overflow__" (the other labels
 * kept), so the sum over the family still equals what was recorded; the folds are counted per family in
 * persia_metrics_overflow_bindings_total and reported once. Asserted on the registry's exposition, as the
 * gateway would receive it.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../../src/config/resolve.js';
import { ConfigError, MetricDefinitionError } from '../../../src/errors.js';
import { METRIC_CATALOG, type MetricSpec } from '../../../src/metrics/catalog.js';
import { MetricsRegistry } from '../../../src/metrics/registry.js';
import type { SeriesLimits } from '../../../src/metrics/series-limit.js';
import { parseExposition } from '../../helpers/parse-exposition.js';

const base = { group: 'accuracy', roles: ['trainer'], help: 'A test metric.', unit: '1' } as const;

function registry(specs: readonly MetricSpec[], limits: Partial<SeriesLimits> = {}): { metrics: MetricsRegistry; reports: string[] } {
  const reports: string[] = [];
  const metrics = new MetricsRegistry([...METRIC_CATALOG, ...specs], { maxSeriesPerFamily: 100, report: (message) => reports.push(message), ...limits });
  return { metrics, reports };
}

/** name{labels} → value of every sample of `name` in the registry's exposition. */
function samples(metrics: MetricsRegistry, name: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const [key, value] of parseExposition(metrics.metrics()).samples) if (key === name || key.startsWith(`${name}{`)) out.set(key, value);
  return out;
}

function total(values: Map<string, number>): number {
  let sum = 0;
  for (const value of values.values()) sum += value;
  return sum;
}

describe('a family past its series limit', () => {
  it('keeps the limit, folds the one label into __overflow__, keeps the total exact, counts and reports once', () => {
    const { metrics, reports } = registry([{ ...base, name: 'requests_total', type: 'counter', labels: ['user'] }]);
    const family = metrics.counter('requests_total');
    let recorded = 0;
    for (let user = 0; user < 10_000; user += 1) {
      family.labels(`u${user}`).inc(user % 7);
      recorded += user % 7;
    }
    const stored = samples(metrics, 'requests_total');
    expect(stored.size).toBe(101);
    expect(total(stored)).toBe(recorded);
    expect(stored.get('requests_total{user="u99"}')).toBe(99 % 7);
    expect(stored.has('requests_total{user="u100"}')).toBe(false);
    expect(stored.has('requests_total{user="__overflow__"}')).toBe(true);
    expect(samples(metrics, 'persia_metrics_overflow_bindings_total')).toEqual(new Map([['persia_metrics_overflow_bindings_total{metric="requests_total"}', 9_900]]));
    expect(reports).toHaveLength(1);
    expect(reports[0]).toContain('metric requests_total reached its limit of 100 series');
    expect(reports[0]).toContain('user="__overflow__"');
  });

  it('folds the label with the most values and keeps the others, so a per-feature query still adds up', () => {
    const { metrics, reports } = registry([{ ...base, name: 'clicks_total', type: 'counter', labels: ['user', 'feature'] }]);
    const family = metrics.counter('clicks_total');
    const perFeature = new Map<string, number>();
    for (let user = 0; user < 5_000; user += 1) {
      for (const feature of ['a', 'b', 'c']) {
        family.labels(user, feature).inc();
        perFeature.set(feature, (perFeature.get(feature) ?? 0) + 1);
      }
    }
    const stored = samples(metrics, 'clicks_total');
    expect(stored.size).toBe(103);
    for (const [feature, count] of perFeature) {
      const inFeature = [...stored].filter(([key]) => key.includes(`feature="${feature}"`)).reduce((sum, [, value]) => sum + value, 0);
      expect(inFeature).toBe(count);
      expect(stored.has(`clicks_total{feature="${feature}",user="__overflow__"}`)).toBe(true);
    }
    expect(reports[0]).toContain('user="__overflow__" (feature kept)');
  });

  it('stays bounded when every label explodes: limit, a tenth more overflow series, then one with every label folded', () => {
    const { metrics } = registry([{ ...base, name: 'pairs_total', type: 'counter', labels: ['a', 'b'] }]);
    const family = metrics.counter('pairs_total');
    for (let index = 0; index < 20_000; index += 1) family.labels(`a${index}`, `b${index}`).inc(2);
    const stored = samples(metrics, 'pairs_total');
    expect(stored.size).toBe(100 + 10 + 1);
    expect(total(stored)).toBe(40_000);
    expect(stored.get('pairs_total{a="__overflow__",b="__overflow__"}')).toBeGreaterThan(0);
  });

  it('keeps histograms exact: every bucket, _count and _sum over the family equal what was observed', () => {
    const { metrics } = registry([{ ...base, name: 'batch_seconds', type: 'histogram', unit: 'seconds', labels: ['batch'], buckets: [0.1, 1] }]);
    const family = metrics.histogram('batch_seconds');
    let sum = 0;
    for (let batch = 0; batch < 1_000; batch += 1) {
      const value = (batch % 20) / 10;
      family.labels(batch).observe(value);
      sum += value;
    }
    const stored = samples(metrics, 'batch_seconds_count');
    expect(stored.size).toBe(101);
    expect(total(stored)).toBe(1_000);
    expect(total(samples(metrics, 'batch_seconds_sum'))).toBeCloseTo(sum, 6);
    const le = (bound: string): number => [...samples(metrics, 'batch_seconds_bucket')].filter(([key]) => key.includes(`le="${bound}"`)).reduce((acc, [, value]) => acc + value, 0);
    expect(le('0.1')).toBe(100);
    expect(le('1')).toBe(550);
    expect(le('+Inf')).toBe(1_000);
  });

  it("adds gauge steps exactly (inc/dec); a set() past the limit is the overflow series' last value", () => {
    const { metrics } = registry([{ ...base, name: 'queue_depth', type: 'gauge', labels: ['worker'] }]);
    const family = metrics.gauge('queue_depth');
    for (let worker = 0; worker < 500; worker += 1) family.labels(worker).inc(3);
    for (let worker = 0; worker < 500; worker += 2) family.labels(worker).dec(1);
    expect(total(samples(metrics, 'queue_depth'))).toBe(500 * 3 - 250);
    family.labels('w-new-1').set(7);
    family.labels('w-new-2').set(5);
    expect(samples(metrics, 'queue_depth').get('queue_depth{worker="__overflow__"}')).toBe(5);
  });

  it('leaves series bound before the limit their own, and never limits the node families whose values the library picks', () => {
    const { metrics } = registry([{ ...base, name: 'kept_total', type: 'counter', labels: ['id'] }], { maxSeriesPerFamily: 1 });
    const first = metrics.counter('kept_total').labels('first');
    metrics.counter('kept_total').labels('second').inc(5);
    first.inc(2);
    expect(metrics.counter('kept_total').labels('first')).toBe(first);
    for (const state of ['init', 'running', 'error', 'stopping']) metrics.gauge('persia_node_state').labels(state).set(1);
    for (const reason of ['timeout', 'connection', 'http_4xx']) metrics.counter('persia_metrics_push_failures_total').labels(reason).inc();
    expect(samples(metrics, 'persia_node_state').size).toBe(4);
    expect(samples(metrics, 'persia_metrics_push_failures_total').size).toBe(3);
    expect(Object.fromEntries(samples(metrics, 'kept_total'))).toEqual({ 'kept_total{id="first"}': 2, 'kept_total{id="__overflow__"}': 5 });
  });

  it("takes a family's own maxSeries over the node's limit, and refuses one that is not a positive integer", () => {
    const { metrics } = registry([{ ...base, name: 'roomy_total', type: 'counter', labels: ['id'], maxSeries: 300 }]);
    for (let id = 0; id < 1_000; id += 1) metrics.counter('roomy_total').labels(id).inc();
    expect(samples(metrics, 'roomy_total').size).toBe(301);
    for (const maxSeries of [0, -1, 1.5, NaN, '10']) {
      expect(() => metrics.define({ ...base, name: `bad_${String(maxSeries).replace(/\W/g, '_')}`, type: 'counter', labels: ['id'], maxSeries: maxSeries as number })).toThrow(
        MetricDefinitionError,
      );
    }
  });

  it('still refuses bad label values past the limit, and survives a logger that throws', () => {
    const { metrics } = registry([{ ...base, name: 'strict_total', type: 'counter', labels: ['id'] }], {
      maxSeriesPerFamily: 1,
      report: () => {
        throw new Error('logger down');
      },
    });
    const family = metrics.counter('strict_total');
    family.labels('a');
    expect(() => family.labels('b').inc()).not.toThrow();
    expect(() => family.labels(undefined as unknown as string)).toThrow(MetricDefinitionError);
    expect(() => family.labels('\uD800')).toThrow(MetricDefinitionError);
  });
});

describe('the limit as an option', () => {
  it('defaults to 2,000 series, is read from the file and the environment, and refuses what is not a positive integer', () => {
    expect(loadConfig({ env: {} }).options.maxSeriesPerFamily).toBe(2_000);
    expect(loadConfig({ env: { PERSIA_METRICS_MAX_SERIES_PER_FAMILY: '50000' } }).options.maxSeriesPerFamily).toBe(50_000);
    expect(loadConfig({ env: { PERSIA_METRICS_DROP_IDLE_SERIES_SECONDS: '600' } }).options.dropIdleSeriesSeconds).toBe(600);
    expect(loadConfig({ env: {} }).options.dropIdleSeriesSeconds).toBeUndefined();
    for (const text of ['0', '-5', '1e3', 'lots']) {
      expect(() => loadConfig({ env: { PERSIA_METRICS_MAX_SERIES_PER_FAMILY: text } })).toThrow(ConfigError);
    }
    expect(() => loadConfig({ env: {}, options: { dropIdleSeriesSeconds: 0 } })).toThrow(ConfigError);
  });
});

describe('dropping idle series (opt-in)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('drops a series unchanged for the window, keeps the recorded ones, and frees its room under the limit', () => {
    vi.useFakeTimers({ toFake: ['performance'] });
    const { metrics } = registry([{ ...base, name: 'batch_total', type: 'counter', labels: ['batch'] }], { maxSeriesPerFamily: 2, dropIdleSeriesSeconds: 60 });
    const family = metrics.counter('batch_total');
    family.labels('old').inc(4);
    const live = family.labels('live');
    live.inc();
    metrics.metrics();
    vi.advanceTimersByTime(30_000);
    live.inc();
    metrics.metrics();
    vi.advanceTimersByTime(31_000);
    expect(Object.fromEntries(samples(metrics, 'batch_total'))).toEqual({ 'batch_total{batch="live"}': 2 });
    family.labels('new').inc(); // room again: its own series, not the overflow one
    expect(Object.fromEntries(samples(metrics, 'batch_total'))).toEqual({ 'batch_total{batch="live"}': 2, 'batch_total{batch="new"}': 1 });
    expect(metrics.overflowBindings()).toBe(0);
  });

  it('loses nothing recorded through a handle kept past the drop, nor through binding the label set again', () => {
    vi.useFakeTimers({ toFake: ['performance'] });
    const { metrics } = registry([{ ...base, name: 'epoch_total', type: 'counter', labels: ['epoch'] }], { dropIdleSeriesSeconds: 10 });
    const family = metrics.counter('epoch_total');
    const kept = family.labels('e1');
    kept.inc(3);
    family.labels('e2').inc(5);
    metrics.metrics();
    vi.advanceTimersByTime(11_000);
    expect(samples(metrics, 'epoch_total').size).toBe(0);
    kept.inc(); // on the handle the program kept
    family.labels('e2').inc(); // bound again while the dropped series lives: the same series, its count intact
    expect(Object.fromEntries(samples(metrics, 'epoch_total'))).toEqual({ 'epoch_total{epoch="e1"}': 4, 'epoch_total{epoch="e2"}': 6 });
  });

  it('never drops the node families whose values the library picks, nor an unlabelled family', () => {
    vi.useFakeTimers({ toFake: ['performance'] });
    const { metrics } = registry([], { dropIdleSeriesSeconds: 1 });
    metrics.counter('persia_metrics_push_failures_total').labels('timeout');
    metrics.counter('index_miss_count').labels();
    metrics.metrics();
    vi.advanceTimersByTime(5_000);
    expect(samples(metrics, 'persia_metrics_push_failures_total').size).toBe(1);
    expect(samples(metrics, 'index_miss_count').size).toBe(1);
  });
});
