/**
 * One family's protobuf encoding (protobuf-exposition.ts describes the body): the per-family cache of
 * constant bytes, and the encoder that writes a family, possibly in slices.
 */
import type { MetricType } from './catalog.js';
import type { ExposedFamily, HistogramSeriesView, ScalarSeriesView } from './exposition-format.js';
import {
  encodeLabelPairs,
  LENGTH_ROOM,
  stringField,
  TAG_BUCKET_BOUND,
  TAG_BUCKET_COUNT,
  TAG_FAMILY_HELP,
  TAG_FAMILY_METRIC,
  TAG_FAMILY_NAME,
  TAG_FAMILY_TYPE,
  TAG_HISTOGRAM_BUCKET,
  TAG_HISTOGRAM_COUNT,
  TAG_HISTOGRAM_SUM,
  TAG_METRIC_COUNTER,
  TAG_METRIC_GAUGE,
  TAG_METRIC_HISTOGRAM,
  TAG_VALUE_DOUBLE,
  varintSize,
  writeVarint,
  type ProtoWriter,
} from './protobuf-wire-exposition.js';

const PROTO_TYPE: Readonly<Record<MetricType, number>> = { counter: 0, gauge: 1, histogram: 4 };

/**
 * Per family, the bytes that never change: its header (name, help, type), each histogram bucket's encoded
 * upper bound, and per series (in the family's series order, which only grows until a clear()) the label
 * pairs (from the series' raw label values), with the Metric's tag and length in front for counters and
 * gauges. The series themselves are kept beside their bytes, so a series that is not the one cached at its
 * position (after a clear()) is noticed and the cache rebuilt from there. One arena per family: a few tens of bytes per series, no object each.
 */
export class FamilyCache {
  readonly header: Buffer;
  readonly bounds: Uint8Array;
  readonly series: unknown[] = [];
  /** Head of series i: arena[starts[i], starts[i + 1]). */
  readonly starts: number[] = [0];
  arena = Buffer.allocUnsafe(256);

  constructor(family: ExposedFamily) {
    const { name, help, type, buckets } = family.spec;
    // An empty help is left out: the text parser reads `# HELP name ` as no help, and the gateway then
    // writes no HELP line; an empty help field would make it write `# HELP name `.
    const helpField = help === '' ? Buffer.alloc(0) : stringField(TAG_FAMILY_HELP, help);
    this.header = Buffer.concat([stringField(TAG_FAMILY_NAME, name), helpField, Buffer.from([TAG_FAMILY_TYPE, PROTO_TYPE[type]])]);
    const bounds = type === 'histogram' ? [...(buckets ?? []), Infinity] : [];
    this.bounds = Buffer.allocUnsafe(bounds.length * 9);
    bounds.forEach((bound, index) => {
      this.bounds[index * 9] = TAG_BUCKET_BOUND;
      // `+ 0`: a -0 bound is written as 0, as the text format writes it (checkedSpec normalises it already).
      Buffer.from(this.bounds.buffer, this.bounds.byteOffset, this.bounds.length).writeDoubleLE(bound + 0, index * 9 + 1);
    });
  }

  /** Where the cached head of series `index` starts, or -1 when that position holds no head of `series`. */
  cachedAt(index: number, series: unknown): number {
    return index < this.series.length && this.series[index] === series ? this.starts[index]! : -1;
  }

  /** Caches `head` as the head of series `index` (dropping any cached after it); returns where it starts. */
  store(index: number, series: unknown, head: Uint8Array): number {
    this.series.length = index;
    this.starts.length = index + 1;
    const start = this.starts[index]!;
    if (start + head.length > this.arena.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.arena.length * 2, start + head.length));
      this.arena.copy(grown, 0, 0, start);
      this.arena = grown;
    }
    this.arena.set(head, start);
    this.series.push(series);
    this.starts.push(start + head.length);
    return start;
  }
}

const SCALAR_VALUE_BYTES = 11; // tag, length 9, then Gauge/Counter { tag, 8-byte double }

function scalarHead(family: ExposedFamily, series: ScalarSeriesView): Buffer {
  const labelBytes = encodeLabelPairs(family.spec.labels, series.labelValues);
  const metricLength = labelBytes.length + SCALAR_VALUE_BYTES;
  const head = Buffer.allocUnsafe(1 + varintSize(metricLength) + labelBytes.length);
  head[0] = TAG_FAMILY_METRIC;
  head.set(labelBytes, writeVarint(head, 1, metricLength));
  return head;
}

function histogramLabels(family: ExposedFamily, series: HistogramSeriesView): Buffer {
  return encodeLabelPairs(family.spec.labels, series.labelValues);
}

/** Scratch space for cumulated bucket counts, one per encoder (see ProtobufExposition). */
export interface HistogramScratch {
  counts: Float64Array;
}

function writeHistogram(writer: ProtoWriter, cache: FamilyCache, labelsStart: number, labelsEnd: number, series: HistogramSeriesView, scratch: HistogramScratch): void {
  const bounds = cache.bounds;
  const labelsLength = labelsEnd - labelsStart;
  const counts = series.bucketCounts;
  if (scratch.counts.length < counts.length) scratch.counts = new Float64Array(counts.length * 2);
  const cumulative = scratch.counts;
  let total = 0;
  let bucketsLength = 0;
  for (let index = 0; index < counts.length; index += 1) {
    total += counts[index]!;
    cumulative[index] = total;
    bucketsLength += 2 + 1 + varintSize(total) + 9; // tag + length byte, count tag + varint, bound
  }
  const histogramLength = 1 + varintSize(total) + 9 + bucketsLength;
  const metricLength = labelsLength + 1 + varintSize(histogramLength) + histogramLength;
  writer.ensure(1 + LENGTH_ROOM + metricLength);
  writer.byte(TAG_FAMILY_METRIC);
  writer.varint(metricLength);
  writer.copy(cache.arena, labelsStart, labelsEnd);
  writer.byte(TAG_METRIC_HISTOGRAM);
  writer.varint(histogramLength);
  writer.byte(TAG_HISTOGRAM_COUNT);
  writer.varint(total);
  writer.byte(TAG_HISTOGRAM_SUM);
  writer.double(series.sum);
  for (let index = 0; index < counts.length; index += 1) {
    const count = cumulative[index]!;
    writer.byte(TAG_HISTOGRAM_BUCKET);
    writer.byte(1 + varintSize(count) + 9); // < 128: a one-byte length
    writer.byte(TAG_BUCKET_COUNT);
    writer.varint(count);
    writer.copy(bounds, index * 9, index * 9 + 9);
  }
}

/**
 * Appends one family, length-delimited, to `writer`. `from` and `limit` select a slice of its series so a
 * large family can be written across several turns of the event loop: call with the returned cursor until
 * it is `undefined`. A family with no series writes nothing (as the text exposition does).
 */
export class FamilyEncoder {
  /** True once the family is complete (its length written). */
  done = false;
  private readonly start: number;
  /** The family's series iterator, resumed by each write() (an Array iterator has no return(): break keeps it). */
  private readonly iterator: IterableIterator<unknown>;
  private readonly type: MetricType;
  private index = 0;

  constructor(
    private readonly writer: ProtoWriter,
    private readonly family: ExposedFamily,
    /** The encoder instance's cache of this family (ProtobufExposition keeps one per family). */
    private readonly cache: FamilyCache,
    private readonly scratch: HistogramScratch,
  ) {
    this.type = family.spec.type;
    this.iterator = family.seriesValues();
    this.start = writer.offset;
    if (family.seriesCount === 0) {
      this.done = true; // no series: nothing written, as the text exposition writes nothing
      return;
    }
    writer.ensure(LENGTH_ROOM + this.cache.header.length);
    writer.offset += LENGTH_ROOM;
    writer.bytes(this.cache.header);
  }

  /** Writes up to `limit` series; returns how many. `done` tells whether the family is complete. */
  write(limit: number): number {
    if (this.done) return 0;
    const writer = this.writer;
    const cache = this.cache;
    const family = this.family;
    const histogram = this.type === 'histogram';
    const scalarTag = this.type === 'counter' ? TAG_METRIC_COUNTER : TAG_METRIC_GAUGE;
    let index = this.index;
    let written = 0;
    let more = false;
    // Plain for-of over the iterator: V8 allocates no result object per step here.
    for (const series of this.iterator) {
      let start = cache.cachedAt(index, series);
      if (histogram) {
        const one = series as HistogramSeriesView;
        if (start < 0) start = cache.store(index, series, histogramLabels(family, one));
        writeHistogram(writer, cache, start, cache.starts[index + 1]!, one, this.scratch);
      } else {
        const scalar = series as ScalarSeriesView;
        if (start < 0) start = cache.store(index, series, scalarHead(family, scalar));
        const end = cache.starts[index + 1]!;
        writer.ensure(end - start + SCALAR_VALUE_BYTES);
        writer.copy(cache.arena, start, end);
        writer.byte(scalarTag);
        writer.byte(9);
        writer.byte(TAG_VALUE_DOUBLE);
        writer.double(scalar.value);
      }
      index += 1;
      written += 1;
      if (written >= limit) {
        more = true;
        break;
      }
    }
    this.index = index;
    // Stopped at the limit: the family may have more (the next write() finds out, possibly writing none).
    if (more) return written;
    this.done = true;
    // Now the family's length is known: write it just before the family, and close the gap left for it.
    const bodyStart = this.start + LENGTH_ROOM;
    const length = writer.offset - bodyStart;
    const prefixSize = varintSize(length);
    const shift = LENGTH_ROOM - prefixSize;
    writeVarint(writer.buffer, this.start, length);
    if (shift > 0) writer.buffer.copyWithin(this.start + prefixSize, bodyStart, writer.offset);
    writer.offset -= shift;
    return written;
  }
}
