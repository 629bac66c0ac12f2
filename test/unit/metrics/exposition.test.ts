import client from 'prom-client';
import { describe, expect, it } from 'vitest';
import { METRIC_CATALOG } from '../../../src/metrics/catalog.js';
import { MetricsRegistry } from '../../../src/metrics/registry.js';
import { LabelClashError, MetricDefinitionError } from '../../../src/errors.js';
import { parseExposition } from '../../helpers/parse-exposition.js';

const NASTY_VALUES = ['plain', 'with/slash', 'quote " inside', 'back\\slash', 'new\nline', 'ünïcødé ✓', ''];

/** Record the same values into our registry and into prom-client's, and return both expositions. */
async function recordBoth(
  record: (metrics: {
    counter: (name: string, ...labels: string[]) => (value: number) => void;
    gauge: (name: string, ...labels: string[]) => (value: number) => void;
    histogram: (name: string, ...labels: string[]) => (value: number) => void;
  }) => void,
) {
  const ours = new MetricsRegistry();
  const theirs = new client.Registry();
  const promMetrics = new Map<string, client.Counter | client.Gauge | client.Histogram>();
  for (const spec of METRIC_CATALOG) {
    const common = { name: spec.name, help: spec.help, labelNames: [...spec.labels], registers: [theirs] };
    promMetrics.set(
      spec.name,
      spec.type === 'counter'
        ? new client.Counter(common)
        : spec.type === 'gauge'
          ? new client.Gauge(common)
          : new client.Histogram({ ...common, buckets: [...(spec.buckets ?? [])] }),
    );
  }
  const labelsOf = (name: string, values: string[]) =>
    Object.fromEntries(METRIC_CATALOG.find((spec) => spec.name === name)!.labels.map((label, index) => [label, values[index] ?? '']));
  record({
    counter:
      (name, ...labels) =>
      (value) => {
        ours
          .counter(name)
          .labels(...labels)
          .inc(value);
        (promMetrics.get(name) as client.Counter).inc(labelsOf(name, labels), value);
      },
    gauge:
      (name, ...labels) =>
      (value) => {
        ours
          .gauge(name)
          .labels(...labels)
          .set(value);
        (promMetrics.get(name) as client.Gauge).set(labelsOf(name, labels), value);
      },
    histogram:
      (name, ...labels) =>
      (value) => {
        ours
          .histogram(name)
          .labels(...labels)
          .observe(value);
        (promMetrics.get(name) as client.Histogram).observe(labelsOf(name, labels), value);
      },
  });
  return { ours: ours.metrics(), theirs: await theirs.metrics() };
}

describe('exposition', () => {
  it('writes the same series and values as prom-client for the same recorded values', async () => {
    const { ours, theirs } = await recordBoth(({ counter, gauge, histogram }) => {
      counter('index_miss_count')(41);
      counter('index_miss_count')(1);
      gauge('index_miss_ratio')(0.125);
      for (const feature of NASTY_VALUES) {
        counter('nan_count', feature)(3);
        gauge('estimated_distinct_id', feature)(1e9 + 7);
      }
      for (const value of [0, 0.0001, 0.00011, 0.003, 0.2, 9.99, 10, 11, 1e6]) histogram('lookup_rpc_time_cost')(value);
      histogram('update_gradient_time_cost')(0.5);
    });
    const parsedOurs = parseExposition(ours);
    const parsedTheirs = parseExposition(theirs);
    // prom-client also writes a 0 for every unlabelled metric nobody recorded; we write only what was
    // recorded (a node pre-creates the series of its role, see node-metrics). Compare the recorded families.
    const written = (key: string) => {
      const name = key.slice(0, key.indexOf('{'));
      return parsedOurs.types.has(name) || parsedOurs.types.has(name.replace(/_(bucket|sum|count)$/, ''));
    };
    const recorded = [...parsedTheirs.samples].filter(([key]) => written(key));
    expect(Object.fromEntries(parsedOurs.samples)).toEqual(Object.fromEntries(recorded));
    expect(parsedOurs.samples.size).toBe(2 + 2 * NASTY_VALUES.length + 2 * (17 + 2));
    for (const [name, type] of parsedOurs.types) expect(parsedTheirs.types.get(name)).toBe(type);
    for (const [name, help] of parsedOurs.helps) expect(parsedTheirs.helps.get(name)).toBe(help);
  });

  it('keeps label values with slashes, quotes, backslashes, newlines and unicode intact', () => {
    const registry = new MetricsRegistry();
    for (const value of NASTY_VALUES) registry.gauge('batch_unique_indices_rate').labels(value).set(0.5);
    const parsed = parseExposition(registry.metrics());
    for (const value of NASTY_VALUES) {
      expect(parsed.samples.get(`batch_unique_indices_rate{feature=${JSON.stringify(value)}}`)).toBe(0.5);
    }
  });

  it('writes histograms cumulatively with +Inf, _sum and _count', () => {
    const registry = new MetricsRegistry();
    const histogram = registry.histogram('lookup_rpc_time_cost');
    for (const value of [0.0002, 0.002, 0.002, 20]) histogram.observe(value);
    const samples = parseExposition(registry.metrics()).samples;
    expect(samples.get('lookup_rpc_time_cost_bucket{le="0.00025"}')).toBe(1);
    expect(samples.get('lookup_rpc_time_cost_bucket{le="0.0025"}')).toBe(3);
    expect(samples.get('lookup_rpc_time_cost_bucket{le="10"}')).toBe(3);
    expect(samples.get('lookup_rpc_time_cost_bucket{le="+Inf"}')).toBe(4);
    expect(samples.get('lookup_rpc_time_cost_count{}')).toBe(4);
    expect(samples.get('lookup_rpc_time_cost_sum{}')).toBeCloseTo(20.0042, 10);
  });

  it('never throws on values Prometheus cannot take: it drops and counts them', () => {
    const registry = new MetricsRegistry();
    registry.counter('index_miss_count').inc(-1);
    registry.counter('index_miss_count').inc(Number.NaN);
    registry.histogram('lookup_rpc_time_cost').observe(Number.NaN);
    registry.counter('index_miss_count').inc(2);
    expect(registry.counter('index_miss_count').value).toBe(2);
    expect(registry.rejectedSamples()).toBe(3);
  });

  it("writes NaN and infinities of gauges in the format's spelling", () => {
    const registry = new MetricsRegistry();
    registry.gauge('staleness').set(Number.NaN);
    registry.gauge('index_miss_ratio').set(Infinity);
    const text = registry.metrics();
    expect(text).toContain('staleness NaN\n');
    expect(text).toContain('index_miss_ratio +Inf\n');
  });

  it('refuses grouping labels, bad names and wrong label counts at definition time', () => {
    const registry = new MetricsRegistry([]);
    const base = { type: 'gauge', help: 'h', unit: '1', group: 'accuracy', roles: ['trainer'] } as const;
    expect(() => registry.define({ ...base, name: 'x', labels: ['instance'] })).toThrow(LabelClashError);
    expect(() => registry.define({ ...base, name: '1bad', labels: [] })).toThrow(MetricDefinitionError);
    expect(() => registry.define({ ...base, name: 'y', labels: ['__reserved'] })).toThrow(MetricDefinitionError);
    registry.define({ ...base, name: 'z', labels: ['feature'] });
    expect(() => registry.define({ ...base, name: 'z', labels: [] })).toThrow(/already defined/);
    expect(() => registry.gauge('z').labels('a', 'b')).toThrow(/takes 1 label value/);
    expect(() => registry.counter('z')).toThrow(/is a gauge, not a counter/);
  });
});
