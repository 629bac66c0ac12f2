/**
 * The same synthetic node registry built three times, with ours, prom-client and OpenTelemetry's SDK,
 * holding the same recorded values: what the push-cycle, memory and growth figures compare. A node's "series" here are the
 * sample lines the gateway stores (a histogram series is 16 buckets + +Inf + _sum + _count = 19 of them),
 * because that is what the gateway's cost is proportional to.
 */
import type { Attributes } from '@opentelemetry/api';
import client from 'prom-client';
import { TIME_COST_BUCKETS, type MetricSpec } from '../src/metrics/catalog.js';
import { MetricsRegistry } from '../src/metrics/registry.js';
import { otelMeter, type OtelMeter } from './opentelemetry.js';

const COUNTER_FAMILIES = 10;
const GAUGE_FAMILIES = 10;
const HISTOGRAM_FAMILIES = 1;
const LINES_PER_FEATURE = COUNTER_FAMILIES + GAUGE_FAMILIES + HISTOGRAM_FAMILIES * (TIME_COST_BUCKETS.length + 3);

export interface SyntheticShape {
  readonly features: number;
  /** Sample lines this shape writes. */
  readonly series: number;
}

/** The feature count that gives about `series` sample lines. */
export function shapeFor(series: number): SyntheticShape {
  const features = Math.max(1, Math.round(series / LINES_PER_FEATURE));
  return { features, series: features * LINES_PER_FEATURE };
}

export function syntheticSpecs(): MetricSpec[] {
  const base = { unit: '1', group: 'efficiency', roles: ['trainer'], labels: ['feature'] } as const;
  const specs: MetricSpec[] = [];
  for (let i = 0; i < COUNTER_FAMILIES; i += 1) specs.push({ ...base, name: `bench_events_${i}_total`, type: 'counter', help: `Synthetic counter ${i} per feature.` });
  for (let i = 0; i < GAUGE_FAMILIES; i += 1) specs.push({ ...base, name: `bench_level_${i}`, type: 'gauge', help: `Synthetic gauge ${i} per feature.` });
  for (let i = 0; i < HISTOGRAM_FAMILIES; i += 1) {
    specs.push({ ...base, name: `bench_latency_${i}_seconds`, type: 'histogram', unit: 'seconds', help: `Synthetic latency ${i} per feature.`, buckets: TIME_COST_BUCKETS });
  }
  return specs;
}

/** Deterministic values, so both registries record exactly the same thing. */
function valueFor(family: number, feature: number, step: number): number {
  return ((family * 7919 + feature * 104729 + step * 1299709) % 100_000) / 1000;
}

export function buildOurRegistry(shape: SyntheticShape): MetricsRegistry {
  const registry = new MetricsRegistry(syntheticSpecs());
  recordInto(shape, {
    counter: (name, feature, value) => registry.counter(name).labels(feature).inc(value),
    gauge: (name, feature, value) => registry.gauge(name).labels(feature).set(value),
    histogram: (name, feature, value) => registry.histogram(name).labels(feature).observe(value),
  });
  return registry;
}

export function buildPromRegistry(shape: SyntheticShape): client.Registry {
  const registry = new client.Registry();
  const families = new Map<string, client.Counter | client.Gauge | client.Histogram>();
  for (const spec of syntheticSpecs()) {
    const common = { name: spec.name, help: spec.help, labelNames: [...spec.labels], registers: [registry] };
    families.set(
      spec.name,
      spec.type === 'counter'
        ? new client.Counter(common)
        : spec.type === 'gauge'
          ? new client.Gauge(common)
          : new client.Histogram({ ...common, buckets: [...(spec.buckets ?? [])] }),
    );
  }
  recordInto(shape, {
    counter: (name, feature, value) => (families.get(name) as client.Counter).inc({ feature }, value),
    gauge: (name, feature, value) => (families.get(name) as client.Gauge).set({ feature }, value),
    histogram: (name, feature, value) => (families.get(name) as client.Histogram).observe({ feature }, value),
  });
  return registry;
}

/** OpenTelemetry's SDK with a Prometheus exporter as its reader; attributes objects built once per feature. */
export function buildOtelRegistry(shape: SyntheticShape): OtelMeter {
  const otel = otelMeter();
  // One function per instrument: counters add, gauges and histograms record.
  const instruments = new Map<string, (value: number, attributes: Attributes) => void>();
  for (const spec of syntheticSpecs()) {
    const options = { description: spec.help };
    if (spec.type === 'counter') {
      const counter = otel.meter.createCounter(spec.name, options);
      instruments.set(spec.name, (value, attributes) => counter.add(value, attributes));
    } else {
      const instrument =
        spec.type === 'gauge'
          ? otel.meter.createGauge(spec.name, options)
          : otel.meter.createHistogram(spec.name, { ...options, advice: { explicitBucketBoundaries: [...(spec.buckets ?? [])] } });
      instruments.set(spec.name, (value, attributes) => instrument.record(value, attributes));
    }
  }
  const attributes = new Map<string, { feature: string }>();
  const of = (feature: string): { feature: string } => {
    let found = attributes.get(feature);
    if (found === undefined) attributes.set(feature, (found = { feature }));
    return found;
  };
  recordInto(shape, {
    counter: (name, feature, value) => instruments.get(name)!(value, of(feature)),
    gauge: (name, feature, value) => instruments.get(name)!(value, of(feature)),
    histogram: (name, feature, value) => instruments.get(name)!(value, of(feature)),
  });
  return otel;
}

interface Recorder {
  counter(name: string, feature: string, value: number): void;
  gauge(name: string, feature: string, value: number): void;
  histogram(name: string, feature: string, value: number): void;
}

function recordInto(shape: SyntheticShape, recorder: Recorder): void {
  for (let feature = 0; feature < shape.features; feature += 1) {
    const label = `feature_${feature}`;
    for (let i = 0; i < COUNTER_FAMILIES; i += 1) recorder.counter(`bench_events_${i}_total`, label, Math.round(valueFor(i, feature, 0) * 1000));
    for (let i = 0; i < GAUGE_FAMILIES; i += 1) recorder.gauge(`bench_level_${i}`, label, valueFor(i, feature, 1));
    for (let i = 0; i < HISTOGRAM_FAMILIES; i += 1) {
      for (let step = 0; step < 5; step += 1) recorder.histogram(`bench_latency_${i}_seconds`, label, valueFor(i, feature, step) / 10_000);
    }
  }
}
