/**
 * A histogram: a series bound once by `family.labels(...)` (metric-family.ts) that counts `observe()`d
 * values into fixed buckets, with the bounds checked once when the metric is defined (metric-spec.ts). A
 * value it cannot count is dropped and counted in the family's `rejectedSamples`, never thrown.
 */
import type { MetricSpec } from './catalog.js';
import { MetricFamily } from './metric-family.js';
import type { SeriesLimits } from './series-limit.js';

export class HistogramSeries {
  /** Non-cumulative count per bucket; the last slot is +Inf. Cumulated only when written. */
  readonly bucketCounts: Float64Array;
  sum = 0;

  constructor(
    private readonly family: Histogram,
    private readonly upperBounds: Float64Array,
    /** Smallest value counted: 0 for a histogram in seconds (a duration is never negative), else -MAX_VALUE. */
    private readonly minimum: number,
    /** Raw label values, in the order of the family's label names. */
    readonly labelValues: readonly string[],
  ) {
    this.bucketCounts = new Float64Array(upperBounds.length + 1);
  }

  /** Observations so far: the sum of the buckets, so `observe` has one store fewer to make. */
  get count(): number {
    let total = 0;
    for (const bucket of this.bucketCounts) total += bucket;
    return total;
  }

  /**
   * Counts a finite number (a non-negative one in a histogram of seconds). NaN, the infinities, negative
   * durations and non-numbers are dropped and counted: one of them in `_sum` would make it NaN or ±Inf for
   * the rest of the run.
   */
  observe(value: number): void {
    // Before any comparison: comparing a string coerces it ('0.5' > 0.25), a symbol throws, an object runs
    // the caller's valueOf. One typeof on a value V8 already knows to be a number costs next to nothing.
    if (typeof value !== 'number') {
      this.family.rejectedSamples += 1;
      return;
    }
    const bounds = this.upperBounds;
    const last = bounds.length;
    let index = 0;
    // Linear, not binary: latencies sit in the low buckets, where a forward scan stops after a few steps
    // and predicts well (measured in bench/: binary search was no faster on a sweep, slower on small values).
    while (index < last && value > bounds[index]!) index += 1;
    // Every number that cannot be counted stops at an end: NaN, -Inf and values below the minimum stay in
    // slot 0 (bounds are finite, so +Inf never does), +Inf runs to the last. So each end checks only its own.
    if (index === 0 ? !(value >= this.minimum) : index === last && value === Infinity) {
      this.family.rejectedSamples += 1;
      return;
    }
    this.bucketCounts[index]! += 1;
    this.sum += value;
  }

  /**
   * Returns a function that observes the seconds elapsed since this call, and returns them. Only its first
   * call observes: a `done()` reached twice (a finally block after an explicit call) must not count one
   * operation twice; later calls return the same seconds.
   */
  startTimer(): () => number {
    const start = process.hrtime.bigint();
    let seconds: number | undefined;
    return () => {
      if (seconds !== undefined) return seconds;
      seconds = Number(process.hrtime.bigint() - start) / 1e9;
      this.observe(seconds);
      return seconds;
    };
  }
}

export class Histogram extends MetricFamily<HistogramSeries> {
  private readonly upperBounds: Float64Array;
  private readonly minimum: number;

  constructor(spec: MetricSpec, limits?: SeriesLimits) {
    super(spec, limits);
    // checkedSpec (in super) refused missing, NaN, infinite, unordered and, for seconds, negative bounds.
    this.upperBounds = Float64Array.from(this.spec.buckets ?? []);
    this.minimum = this.spec.unit === 'seconds' ? 0 : -Number.MAX_VALUE;
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

  protected createSeries(labelValues: readonly string[]): HistogramSeries {
    return new HistogramSeries(this, this.upperBounds, this.minimum, labelValues);
  }

  protected activity(series: HistogramSeries): number {
    return series.count;
  }
}
