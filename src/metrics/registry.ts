/**
 * A node's registry: one instrument per catalog entry, plus any the user defines with the same spec shape.
 *
 * Because every name is defined exactly once, with one type and one help text, what this registry writes
 * is consistent across every node of a job by construction: the guarantee the Pushgateway's per-push
 * consistency check (about 1 µs per stored series, the gateway's scale wall) would otherwise provide.
 */
import { MetricDefinitionError } from '../errors.js';
import { METRIC_CATALOG, type MetricSpec, type MetricType } from './catalog.js';
import { Counter, Gauge, Histogram, type MetricFamily } from './instruments.js';

type FamilyOf<T extends MetricType> = T extends 'counter' ? Counter : T extends 'gauge' ? Gauge : Histogram;

/** Runs right before each exposition, to refresh sampled values (runtime metrics, pusher health). */
export type Collector = () => void;

/** A source of extra exposition text, e.g. a prom-client Registry's `metrics()`. */
export interface ExpositionSource {
  metrics(): Promise<string> | string;
}

export class MetricsRegistry {
  private readonly families = new Map<string, MetricFamily<unknown>>();
  private readonly collectors: Collector[] = [];

  constructor(specs: readonly MetricSpec[] = METRIC_CATALOG) {
    for (const spec of specs) this.define(spec);
  }

  /** Add a metric beyond the catalog. Names are unique: a second definition of a name is refused. */
  define<T extends MetricType>(spec: MetricSpec & { type: T }): FamilyOf<T> {
    if (this.families.has(spec.name)) throw new MetricDefinitionError(`metric ${spec.name} is already defined`);
    const family = spec.type === 'counter' ? new Counter(spec) : spec.type === 'gauge' ? new Gauge(spec) : new Histogram(spec);
    this.families.set(spec.name, family as MetricFamily<unknown>);
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

  /** Refresh sampled values (runtime metrics, pusher health); every serializer calls it first. */
  collect(): void {
    for (const collect of this.collectors) collect();
  }

  /** The exposition text of every family that has at least one series. */
  metrics(): string {
    this.collect();
    let text = '';
    for (const family of this.families.values()) text += family.render();
    return text;
  }

  private typed(name: string, type: MetricType): MetricFamily<unknown> {
    const family = this.families.get(name);
    if (family === undefined) throw new MetricDefinitionError(`no metric named ${name} in the catalog`);
    if (family.spec.type !== type) throw new MetricDefinitionError(`metric ${name} is a ${family.spec.type}, not a ${type}`);
    return family;
  }
}
