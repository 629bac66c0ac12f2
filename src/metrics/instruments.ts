/**
 * Counters, gauges and histograms built for the hot path of a training loop.
 *
 * prom-client hashes the label object on every call, even on a kept child. Here a series is bound to its
 * label values once (`family.labels('feature_a')`) and recording is a plain number update on that object;
 * everything the exposition needs per series (the escaped label set, the line prefixes) is computed once
 * when the series is created, so a push only joins numbers into prepared strings.
 *
 * Recording never throws: a value Prometheus cannot take (negative counter increment, NaN) is dropped and
 * counted in `rejectedSamples`, because a metrics library must never crash the training loop it watches.
 */
import { LabelClashError, MetricDefinitionError } from '../errors.js';
import { GROUPING_LABELS, type MetricSpec } from './catalog.js';
import { assertLabelName, assertMetricName, familyHeader, formatLabelSet, formatValue } from './exposition-format.js';

const KEY_SEPARATOR = '\u0000';

export abstract class MetricFamily<Series> {
  readonly spec: MetricSpec;
  /** Samples dropped because Prometheus could not represent them (e.g. a negative counter increment). */
  rejectedSamples = 0;
  protected readonly series = new Map<string, Series>();
  /** The series without label values: for unlabelled metrics the only one. Created lazily for labelled ones. */
  private unlabelledSeries: Series | undefined;

  constructor(spec: MetricSpec) {
    assertMetricName(spec.name);
    for (const label of spec.labels) {
      assertLabelName(spec.name, label);
      if (GROUPING_LABELS.includes(label)) throw new LabelClashError(spec.name, label);
    }
    this.spec = spec;
  }

  /** The series for these label values, created on first use. Keep the result: it is the fast path. */
  labels(...values: string[]): Series {
    const key = values.length === 1 ? (values[0] ?? '') : values.join(KEY_SEPARATOR);
    let found = this.series.get(key);
    if (found === undefined) {
      if (values.length !== this.spec.labels.length) {
        throw new MetricDefinitionError(
          `metric ${this.spec.name} takes ${this.spec.labels.length} label value(s) (${this.spec.labels.join(', ') || 'none'}), got ${values.length}`,
        );
      }
      found = this.createSeries(values.map(String), formatLabelSet(this.spec.labels, values.map(String)));
      this.series.set(key, found);
    }
    return found;
  }

  protected get unlabelled(): Series {
    this.unlabelledSeries ??= this.labels(...this.spec.labels.map(() => ''));
    return this.unlabelledSeries;
  }

  get seriesCount(): number {
    return this.series.size;
  }

  /** Drop every series (label values seen so far), e.g. when the feature set changes. */
  clear(): void {
    this.series.clear();
    this.unlabelledSeries = undefined;
  }

  /** Append this family's exposition (HELP, TYPE, samples) to `out`. Families with no series write nothing. */
  writeTo(out: string[]): void {
    if (this.series.size === 0) return;
    out.push(familyHeader(this.spec.name, this.spec.help, this.spec.type));
    for (const series of this.series.values()) this.writeSeries(series, out);
  }

  protected abstract createSeries(labelValues: readonly string[], labelSet: string): Series;
  protected abstract writeSeries(series: Series, out: string[]): void;
}

export class CounterSeries {
  value = 0;
  constructor(
    private readonly family: MetricFamily<CounterSeries>,
    readonly linePrefix: string,
  ) {}

  inc(amount = 1): void {
    if (amount >= 0 && amount !== Infinity) this.value += amount;
    else this.family.rejectedSamples += 1;
  }
}

export class Counter extends MetricFamily<CounterSeries> {
  inc(amount = 1): void {
    this.unlabelled.inc(amount);
  }

  get value(): number {
    return this.unlabelled.value;
  }

  protected createSeries(_values: readonly string[], labelSet: string): CounterSeries {
    return new CounterSeries(this, `${this.spec.name}${labelSet} `);
  }

  protected writeSeries(series: CounterSeries, out: string[]): void {
    out.push(series.linePrefix, formatValue(series.value), '\n');
  }
}

export class GaugeSeries {
  value = 0;
  constructor(readonly linePrefix: string) {}

  set(value: number): void {
    this.value = value;
  }

  inc(amount = 1): void {
    this.value += amount;
  }

  dec(amount = 1): void {
    this.value -= amount;
  }

  setToCurrentTime(): void {
    this.value = Date.now() / 1000;
  }
}

export class Gauge extends MetricFamily<GaugeSeries> {
  set(value: number): void {
    this.unlabelled.set(value);
  }

  inc(amount = 1): void {
    this.unlabelled.inc(amount);
  }

  dec(amount = 1): void {
    this.unlabelled.dec(amount);
  }

  get value(): number {
    return this.unlabelled.value;
  }

  protected createSeries(_values: readonly string[], labelSet: string): GaugeSeries {
    return new GaugeSeries(`${this.spec.name}${labelSet} `);
  }

  protected writeSeries(series: GaugeSeries, out: string[]): void {
    out.push(series.linePrefix, formatValue(series.value), '\n');
  }
}

export class HistogramSeries {
  /** Non-cumulative count per bucket; the last slot is +Inf. Cumulated only when written. */
  readonly bucketCounts: Float64Array;
  sum = 0;
  count = 0;

  constructor(
    private readonly family: Histogram,
    private readonly upperBounds: Float64Array,
    readonly bucketPrefixes: readonly string[],
    readonly sumPrefix: string,
    readonly countPrefix: string,
  ) {
    this.bucketCounts = new Float64Array(upperBounds.length + 1);
  }

  observe(value: number): void {
    if (Number.isNaN(value)) {
      this.family.rejectedSamples += 1;
      return;
    }
    const bounds = this.upperBounds;
    let index = 0;
    while (index < bounds.length && value > bounds[index]!) index += 1;
    this.bucketCounts[index]! += 1;
    this.sum += value;
    this.count += 1;
  }

  /** Returns a function that observes the seconds elapsed since this call, and returns them. */
  startTimer(): () => number {
    const start = process.hrtime.bigint();
    return () => {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      this.observe(seconds);
      return seconds;
    };
  }
}

export class Histogram extends MetricFamily<HistogramSeries> {
  private readonly upperBounds: Float64Array;

  constructor(spec: MetricSpec) {
    super(spec);
    const buckets = spec.buckets ?? [];
    if (buckets.length === 0 || buckets.some((bound, index) => index > 0 && bound <= (buckets[index - 1] ?? -Infinity))) {
      throw new MetricDefinitionError(`histogram ${spec.name} needs strictly ascending buckets`);
    }
    if (spec.labels.includes('le')) throw new MetricDefinitionError(`histogram ${spec.name} cannot use the label "le"`);
    this.upperBounds = Float64Array.from(buckets);
  }

  observe(value: number): void {
    this.unlabelled.observe(value);
  }

  startTimer(): () => number {
    return this.unlabelled.startTimer();
  }

  get count(): number {
    return this.unlabelled.count;
  }

  protected createSeries(values: readonly string[], labelSet: string): HistogramSeries {
    const name = this.spec.name;
    const bucketPrefixes = [...this.upperBounds, Infinity].map(
      (bound) => `${name}_bucket${formatLabelSet(this.spec.labels, values, `le="${formatValue(bound)}"`)} `,
    );
    return new HistogramSeries(this, this.upperBounds, bucketPrefixes, `${name}_sum${labelSet} `, `${name}_count${labelSet} `);
  }

  protected writeSeries(series: HistogramSeries, out: string[]): void {
    let cumulative = 0;
    const counts = series.bucketCounts;
    for (let index = 0; index < counts.length; index += 1) {
      cumulative += counts[index]!;
      out.push(series.bucketPrefixes[index]!, formatValue(cumulative), '\n');
    }
    out.push(series.sumPrefix, formatValue(series.sum), '\n', series.countPrefix, formatValue(series.count), '\n');
  }
}
