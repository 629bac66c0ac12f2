/**
 * A gauge: a series bound once by `family.labels(...)` (metric-family.ts) and recorded on with `set()`,
 * `inc()`, `dec()`, plain number updates. A value it cannot hold is dropped and counted in the family's
 * `rejectedSamples`, never thrown.
 */
import { MetricFamily } from './metric-family.js';

export class GaugeSeries {
  value = 0;
  constructor(
    private readonly family: MetricFamily<GaugeSeries>,
    /** Raw label values, in the order of the family's label names. */
    readonly labelValues: readonly string[],
  ) {}

  /** Any number, NaN and the infinities included (a gauge shows what it was told, until told again). */
  set(value: number): void {
    if (typeof value === 'number') this.value = value;
    else this.family.rejectedSamples += 1;
  }

  /** A finite step only: NaN or an infinity would stick to the gauge until the next set(). */
  inc(amount = 1): void {
    if (Number.isFinite(amount)) this.value += amount;
    else this.family.rejectedSamples += 1;
  }

  dec(amount = 1): void {
    if (Number.isFinite(amount)) this.value -= amount;
    else this.family.rejectedSamples += 1;
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

  protected createSeries(labelValues: readonly string[]): GaugeSeries {
    return new GaugeSeries(this, labelValues);
  }

  protected activity(series: GaugeSeries): number {
    return series.value;
  }
}
