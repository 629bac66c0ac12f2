/**
 * A counter: a series bound once by `family.labels(...)` (metric-family.ts) and recorded on with `inc()`, a
 * plain number update. A value it cannot count is dropped and counted in the family's `rejectedSamples`,
 * never thrown.
 */
import { MetricFamily } from './metric-family.js';

export class CounterSeries {
  value = 0;
  constructor(
    private readonly family: MetricFamily<CounterSeries>,
    /** Raw label values, in the order of the family's label names. */
    readonly labelValues: readonly string[],
  ) {}

  inc(amount = 1): void {
    // typeof first: `'5' >= 0` is true, and `value += '5'` would turn the count into a string.
    if (typeof amount === 'number' && amount >= 0 && amount !== Infinity) this.value += amount;
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

  protected createSeries(labelValues: readonly string[]): CounterSeries {
    return new CounterSeries(this, labelValues);
  }

  protected activity(series: CounterSeries): number {
    return series.value;
  }
}
