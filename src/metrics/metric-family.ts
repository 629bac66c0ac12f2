/**
 * A metric family: its series table (one series per label set, bound once by `labels()`: prom-client hashes
 * the label object on every call, even on a kept child), the cardinality
 * guard that folds label sets past the family's limit (its rules in series-limit.ts), and the idle sweep.
 * The instruments (counter.ts, gauge.ts, histogram.ts) extend it with their series class and record on
 * that series, never through the family: recording is a plain number update on the object `labels()` gave.
 *
 * A series carries its raw label values (`labelValues`); the encoders (text-exposition.ts,
 * protobuf-exposition.ts) read them through the series model of exposition-format.ts and keep, per encoder
 * instance, what they derive from them once (escaped line prefixes, encoded label pairs).
 *
 * Recording never throws: a value that is not a number ('5' from untyped data), or one Prometheus cannot take
 * (a negative counter increment, NaN, an infinite or negative duration) is dropped and counted in
 * `rejectedSamples` (pushed as persia_metrics_rejected_samples_total{metric}, see registry.ts), because a
 * metrics library must never crash the training loop it watches. Binding a series is where mistakes in the
 * program itself (wrong number of label values, a label value that is not a string or number) throw.
 */
import { MetricDefinitionError } from '../errors.js';
import type { MetricSpec } from './catalog.js';
import { type ExposedFamily } from './exposition-format.js';
import { arityError, checkEncodable, labelText, type LabelValue } from './label-values.js';
import { checkedSpec } from './metric-spec.js';
import { findSeries, indexSeries, unindexSeries, type SeriesIndex } from './series-index.js';
import { renderFamilyText } from './text-exposition.js';
import { DEFAULT_MAX_SERIES_PER_FAMILY } from '../config/options.js';
import { OVERFLOW_VALUE, offendingPosition, overflowSeriesCap, overflowWarning, retiredKey, type SeriesLimits } from './series-limit.js';

export type { LabelValue };

/** The label values of every series of a family without labels. */
const NO_LABEL_VALUES: readonly string[] = Object.freeze([]);
const DEFAULT_LIMITS: SeriesLimits = { maxSeriesPerFamily: DEFAULT_MAX_SERIES_PER_FAMILY };

/** Every series class carries its label values; the family's type parameter does not say so. */
function valuesOf(series: unknown): readonly string[] {
  return (series as { readonly labelValues: readonly string[] }).labelValues;
}

/** A series the idle sweep dropped: held weakly, so it is forgotten unless the program still holds it. */
interface Retired<Series> {
  readonly ref: WeakRef<Series & object>;
  /** Its activity when dropped: a different one later means the program recorded on it since. */
  mark: number;
}

export abstract class MetricFamily<Series> implements ExposedFamily {
  readonly spec: MetricSpec;
  /** Samples dropped because Prometheus could not represent them (e.g. a negative counter increment, a string). */
  rejectedSamples = 0;
  /** Series kept before new label sets fold (spec.maxSeries, else the node's max_series_per_family). */
  readonly maxSeries: number;
  /** labels() calls past the limit whose label set was folded into an overflow series (see series-limit.ts). */
  overflowBindings = 0;
  /**
   * Every series, in creation order: what the serializers walk. Replaced, never edited, when the idle sweep
   * drops series, so an encoder walking the previous one (a push written in slices) finishes it unchanged.
   */
  private list: Series[] = [];
  /** Label values → series (series-index.ts). */
  private readonly index: SeriesIndex = new Map();
  /** The one series of a family without labels. */
  private unlabelledSeries: Series | undefined;
  private readonly arity: number;
  private readonly limits: SeriesLimits;
  /** The label whose value folds past the limit; chosen at the first fold (-1 before). */
  private foldedPosition = -1;
  private reported = false;
  /** The overflow series among `list`: they do not count against the limit (their own cap does). */
  private readonly overflow = new Set<Series>();
  /** Per position of `list`, the activity and since when it has not changed (idle sweep only). */
  private marks: number[] = [];
  private since: number[] = [];
  /** Dropped idle series by label set (idle sweep only). */
  private readonly retired = new Map<string, Retired<Series>>();

  constructor(spec: MetricSpec, limits: SeriesLimits = DEFAULT_LIMITS) {
    this.spec = checkedSpec(spec);
    this.arity = this.spec.labels.length;
    this.limits = limits;
    this.maxSeries = this.spec.maxSeries ?? limits.maxSeriesPerFamily;
  }

  /**
   * The series for these label values, created on first use. Keep the result: it is the fast path. Takes
   * exactly one value per label, every time (a MetricDefinitionError otherwise, however the family was used
   * before); numbers mean the same series as their string form (see LabelValue).
   */
  labels(...values: LabelValue[]): Series {
    const arity = this.arity;
    if (values.length !== arity) throw arityError(this.spec, values.length);
    if (arity === 1) {
      const value = values[0];
      const key = typeof value === 'string' ? value : labelText(this.spec, 0, value);
      return (this.index.get(key) as Series | undefined) ?? this.bind([key]);
    }
    if (arity === 0) return this.unlabelledSeries ?? this.create([]);
    // Convert every value before looking anything up: a bad one throws whether or not the rest exist.
    const keys = values as string[];
    for (let position = 0; position < arity; position += 1) {
      const value = values[position];
      if (typeof value !== 'string') keys[position] = labelText(this.spec, position, value);
    }
    let level = this.index;
    for (let position = 0; position < arity - 1; position += 1) {
      const next = level.get(keys[position]!) as Map<string, unknown> | undefined;
      if (next === undefined) return this.bind(keys);
      level = next;
    }
    return (level.get(keys[arity - 1]!) as Series | undefined) ?? this.bind(keys);
  }

  /** The family's series without label values; a family with labels has none (MetricDefinitionError). */
  protected get unlabelled(): Series {
    if (this.arity > 0) {
      throw new MetricDefinitionError(
        `metric ${this.spec.name} has label(s) (${this.spec.labels.join(', ')}): record on a series bound with .labels(...), e.g. .labels(value).inc()`,
      );
    }
    return this.unlabelledSeries ?? this.labels();
  }

  get seriesCount(): number {
    return this.list.length;
  }

  /** Drop every series (label values seen so far), e.g. when the feature set changes. */
  clear(): void {
    // In place: an encoder holding this list's iterator (a push written in slices) then sees it end.
    this.list.length = 0;
    this.index.clear();
    this.unlabelledSeries = undefined;
    this.overflow.clear();
    this.foldedPosition = -1;
    this.marks = [];
    this.since = [];
    this.retired.clear();
  }

  /**
   * The idle sweep (drop_idle_series_seconds), run by the registry before each exposition: a labelled series
   * whose activity (a counter's or gauge's value, a histogram's count) has not changed for that long leaves
   * the family and is held weakly. A program still holding it and recording on it gets it back at the next
   * sweep; binding its label set again gets the same series back while it lives, a fresh one once the
   * garbage collector took it. Families whose values the library chooses (maxSeries Infinity) are kept.
   * @internal the registry's collect() calls it; not part of the public API (left out of the published types)
   */
  dropIdleSeries(nowMs: number): void {
    const seconds = this.limits.dropIdleSeriesSeconds;
    if (seconds === undefined || this.arity === 0 || this.maxSeries === Infinity) return;
    for (const [key, entry] of this.retired) {
      const series = entry.ref.deref();
      if (series === undefined) this.retired.delete(key);
      else if (!Object.is(this.activity(series), entry.mark)) {
        // Recorded on through a kept handle: back into the pushes, past the limit if need be (it is the program's object).
        if (this.lookup(valuesOf(series)) === undefined) {
          this.retired.delete(key);
          this.attach(series);
        } else entry.mark = this.activity(series);
      }
    }
    const list = this.list;
    const kept: Series[] = [];
    const marks: number[] = [];
    const since: number[] = [];
    for (const [position, series] of list.entries()) {
      const mark = this.activity(series);
      if (position >= this.marks.length || !Object.is(mark, this.marks[position])) {
        kept.push(series);
        marks.push(mark);
        since.push(nowMs);
      } else if (nowMs - this.since[position]! >= seconds * 1000) this.retire(series, mark);
      else {
        kept.push(series);
        marks.push(mark);
        since.push(this.since[position]!);
      }
    }
    this.marks = marks;
    this.since = since;
    if (kept.length !== list.length) this.list = kept;
  }

  /**
   * This family's text exposition (HELP, TYPE, samples); '' for a family with no series. A one-off that
   * keeps nothing: pushes and MetricsRegistry.metrics() go through the registry's encoders, which cache.
   */
  render(): string {
    return renderFamilyText(this);
  }

  /** The series in creation order: what the encoders walk. */
  seriesValues(): IterableIterator<Series> {
    return this.list.values();
  }

  /**
   * A label set not in the index: a series dropped as idle and still alive comes back; below the limit a new
   * series is made; past it the label set folds (the guard: here, never in inc/set/observe).
   */
  private bind(keys: string[]): Series {
    checkEncodable(this.spec, keys);
    const full = this.arity > 0 && this.list.length - this.overflow.size >= this.maxSeries;
    if (this.retired.size > 0 && !full) {
      const key = retiredKey(keys);
      const series = this.retired.get(key)?.ref.deref();
      this.retired.delete(key);
      if (series !== undefined) return this.attach(series);
    }
    return full ? this.fold(keys) : this.create(keys);
  }

  /**
   * Past the limit: the offending label's value becomes OVERFLOW_VALUE, the other labels are kept, and the
   * label set records into that overflow series; past the overflow series' own cap, every label folds.
   */
  private fold(keys: string[]): Series {
    if (this.foldedPosition < 0) this.foldedPosition = offendingPosition(this.list.map(valuesOf), this.arity);
    this.overflowBindings += 1;
    if (!this.reported) {
      this.reported = true;
      try {
        this.limits.report?.(overflowWarning(this.spec.name, this.spec.labels, this.foldedPosition, this.maxSeries));
      } catch {
        // A logger that throws must not turn a binding into a crash of the training loop.
      }
    }
    const folded = [...keys];
    folded[this.foldedPosition] = OVERFLOW_VALUE;
    const existing = this.lookup(folded);
    if (existing !== undefined) return existing;
    if (this.overflow.size >= overflowSeriesCap(this.maxSeries)) {
      folded.fill(OVERFLOW_VALUE);
      const all = this.lookup(folded);
      if (all !== undefined) return all;
    }
    const series = this.create(folded);
    this.overflow.add(series);
    return series;
  }

  private create(keys: readonly string[]): Series {
    // Frozen: encoders keep what they derive from these values, so they must not change under them.
    const series = this.createSeries(keys.length === 0 ? NO_LABEL_VALUES : Object.freeze(keys));
    if (keys.length === 0) {
      this.unlabelledSeries = series;
      this.list.push(series);
      return series;
    }
    return this.attach(series);
  }

  /** Puts a labelled series into the index and the list. */
  private attach(series: Series): Series {
    indexSeries(this.index, valuesOf(series), series);
    this.list.push(series);
    return series;
  }

  /** The series bound to exactly these label values, if any. */
  private lookup(keys: readonly string[]): Series | undefined {
    return findSeries<Series>(this.index, keys);
  }

  /** Takes a series out of the index (pruning maps left empty) and keeps it weakly; the caller drops it from the list. */
  private retire(series: Series, mark: number): void {
    const keys = valuesOf(series);
    unindexSeries(this.index, keys);
    this.overflow.delete(series);
    this.retired.set(retiredKey(keys), { ref: new WeakRef(series as Series & object), mark });
  }

  /** A number that changes when the series is recorded on (a counter's value, a histogram's count). */
  protected abstract activity(series: Series): number;

  protected abstract createSeries(labelValues: readonly string[]): Series;
}
