/**
 * A node's registry: one instrument per catalog entry, plus any the user defines with the same spec shape.
 *
 * Because every name is defined exactly once, with one type and one help text, what this registry writes
 * is consistent across every node of a job by construction: the guarantee the Pushgateway's per-push
 * consistency check (about 1 µs per stored series, the gateway's scale wall) would otherwise provide.
 */
import { MetricDefinitionError } from '../errors.js';
import { findMetricSpec, METRIC_CATALOG, OVERFLOW_BINDINGS_METRIC, REJECTED_SAMPLES_METRIC, type MetricSpec, type MetricType } from './catalog.js';
import { Counter } from './counter.js';
import { Gauge } from './gauge.js';
import { Histogram } from './histogram.js';
import type { MetricFamily } from './metric-family.js';
import { checkedSpec } from './metric-spec.js';
import { ProtobufExposition } from './protobuf-exposition.js';
import { TextExposition } from './text-exposition.js';
import type { SeriesLimits } from './series-limit.js';

/** Series names the Pushgateway adds to every group itself: a pushed family with one of them is refused. */
export const GATEWAY_OWNED_NAMES: readonly string[] = ['push_time_seconds', 'push_failure_time_seconds'];

/** The sample names a family writes: its own, and for a histogram `_bucket`, `_sum` and `_count` too. */
export function sampleNames(spec: Pick<MetricSpec, 'name' | 'type'>): string[] {
  return spec.type === 'histogram' ? [spec.name, `${spec.name}_bucket`, `${spec.name}_sum`, `${spec.name}_count`] : [spec.name];
}

export type FamilyOf<T extends MetricType> = T extends 'counter' ? Counter : T extends 'gauge' ? Gauge : Histogram;

/** Runs right before each exposition, to refresh sampled values (runtime metrics, pusher health). */
export type Collector = () => void;

/** A source of extra exposition text, e.g. a prom-client Registry's `metrics()`. */
export interface ExpositionSource {
  metrics(): Promise<string> | string;
}

export class MetricsRegistry {
  private readonly families = new Map<string, MetricFamily<unknown>>();
  /** Every sample name a defined family writes → that family's name (or the gateway's). */
  private readonly sampleOwners = new Map<string, string>(GATEWAY_OWNED_NAMES.map((name) => [name, 'the Pushgateway']));
  private readonly collectors: Collector[] = [];
  private text: TextExposition | undefined;
  private protobuf: ProtobufExposition | undefined;
  private readonly limits: SeriesLimits | undefined;

  /**
   * `limits`: the series limit of every family defined here (unless its spec sets maxSeries), the idle drop,
   * and where a family's first folded label set is reported (src/metrics/series-limit.ts); default: 2,000
   * series per family, no idle drop, not reported (still counted).
   */
  constructor(specs: readonly MetricSpec[] = METRIC_CATALOG, limits?: SeriesLimits) {
    this.limits = limits;
    for (const spec of specs) this.define(spec);
  }

  /**
   * Add a metric beyond the catalog. Every field is checked (a MetricDefinitionError names the one missing or
   * wrong), and names are unique down to the samples: a second definition of a name is refused, and so is a
   * family whose samples another family writes (`x_count` beside a histogram `x`) or the gateway adds
   * (`push_time_seconds`): the gateway would refuse or merge them.
   */
  define<T extends MetricType>(input: MetricSpec & { type: T }): FamilyOf<T> {
    const spec = checkedSpec(input);
    if (this.families.has(spec.name)) throw new MetricDefinitionError(`metric ${spec.name} is already defined`);
    const names = sampleNames(spec);
    for (const name of names) {
      const owner = this.sampleOwners.get(name);
      if (owner !== undefined) {
        throw new MetricDefinitionError(
          `${spec.type} ${spec.name} would write samples named ${name}, which ${owner === 'the Pushgateway' ? owner : `metric ${owner}`} writes already; choose another name`,
        );
      }
    }
    const limits = this.limits;
    const family = spec.type === 'counter' ? new Counter(spec, limits) : spec.type === 'gauge' ? new Gauge(spec, limits) : new Histogram(spec, limits);
    this.families.set(spec.name, family);
    for (const name of names) this.sampleOwners.set(name, spec.name);
    return family as FamilyOf<T>;
  }

  counter(name: string): Counter {
    return this.typed(name, 'counter') as Counter;
  }

  gauge(name: string): Gauge {
    return this.typed(name, 'gauge') as Gauge;
  }

  histogram(name: string): Histogram {
    return this.typed(name, 'histogram') as Histogram;
  }

  get(name: string): MetricFamily<unknown> | undefined {
    return this.families.get(name);
  }

  names(): string[] {
    return [...this.families.keys()];
  }

  addCollector(collector: Collector): void {
    this.collectors.push(collector);
  }

  /** Samples dropped across all families because Prometheus could not represent them. */
  rejectedSamples(): number {
    let total = 0;
    for (const family of this.families.values()) total += family.rejectedSamples;
    return total;
  }

  seriesCount(): number {
    let total = 0;
    for (const family of this.families.values()) total += family.seriesCount;
    return total;
  }

  /** Label sets folded past their family's series limit, across all families. */
  overflowBindings(): number {
    let total = 0;
    for (const family of this.families.values()) total += family.overflowBindings;
    return total;
  }

  /**
   * Refresh sampled values (runtime metrics, pusher health), the dropped-sample and folded-binding counts, and
   * (when enabled) drop idle series; every serializer calls it first, so whatever builds a body publishes them
   * without wiring of its own.
   */
  collect(): void {
    for (const collect of this.collectors) collect();
    if (this.limits?.dropIdleSeriesSeconds !== undefined) {
      const now = performance.now();
      for (const family of this.families.values()) family.dropIdleSeries(now);
    }
    this.publishPerFamily(REJECTED_SAMPLES_METRIC, (family) => family.rejectedSamples);
    this.publishPerFamily(OVERFLOW_BINDINGS_METRIC, (family) => family.overflowBindings);
  }

  /**
   * persia_metrics_rejected_samples_total{metric} and persia_metrics_overflow_bindings_total{metric}: one
   * series per family with a count, appearing with its first. Set from the families' own counts (which only
   * grow), so neither recording nor binding has anything more to do.
   */
  private publishPerFamily(name: string, count: (family: MetricFamily<unknown>) => number): void {
    const published = this.families.get(name);
    if (!(published instanceof Counter) || published.spec.labels.length !== 1) return; // a registry without the catalog entry
    for (const family of this.families.values()) {
      const value = count(family);
      if (value > 0) published.labels(family.spec.name).value = value;
    }
  }

  /** The exposition text of every family that has at least one series. */
  metrics(): string {
    this.collect();
    return this.textExposition.families(this.families.values());
  }

  /**
   * This registry's text encoder, with its per-series line prefixes; created on first use, so a node that
   * pushes protobuf keeps none. Encoders belong to one registry: two registries never share a cache.
   * @internal the push body's; not part of the public API (left out of the published types)
   */
  get textExposition(): TextExposition {
    this.text ??= new TextExposition();
    return this.text;
  }

  /**
   * This registry's protobuf encoder, with its per-series label bytes and its one writer; created on first use.
   * @internal the push body's; not part of the public API (left out of the published types)
   */
  get protobufExposition(): ProtobufExposition {
    this.protobuf ??= new ProtobufExposition();
    return this.protobuf;
  }

  private typed(name: string, type: MetricType): MetricFamily<unknown> {
    const family = this.families.get(name);
    if (family === undefined) {
      // A node started with catalog: 'health' (the agent) holds the catalog's health families alone.
      const held =
        findMetricSpec(name) === undefined
          ? 'in the catalog'
          : "in this registry, which holds part of the catalog (a node started with catalog: 'health' records none of its families but its health)";
      throw new MetricDefinitionError(`no metric named ${name} ${held}`);
    }
    if (family.spec.type !== type) throw new MetricDefinitionError(`metric ${name} is a ${family.spec.type}, not a ${type}`);
    return family;
  }
}
