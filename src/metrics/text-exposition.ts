/**
 * The Prometheus text exposition (0.0.4), read from the series model (exposition-format.ts) like the
 * protobuf encoder beside it (protobuf-exposition.ts).
 *
 * Per series, everything but the number is constant: the line prefixes (`name{a="x"} `, and for a
 * histogram one per bucket plus `_sum` and `_count`) are built and escaped once, the first time an encoder
 * sees the series, and kept by that encoder instance, so an exposition only joins numbers into prepared
 * strings. A registry has one instance (MetricsRegistry.textExposition): two registries never share them.
 */
import { familyHeader, formatLabelSet, formatValue, type ExposedFamily, type HistogramSeriesView, type ScalarSeriesView } from './exposition-format.js';

/** Per family: its header and, per series position, the series and its prefixes (`stride` of them each). */
class TextFamilyCache {
  readonly header: string;
  /** Prefixes per series: 1 for counters and gauges; buckets + 1 (+Inf) + 2 (_sum, _count) for histograms. */
  readonly stride: number;
  /** The series whose prefixes are kept, by position: another series there (after a clear()) is rebuilt. */
  readonly series: unknown[] = [];
  /** Flat: series i's prefixes are prefixes[i * stride, (i + 1) * stride). */
  readonly prefixes: string[] = [];
  /** `le="…"` of each bucket, +Inf last (histograms only). */
  private readonly bounds: string[];

  constructor(private readonly family: ExposedFamily) {
    const { name, help, type, buckets } = family.spec;
    this.header = familyHeader(name, help, type);
    this.bounds = type === 'histogram' ? [...(buckets ?? []), Infinity].map((bound) => `le="${formatValue(bound)}"`) : [];
    this.stride = type === 'histogram' ? this.bounds.length + 2 : 1;
  }

  /** Builds the prefixes of `series` at position `index`, dropping whatever was kept from there on. */
  store(index: number, series: unknown): void {
    const { name, labels } = this.family.spec;
    const values = (series as ScalarSeriesView).labelValues;
    this.series.length = index;
    this.prefixes.length = index * this.stride;
    this.series.push(series);
    const labelSet = formatLabelSet(labels, values);
    if (this.bounds.length === 0) {
      this.prefixes.push(`${name}${labelSet} `);
      return;
    }
    for (const bound of this.bounds) this.prefixes.push(`${name}_bucket${formatLabelSet(labels, values, bound)} `);
    this.prefixes.push(`${name}_sum${labelSet} `, `${name}_count${labelSet} `);
  }
}

export class TextExposition {
  private readonly caches = new WeakMap<ExposedFamily, TextFamilyCache>();
  private familiesCached = 0;

  /** Families this instance keeps prefixes for (each instance keeps its own). */
  get cachedFamilies(): number {
    return this.familiesCached;
  }

  /** The families' exposition, in order; families without series write nothing. */
  families(families: Iterable<ExposedFamily>): string {
    let text = '';
    for (const family of families) text += this.family(family);
    return text;
  }

  /** One family's exposition (HELP, TYPE, samples); '' for a family with no series. */
  family(family: ExposedFamily): string {
    if (family.seriesCount === 0) return '';
    const cache = this.cacheOf(family);
    // `+=` builds a rope that V8 flattens once when the body is written: measured ~2x faster than pushing
    // 3 pieces per line into an array and joining, with far fewer short-lived objects for the GC.
    let text = cache.header;
    let index = 0;
    // Locals, and the cache check inline: this loop runs once per series per exposition.
    const kept = cache.series;
    const prefixes = cache.prefixes;
    if (cache.stride === 1) {
      for (const series of family.seriesValues()) {
        if (index >= kept.length || kept[index] !== series) cache.store(index, series);
        text += `${prefixes[index]!}${formatValue((series as ScalarSeriesView).value)}\n`;
        index += 1;
      }
      return text;
    }
    const stride = cache.stride;
    for (const series of family.seriesValues()) {
      if (index >= kept.length || kept[index] !== series) cache.store(index, series);
      text += histogramLines(prefixes, index * stride, series as HistogramSeriesView);
      index += 1;
    }
    return text;
  }

  private cacheOf(family: ExposedFamily): TextFamilyCache {
    let cache = this.caches.get(family);
    if (cache === undefined) {
      cache = new TextFamilyCache(family);
      this.caches.set(family, cache);
      this.familiesCached += 1;
    }
    return cache;
  }
}

/** Buckets cumulated here (the series keeps them per bucket, so `observe` makes one store), then _sum, _count. */
function histogramLines(prefixes: readonly string[], first: number, series: HistogramSeriesView): string {
  let cumulative = 0;
  let text = '';
  const counts = series.bucketCounts;
  for (let index = 0; index < counts.length; index += 1) {
    cumulative += counts[index]!;
    text += `${prefixes[first + index]!}${formatValue(cumulative)}\n`;
  }
  const after = first + counts.length;
  return `${text}${prefixes[after]!}${formatValue(series.sum)}\n${prefixes[after + 1]!}${formatValue(cumulative)}\n`;
}

/** One family's exposition without keeping anything (MetricFamily.render(), tests, one-off use). */
export function renderFamilyText(family: ExposedFamily): string {
  return new TextExposition().family(family);
}
