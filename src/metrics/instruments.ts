/**
 * Counters, gauges and histograms built for the hot path of a training loop.
 *
 * prom-client hashes the label object on every call, even on a kept child. Here a series is bound to its
 * label values once (`family.labels('feature_a')`) and recording is a plain number update on that object.
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
import { LabelClashError, MetricDefinitionError } from '../errors.js';
import { GROUPING_LABELS, NODE_ROLES, type MetricGroup, type MetricSpec, type MetricType } from './catalog.js';
import { assertHelp, assertLabelName, assertMetricName, hasLoneSurrogate, type ExposedFamily } from './exposition-format.js';
import { renderFamilyText } from './text-exposition.js';
import { DEFAULT_MAX_SERIES_PER_FAMILY } from '../config/options.js';
import { OVERFLOW_VALUE, offendingPosition, overflowSeriesCap, overflowWarning, retiredKey, type SeriesLimits } from './series-limit.js';

/**
 * What `labels()` takes. A number or bigint means the same series as its string form, `String(value)`
 * (`labels(42)` is `labels('42')`, `labels(42n)` too; -0 is '0'): JavaScript callers hold numeric feature ids,
 * and two series with one label set would make the gateway refuse the whole family. Anything else (undefined,
 * null, booleans, objects) is a MetricDefinitionError, every time: it is a bug in the caller, not a value to
 * guess a meaning for (undefined used to mean '', and `true` would silently become "true").
 */
export type LabelValue = string | number | bigint;

const METRIC_TYPES: readonly MetricType[] = ['counter', 'gauge', 'histogram'];
const METRIC_GROUPS: readonly MetricGroup[] = ['accuracy', 'efficiency', 'runtime', 'health', 'pusher'];

/** How a value the caller passed reads in an error message. */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'symbol') return 'a symbol';
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'bigint') return `${value}n`;
  return typeof value === 'number' || typeof value === 'boolean' ? String(value) : 'undefined';
}

/**
 * A spec checked field by field and copied (frozen, so a caller mutating its arrays later changes nothing):
 * a JavaScript caller that leaves out a field gets an error naming it, not a TypeError from deep inside.
 * Histogram bounds are normalised here: -0 becomes 0 (the text format prints both as "0", protobuf would
 * keep the sign).
 */
export function checkedSpec(input: unknown): MetricSpec {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new MetricDefinitionError(`a metric definition is an object { name, type, help, unit, group, roles, labels, buckets (histograms) }, got ${describe(input)}`);
  }
  const spec = input as Record<string, unknown>;
  const name = spec['name'];
  if (typeof name !== 'string') throw new MetricDefinitionError(`metric definition: field "name" ${name === undefined ? 'is missing' : `must be a string, got ${describe(name)}`}`);
  assertMetricName(name);
  const field = <T>(key: string, expected: string, valid: (value: unknown) => value is T): T => {
    const value = spec[key];
    if (valid(value)) return value;
    throw new MetricDefinitionError(`metric ${name}: field "${key}" ${value === undefined ? `is missing (expected ${expected})` : `must be ${expected}, got ${describe(value)}`}`);
  };
  const type = field('type', METRIC_TYPES.join(' | '), (value): value is MetricType => METRIC_TYPES.includes(value as MetricType));
  const help = field('help', 'a string', (value): value is string => typeof value === 'string');
  assertHelp(name, help);
  const unit = field('unit', "a string ('seconds', 'bytes', 'ratio', '1')", (value): value is string => typeof value === 'string');
  const group = field('group', METRIC_GROUPS.join(' | '), (value): value is MetricGroup => METRIC_GROUPS.includes(value as MetricGroup));
  const roles = field(
    'roles',
    `an array of roles (${NODE_ROLES.join(', ')})`,
    (value): value is MetricSpec['roles'] => Array.isArray(value) && value.every((role: unknown) => NODE_ROLES.some((known) => known === role)),
  );
  const labels = field('labels', 'an array of label names ([] for none)', (value): value is string[] => Array.isArray(value) && value.every((label) => typeof label === 'string'));
  const seen = new Set<string>();
  for (const label of labels) {
    assertLabelName(name, label);
    if (GROUPING_LABELS.includes(label)) throw new LabelClashError(name, label);
    if (seen.has(label)) throw new MetricDefinitionError(`metric ${name}: label "${label}" is listed twice`);
    seen.add(label);
  }
  const maxSeries = spec['maxSeries'];
  if (maxSeries !== undefined && !(maxSeries === Infinity || (Number.isInteger(maxSeries) && (maxSeries as number) >= 1))) {
    throw new MetricDefinitionError(`metric ${name}: field "maxSeries" must be a positive integer (or Infinity for values from a fixed set), got ${describe(maxSeries)}`);
  }
  const checked: MetricSpec = {
    name,
    type,
    help,
    unit,
    group,
    roles: Object.freeze([...roles]),
    labels: Object.freeze([...labels]),
    ...(maxSeries === undefined ? {} : { maxSeries: maxSeries as number }),
  };
  if (type !== 'histogram') return Object.freeze(checked);
  if (labels.includes('le')) throw new MetricDefinitionError(`histogram ${name} cannot use the label "le"`);
  const buckets = field('buckets', 'a non-empty array of finite upper bounds, ascending, without +Inf', (value): value is number[] => Array.isArray(value) && value.length > 0);
  return Object.freeze({ ...checked, buckets: Object.freeze(checkedBounds(name, unit, buckets)) });
}

function checkedBounds(name: string, unit: string, buckets: readonly unknown[]): number[] {
  const bounds: number[] = [];
  for (const [index, bound] of buckets.entries()) {
    const where = `histogram ${name}: bucket bound ${index} (${describe(bound)})`;
    if (typeof bound !== 'number') throw new MetricDefinitionError(`${where} is not a number`);
    if (bound === Infinity) throw new MetricDefinitionError(`${where}: leave +Inf out, every histogram has a +Inf bucket already`);
    if (!Number.isFinite(bound)) throw new MetricDefinitionError(`${where} is not a finite number`);
    if (index > 0 && !(bound > bounds[index - 1]!)) throw new MetricDefinitionError(`histogram ${name} needs strictly ascending buckets (bound ${index} is ${bound})`);
    // A duration is never negative (observe() drops negative seconds), so neither is a bound of one.
    if (unit === 'seconds' && bound < 0) throw new MetricDefinitionError(`${where}: a histogram in seconds cannot have a negative bound`);
    bounds.push(bound + 0); // -0 → 0
  }
  return bounds;
}

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
  /**
   * Label value → series for one label; for more, value → the next label's map. A tree rather than one map
   * keyed by joined values: no separator character, so no label value (a NUL included) can make two label
   * sets one key.
   */
  private readonly index = new Map<string, unknown>();
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
    if (values.length !== arity) throw this.arityError(values.length);
    if (arity === 1) {
      const value = values[0];
      const key = typeof value === 'string' ? value : this.labelText(0, value);
      return (this.index.get(key) as Series | undefined) ?? this.bind([key]);
    }
    if (arity === 0) return this.unlabelledSeries ?? this.create([]);
    // Convert every value before looking anything up: a bad one throws whether or not the rest exist.
    const keys = values as string[];
    for (let position = 0; position < arity; position += 1) {
      const value = values[position];
      if (typeof value !== 'string') keys[position] = this.labelText(position, value);
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

  private arityError(count: number): MetricDefinitionError {
    const { name, labels } = this.spec;
    const takes = labels.length === 0 ? 'no label values (call .labels() with none)' : `${labels.length} label value(s) (${labels.join(', ')})`;
    return new MetricDefinitionError(`metric ${name} takes ${takes}, got ${count}`);
  }

  private labelText(position: number, value: unknown): string {
    if (typeof value === 'number' || typeof value === 'bigint') return String(value);
    throw new MetricDefinitionError(
      `metric ${this.spec.name}: label "${this.spec.labels[position]}" got ${describe(value)}; a label value is a string or a number (the same series as its decimal string)`,
    );
  }

  /**
   * A label set not in the index: a series dropped as idle and still alive comes back; below the limit a new
   * series is made; past it the label set folds (the guard: here, never in inc/set/observe).
   */
  private bind(keys: string[]): Series {
    for (const [position, key] of keys.entries()) {
      if (hasLoneSurrogate(key)) {
        throw new MetricDefinitionError(
          `metric ${this.spec.name}: the value of label "${this.spec.labels[position]}" holds a lone UTF-16 surrogate; it has no UTF-8 form and would arrive as U+FFFD, the same as other values`,
        );
      }
    }
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
    const keys = valuesOf(series);
    let level = this.index;
    for (let position = 0; position < keys.length - 1; position += 1) {
      let next = level.get(keys[position]!) as Map<string, unknown> | undefined;
      if (next === undefined) {
        next = new Map();
        level.set(keys[position]!, next);
      }
      level = next;
    }
    level.set(keys[keys.length - 1]!, series);
    this.list.push(series);
    return series;
  }

  /** The series bound to exactly these label values, if any. */
  private lookup(keys: readonly string[]): Series | undefined {
    let level: Map<string, unknown> | undefined = this.index;
    for (let position = 0; position < keys.length - 1 && level !== undefined; position += 1) level = level.get(keys[position]!) as Map<string, unknown> | undefined;
    return level?.get(keys[keys.length - 1]!) as Series | undefined;
  }

  /** Takes a series out of the index (pruning maps left empty) and keeps it weakly; the caller drops it from the list. */
  private retire(series: Series, mark: number): void {
    const keys = valuesOf(series);
    const path: (Map<string, unknown> | undefined)[] = [this.index];
    for (let position = 0; position < keys.length - 1; position += 1) path.push(path[position]?.get(keys[position]!) as Map<string, unknown> | undefined);
    for (let position = keys.length - 1; position >= 0; position -= 1) {
      const level = path[position];
      level?.delete(keys[position]!);
      if (level === undefined || level.size > 0) break;
    }
    this.overflow.delete(series);
    this.retired.set(retiredKey(keys), { ref: new WeakRef(series as Series & object), mark });
  }

  /** A number that changes when the series is recorded on (a counter's value, a histogram's count). */
  protected abstract activity(series: Series): number;

  protected abstract createSeries(labelValues: readonly string[]): Series;
}

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
