/**
 * The OpenTelemetry JS side of the bench (@opentelemetry/sdk-metrics 2.12, the last line for Node 20; its
 * 3.x needs Node 22.15): the other library a Node user would pick.
 *
 * Recording: OpenTelemetry has no bound series (bound instruments were removed from the API), so a labelled
 * call passes an attributes object every time; the bench passes one kept, constant object, its fastest form.
 * A gauge is the synchronous `Gauge.record()` (API 1.9), the closest to `set()`.
 *
 * Exposition: OpenTelemetry JS has no Pushgateway exporter; its Prometheus exporter serves scrapes. What a
 * scrape costs is measured here as the exporter does it: `collect()` (the SDK's aggregation of every data
 * point) then `PrometheusSerializer.serialize()`, with the exporter's defaults (target_info and the
 * otel_scope_* labels included), the server not started.
 */
import type { Attributes, Counter, Gauge, Histogram, Meter } from '@opentelemetry/api';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';

export interface OtelMeter {
  readonly meter: Meter;
  /** One scrape's work: collect every data point, then serialise it as Prometheus text. */
  expose(): Promise<string>;
}

export function otelMeter(): OtelMeter {
  const exporter = new PrometheusExporter({ preventServerStart: true });
  const provider = new MeterProvider({ readers: [exporter] });
  const serializer = new PrometheusSerializer();
  return {
    meter: provider.getMeter('persia-bench'),
    expose: async () => {
      const { resourceMetrics } = await exporter.collect();
      return serializer.serialize(resourceMetrics);
    },
  };
}

export interface OtelInstruments {
  readonly counter: Counter;
  readonly gauge: Gauge;
  readonly histogram: Histogram;
}

export function otelInstruments(meter: Meter, suffix: string, buckets: readonly number[]): OtelInstruments {
  return {
    counter: meter.createCounter(`c${suffix}`, { description: 'c' }),
    gauge: meter.createGauge(`g${suffix}`, { description: 'g' }),
    histogram: meter.createHistogram(`h${suffix}`, { description: 'h', unit: 's', advice: { explicitBucketBoundaries: [...buckets] } }),
  };
}

/** The attributes object a labelled call passes (kept, so no allocation is the caller's). */
export const FEATURE: Attributes = Object.freeze({ feature: 'user_id' });
