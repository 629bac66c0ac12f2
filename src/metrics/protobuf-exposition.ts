/**
 * The Prometheus protobuf-delimited exposition (what client_golang pushes by default), written by hand
 * straight from our instruments: no protobufjs, no intermediate message objects.
 *
 * Each MetricFamily (io/prometheus/client/metrics.proto, checked against prometheus/client_model) is
 * preceded by its length as a varint:
 *   MetricFamily { 1 name: string, 2 help: string, 3 type: enum, 4 metric: repeated Metric }
 *   Metric       { 1 label: repeated LabelPair, 2 gauge: Gauge, 3 counter: Counter, 7 histogram: Histogram }
 *   LabelPair    { 1 name: string, 2 value: string }
 *   Gauge / Counter { 1 value: double }
 *   Histogram    { 1 sample_count: uint64, 2 sample_sum: double, 3 bucket: repeated Bucket }
 *   Bucket       { 1 cumulative_count: uint64, 2 upper_bound: double }
 *
 * The gateway stores what it decodes and renders it again on /metrics, so the body is built to decode to
 * exactly what the gateway's text parser makes of our text exposition: help left out when empty (the text
 * parser reads `# HELP name ` as no help), label pairs in the series' order with empty values sent as empty strings, the +Inf bucket sent (the text
 * parser keeps it too; client_golang leaves it out and the gateway adds it back when rendering, so either
 * way renders the same), and -0 sent as 0, in values and bucket bounds (the text exposition prints -0 as "0").
 * What text cannot carry the same way is refused when the metric is defined (checkedSpec in instruments.ts:
 * help starting with a blank, which the text parser skips).
 *
 * Everything constant per series (its label pairs, the Metric's tag and length for counters and gauges) is
 * encoded once, on the first push that sees the series, and kept in one byte arena per family; a push
 * copies those bytes and writes the values.
 */
import type { MetricType } from './catalog.js';
import type { CounterSeries, GaugeSeries, HistogramSeries, MetricFamily } from './instruments.js';

export const PROTOBUF_CONTENT_TYPE = 'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited';

const PROTO_TYPE: Readonly<Record<MetricType, number>> = { counter: 0, gauge: 1, histogram: 4 };

// Tags: (field << 3) | wire type; wire types 0 = varint, 1 = 64-bit, 2 = length-delimited.
const TAG_FAMILY_NAME = 0x0a;
const TAG_FAMILY_HELP = 0x12;
const TAG_FAMILY_TYPE = 0x18;
const TAG_FAMILY_METRIC = 0x22;
const TAG_METRIC_LABEL = 0x0a;
const TAG_METRIC_GAUGE = 0x12;
const TAG_METRIC_COUNTER = 0x1a;
const TAG_METRIC_HISTOGRAM = 0x3a;
const TAG_LABEL_NAME = 0x0a;
const TAG_LABEL_VALUE = 0x12;
const TAG_VALUE_DOUBLE = 0x09; // Gauge.value, Counter.value
const TAG_HISTOGRAM_COUNT = 0x08;
const TAG_HISTOGRAM_SUM = 0x11;
const TAG_HISTOGRAM_BUCKET = 0x1a;
const TAG_BUCKET_COUNT = 0x08;
const TAG_BUCKET_BOUND = 0x11;

/** Room left for a family's length prefix before its bytes are known (5 varint bytes: up to 32 GiB). */
const LENGTH_ROOM = 5;

/** Bytes of the varint encoding of a non-negative integer (up to 2^53). */
export function varintSize(value: number): number {
  let size = 1;
  while (value >= 128) {
    value = Math.floor(value / 128);
    size += 1;
  }
  return size;
}

/** Writes an unsigned varint (non-negative integer up to 2^53) at `offset`; returns the offset after it. */
export function writeVarint(target: Uint8Array, offset: number, value: number): number {
  while (value >= 128) {
    target[offset++] = (value % 128) | 0x80;
    value = Math.floor(value / 128);
  }
  target[offset++] = value;
  return offset;
}

const doubleScratch = new Float64Array(1);
const doubleBytes = new Uint8Array(doubleScratch.buffer);

/**
 * A growable byte buffer with the few writes the encoder needs. Short copies are byte loops: for the
 * 9-30 bytes a series needs, TypedArray#set and Buffer#writeDoubleLE cost more in call overhead than the copy.
 *
 * Keep one writer and reset it for each body: V8's optimised encoder code refers weakly to the writer it
 * ran on, and when a fresh writer per push is collected, every full GC throws that code away; the next
 * push then runs unoptimised (measured: 5-10 ms instead of 0.7 ms for 10k series).
 */
export class ProtoWriter {
  buffer: Buffer;
  offset = 0;

  constructor(capacity = 64 * 1024) {
    this.buffer = Buffer.allocUnsafe(Math.max(16, capacity));
  }

  ensure(more: number): void {
    if (this.offset + more <= this.buffer.length) return;
    let capacity = this.buffer.length * 2;
    while (capacity < this.offset + more) capacity *= 2;
    const grown = Buffer.allocUnsafe(capacity);
    this.buffer.copy(grown, 0, 0, this.offset);
    this.buffer = grown;
  }

  byte(value: number): void {
    this.buffer[this.offset++] = value;
  }

  varint(value: number): void {
    this.offset = writeVarint(this.buffer, this.offset, value);
  }

  double(value: number): void {
    // `+ 0` turns -0 into 0, as the text exposition does; NaN and the infinities pass unchanged.
    doubleScratch[0] = value + 0;
    const buffer = this.buffer;
    let at = this.offset;
    for (let index = 0; index < 8; index += 1) buffer[at++] = doubleBytes[index]!;
    this.offset = at;
  }

  bytes(bytes: Uint8Array): void {
    this.copy(bytes, 0, bytes.length);
  }

  copy(source: Uint8Array, from: number, to: number): void {
    const buffer = this.buffer;
    let at = this.offset;
    if (to - from > 64) {
      buffer.set(source.subarray(from, to), at);
      at += to - from;
    } else for (let index = from; index < to; index += 1) buffer[at++] = source[index]!;
    this.offset = at;
  }

  /** Starts over, keeping the buffer. */
  reset(): this {
    this.offset = 0;
    return this;
  }

  /** The bytes written so far: a view into the writer's buffer, valid until the writer is reset. */
  result(): Buffer {
    return this.buffer.subarray(0, this.offset);
  }
}

/** Field `tag` holding a length-delimited UTF-8 string. */
function stringField(tag: number, text: string): Buffer {
  const length = Buffer.byteLength(text);
  const out = Buffer.allocUnsafe(1 + varintSize(length) + length);
  out[0] = tag;
  const at = writeVarint(out, 1, length);
  out.write(text, at, 'utf8');
  return out;
}

/** Field `tag` holding an embedded message. */
function messageField(tag: number, message: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(1 + varintSize(message.length) + message.length);
  out[0] = tag;
  out.set(message, writeVarint(out, 1, message.length));
  return out;
}

/** Metric.label entries for these names and values, in this order. */
export function encodeLabelPairs(names: readonly string[], values: readonly string[]): Buffer {
  return Buffer.concat(
    names.map((name, index) => messageField(TAG_METRIC_LABEL, Buffer.concat([stringField(TAG_LABEL_NAME, name), stringField(TAG_LABEL_VALUE, values[index] ?? '')]))),
  );
}

/**
 * The label values of a series, read back from the line prefix the instruments precomputed
 * (`name{a="x",b="y"} `, values escaped as in the text format). Runs once per series.
 */
export function labelValuesFromPrefix(prefix: string, nameLength: number, labelCount: number): string[] {
  const values: string[] = [];
  if (labelCount === 0) return values;
  let at = nameLength; // at '{'
  for (let index = 0; index < labelCount; index += 1) {
    at = prefix.indexOf('="', at) + 2;
    let value = '';
    while (at < prefix.length && prefix[at] !== '"') {
      const char = prefix[at]!;
      if (char === '\\') {
        const next = prefix[at + 1];
        value += next === 'n' ? '\n' : (next ?? '');
        at += 2;
      } else {
        value += char;
        at += 1;
      }
    }
    values.push(value);
    at += 1; // past the closing quote
  }
  return values;
}

/**
 * Per family, the bytes that never change: its header (name, help, type), each histogram bucket's encoded
 * upper bound, and per series (in the family's series order, which only grows until a clear()) the label
 * pairs, with the Metric's tag and length in front for counters and gauges. The series themselves are kept
 * beside their bytes, so a series that is not the one cached at its position (after a clear()) is noticed
 * and the cache rebuilt from there. One arena per family: a few tens of bytes per series, no object each.
 */
class FamilyCache {
  readonly header: Buffer;
  readonly bounds: Uint8Array;
  readonly series: unknown[] = [];
  /** Head of series i: arena[starts[i], starts[i + 1]). */
  readonly starts: number[] = [0];
  arena = Buffer.allocUnsafe(256);

  constructor(family: MetricFamily<unknown>) {
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

const familyCaches = new WeakMap<object, FamilyCache>();

function cacheOf(family: MetricFamily<unknown>): FamilyCache {
  let cache = familyCaches.get(family);
  if (cache === undefined) {
    cache = new FamilyCache(family);
    familyCaches.set(family, cache);
  }
  return cache;
}

const SCALAR_VALUE_BYTES = 11; // tag, length 9, then Gauge/Counter { tag, 8-byte double }

function scalarHead(family: MetricFamily<unknown>, series: CounterSeries | GaugeSeries): Buffer {
  const { name, labels } = family.spec;
  const labelBytes = encodeLabelPairs(labels, labelValuesFromPrefix(series.linePrefix, name.length, labels.length));
  const metricLength = labelBytes.length + SCALAR_VALUE_BYTES;
  const head = Buffer.allocUnsafe(1 + varintSize(metricLength) + labelBytes.length);
  head[0] = TAG_FAMILY_METRIC;
  head.set(labelBytes, writeVarint(head, 1, metricLength));
  return head;
}

function histogramLabels(family: MetricFamily<unknown>, series: HistogramSeries): Buffer {
  const { name, labels } = family.spec;
  return encodeLabelPairs(labels, labelValuesFromPrefix(series.sumPrefix, name.length + '_sum'.length, labels.length));
}

const cumulativeScratch: { counts: Float64Array } = { counts: new Float64Array(64) };

function writeHistogram(writer: ProtoWriter, cache: FamilyCache, labelsStart: number, labelsEnd: number, series: HistogramSeries): void {
  const bounds = cache.bounds;
  const labelsLength = labelsEnd - labelsStart;
  const counts = series.bucketCounts;
  if (cumulativeScratch.counts.length < counts.length) cumulativeScratch.counts = new Float64Array(counts.length * 2);
  const cumulative = cumulativeScratch.counts;
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
  private readonly cache: FamilyCache;
  private index = 0;

  constructor(
    private readonly writer: ProtoWriter,
    private readonly family: MetricFamily<unknown>,
  ) {
    this.cache = cacheOf(family);
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
        const one = series as HistogramSeries;
        if (start < 0) start = cache.store(index, series, histogramLabels(family, one));
        writeHistogram(writer, cache, start, cache.starts[index + 1]!, one);
      } else {
        const scalar = series as CounterSeries | GaugeSeries;
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

/** The families, in order, as one protobuf-delimited body (synchronously). */
export function encodeFamilies(families: Iterable<MetricFamily<unknown>>, writer = new ProtoWriter()): Buffer {
  for (const family of families) new FamilyEncoder(writer, family).write(Number.POSITIVE_INFINITY);
  return writer.result();
}

/**
 * The same body, written `seriesPerSlice` series at a time with a turn of the event loop (setImmediate)
 * between slices, so a large registry never holds the loop for long. Values recorded between two slices
 * land in the later ones: each series is still written whole, from one moment.
 */
export async function encodeFamiliesInSlices(families: Iterable<MetricFamily<unknown>>, seriesPerSlice: number, writer = new ProtoWriter()): Promise<Buffer> {
  let budget = seriesPerSlice;
  for (const family of families) {
    const encoder = new FamilyEncoder(writer, family);
    for (;;) {
      budget -= encoder.write(budget);
      if (encoder.done) break;
      await nextTurn();
      budget = seriesPerSlice;
    }
    if (budget <= 0) {
      await nextTurn();
      budget = seriesPerSlice;
    }
  }
  return writer.result();
}

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
