/**
 * Issue 8 items 6 and 7: what cannot be a sample is dropped and counted, on every recording call, and the
 * counts are published as persia_metrics_rejected_samples_total{metric} by the registry's own collect().
 */
import { describe, expect, it } from 'vitest';
import { METRIC_CATALOG, REJECTED_SAMPLES_METRIC, TIME_COST_BUCKETS } from '../../../src/metrics/catalog.js';
import { encodeFamilies } from '../../../src/metrics/protobuf-exposition.js';
import { MetricsRegistry } from '../../../src/metrics/registry.js';
import { parseExposition } from '../../helpers/parse-exposition.js';

const base = { group: 'accuracy', roles: ['trainer'], help: 'A test metric.', labels: [] } as const;
const NOT_NUMBERS: unknown[] = ['5', '12abc', '', '0.5', null, {}, [], true, 5n, Symbol('x'), () => 1];

function registry(): MetricsRegistry {
  return new MetricsRegistry([
    ...METRIC_CATALOG,
    { ...base, name: 'user_counter_total', type: 'counter', unit: '1' },
    { ...base, name: 'user_gauge', type: 'gauge', unit: '1' },
    { ...base, name: 'user_seconds', type: 'histogram', unit: 'seconds', buckets: TIME_COST_BUCKETS },
    { ...base, name: 'user_offsets', type: 'histogram', unit: '1', buckets: [-10, 0, 10] },
  ]);
}

function published(metrics: MetricsRegistry): Map<string, number> {
  const samples = parseExposition(metrics.metrics()).samples;
  const out = new Map<string, number>();
  for (const [key, value] of samples) {
    const match = /^persia_metrics_rejected_samples_total\{metric="([^"]*)"\}$/.exec(key);
    if (match) out.set(match[1]!, value);
  }
  return out;
}

describe('values that are not numbers', () => {
  it('are dropped by every recording call and counted, and the values stay numbers', () => {
    const metrics = registry();
    const counter = metrics.counter('user_counter_total').labels();
    const gauge = metrics.gauge('user_gauge').labels();
    const histogram = metrics.histogram('user_seconds').labels();
    for (const value of NOT_NUMBERS) {
      counter.inc(value as number);
      gauge.set(value as number);
      gauge.inc(value as number);
      gauge.dec(value as number);
      histogram.observe(value as number);
    }
    counter.inc(2);
    gauge.inc(3);
    histogram.observe(0.25);
    expect(counter.value).toBe(2);
    expect(gauge.value).toBe(3);
    expect(histogram.sum).toBe(0.25);
    expect(histogram.count).toBe(1);
    expect(typeof counter.value).toBe('number');
    expect(metrics.rejectedSamples()).toBe(5 * NOT_NUMBERS.length);
    expect(Object.fromEntries(published(metrics))).toEqual({
      user_counter_total: NOT_NUMBERS.length,
      user_gauge: 3 * NOT_NUMBERS.length,
      user_seconds: NOT_NUMBERS.length,
    });
  });

  it('are dropped through the family shortcuts too, and the defaults still count 1', () => {
    const metrics = registry();
    metrics.counter('user_counter_total').inc('5' as never);
    metrics.counter('user_counter_total').inc();
    metrics.gauge('user_gauge').set('12abc' as never);
    metrics.gauge('user_gauge').inc();
    metrics.gauge('user_gauge').dec(undefined);
    metrics.histogram('user_seconds').observe('0.004' as never);
    expect(metrics.counter('user_counter_total').value).toBe(1);
    expect(metrics.gauge('user_gauge').value).toBe(0);
    expect(metrics.rejectedSamples()).toBe(3);
  });

  it('never reach the wire: text and protobuf carry the numbers recorded before and after', () => {
    const metrics = registry();
    const counter = metrics.counter('index_miss_count').labels();
    counter.inc('5' as never); // used to push 50 (protobuf) or +Inf (text), then concatenate
    counter.inc(2);
    metrics
      .gauge('index_miss_ratio')
      .labels()
      .set('12abc' as never); // used to push -Inf
    const text = metrics.metrics();
    expect(text).toContain('index_miss_count 2\n');
    expect(text).toContain('index_miss_ratio 0\n');
    const body = encodeFamilies([metrics.get('index_miss_count')!]);
    const value = Buffer.alloc(8);
    value.writeDoubleLE(2);
    expect(body.includes(value)).toBe(true);
  });
});

describe('numbers Prometheus cannot take', () => {
  it('counters drop NaN, infinite and negative increments', () => {
    const metrics = registry();
    const counter = metrics.counter('user_counter_total').labels();
    for (const value of [NaN, Infinity, -Infinity, -1, -0.5]) counter.inc(value);
    counter.inc(0);
    counter.inc(1.5);
    expect(counter.value).toBe(1.5);
    expect(published(metrics).get('user_counter_total')).toBe(5);
  });

  it('gauges take any number from set(), but only finite steps from inc()/dec() (a NaN step would stick)', () => {
    const metrics = registry();
    const gauge = metrics.gauge('user_gauge').labels();
    gauge.set(NaN);
    expect(gauge.value).toBeNaN();
    gauge.set(-Infinity);
    expect(gauge.value).toBe(-Infinity);
    gauge.set(1);
    for (const step of [NaN, Infinity, -Infinity]) {
      gauge.inc(step);
      gauge.dec(step);
    }
    gauge.dec(3);
    expect(gauge.value).toBe(-2);
    expect(published(metrics).get('user_gauge')).toBe(6);
  });

  it('histograms in seconds drop NaN, ±Inf and negative durations; _sum stays finite', () => {
    const metrics = registry();
    const histogram = metrics.histogram('user_seconds').labels();
    for (const value of [0.003, Infinity, -0.001, NaN, -Infinity, 0, -0, 1e9, 0.00001]) histogram.observe(value);
    expect(histogram.count).toBe(5); // 0.003, 0, -0, 1e9, 0.00001
    expect(histogram.sum).toBe(0.003 + 1e9 + 0.00001);
    expect(histogram.bucketCounts[0]).toBe(3);
    expect(histogram.bucketCounts.at(-1)).toBe(1);
    expect(published(metrics).get('user_seconds')).toBe(4);
    expect(metrics.metrics()).toContain('user_seconds_sum 1000000000.00301\n');
  });

  it('other histograms keep finite negatives and drop only NaN and ±Inf', () => {
    const metrics = registry();
    const histogram = metrics.histogram('user_offsets').labels();
    for (const value of [-50, -10, -1, 5, 50, NaN, Infinity, -Infinity]) histogram.observe(value);
    expect([...histogram.bucketCounts]).toEqual([2, 1, 1, 1]);
    expect(histogram.sum).toBe(-6);
    expect(published(metrics).get('user_offsets')).toBe(3);
  });

  it('startTimer() observes elapsed seconds, which are never dropped', () => {
    const metrics = registry();
    const done = metrics.histogram('user_seconds').labels().startTimer();
    const seconds = done();
    expect(seconds).toBeGreaterThanOrEqual(0);
    expect(metrics.histogram('user_seconds').labels().count).toBe(1);
    expect(metrics.rejectedSamples()).toBe(0);
  });

  it("a timer's done() reached twice (explicitly, then in a finally) counts the operation once", () => {
    const metrics = registry();
    const timer = metrics.histogram('user_seconds').labels();
    const done = timer.startTimer();
    const first = done();
    expect(done()).toBe(first);
    expect(timer.count).toBe(1);
    // Each startTimer() is its own operation.
    timer.startTimer()();
    expect(timer.count).toBe(2);
  });
});

describe('persia_metrics_rejected_samples_total', () => {
  it('is a catalog counter with the label metric, recorded by every role', () => {
    const spec = METRIC_CATALOG.find((entry) => entry.name === REJECTED_SAMPLES_METRIC);
    expect(spec).toMatchObject({ type: 'counter', group: 'pusher', labels: ['metric'], roles: ['trainer', 'middleware', 'server'] });
  });

  it('has no series until a sample is dropped, then one per family, in every body', () => {
    const metrics = registry();
    expect(metrics.metrics()).not.toContain(REJECTED_SAMPLES_METRIC);
    metrics.counter('nan_count').labels('user_id').inc(-1);
    metrics.counter('nan_count').labels('item_id').inc(NaN);
    expect(metrics.metrics()).toContain(`# TYPE ${REJECTED_SAMPLES_METRIC} counter\n${REJECTED_SAMPLES_METRIC}{metric="nan_count"} 2\n`);
    metrics
      .counter('nan_count')
      .labels('user_id')
      .inc('1' as never);
    metrics.collect(); // what the protobuf body builder calls before encoding
    const body = encodeFamilies([metrics.get(REJECTED_SAMPLES_METRIC)!]);
    expect(body.includes(Buffer.from('nan_count'))).toBe(true);
    const three = Buffer.alloc(8);
    three.writeDoubleLE(3);
    expect(body.includes(three)).toBe(true);
    expect(metrics.rejectedSamples()).toBe(3);
  });

  it('is left alone by a registry built without it', () => {
    const metrics = new MetricsRegistry([{ ...base, name: 'lonely_total', type: 'counter', unit: '1' }]);
    metrics.counter('lonely_total').inc(-1);
    expect(metrics.metrics()).toBe('# HELP lonely_total A test metric.\n# TYPE lonely_total counter\nlonely_total 0\n');
    expect(metrics.rejectedSamples()).toBe(1);
  });
});
