/**
 * The protobuf wire format pieces the encoder needs (protobuf-exposition.ts describes the messages): field
 * tags of io/prometheus/client/metrics.proto, varints, length-delimited fields and a reusable byte writer.
 */

// Tags: (field << 3) | wire type; wire types 0 = varint, 1 = 64-bit, 2 = length-delimited.
export const TAG_FAMILY_NAME = 0x0a;
export const TAG_FAMILY_HELP = 0x12;
export const TAG_FAMILY_TYPE = 0x18;
export const TAG_FAMILY_METRIC = 0x22;
export const TAG_METRIC_LABEL = 0x0a;
export const TAG_METRIC_GAUGE = 0x12;
export const TAG_METRIC_COUNTER = 0x1a;
export const TAG_METRIC_HISTOGRAM = 0x3a;
export const TAG_LABEL_NAME = 0x0a;
export const TAG_LABEL_VALUE = 0x12;
export const TAG_VALUE_DOUBLE = 0x09; // Gauge.value, Counter.value
export const TAG_HISTOGRAM_COUNT = 0x08;
export const TAG_HISTOGRAM_SUM = 0x11;
export const TAG_HISTOGRAM_BUCKET = 0x1a;
export const TAG_BUCKET_COUNT = 0x08;
export const TAG_BUCKET_BOUND = 0x11;

/** Room left for a family's length prefix before its bytes are known (5 varint bytes: up to 32 GiB). */
export const LENGTH_ROOM = 5;

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

/**
 * A growable byte buffer with the few writes the encoder needs. Short copies are byte loops: for the
 * 9-30 bytes a series needs, TypedArray#set and Buffer#writeDoubleLE cost more in call overhead than the copy.
 *
 * Keep one writer and reset it for each body: V8's optimised encoder code refers weakly to the writer it
 * ran on, and when a fresh writer per push is collected, every full GC throws that code away; the next
 * push then runs unoptimised (measured: 5-10 ms instead of 0.7 ms for 10k series).
 */
/**
 * Where a double is turned into its 8 bytes. Module-level on purpose: it holds nothing between two calls
 * (so no writer or encoder can see another's data through it), and a module constant is one load fewer per
 * value than a field of the writer (measured: the field made a 10k-series body ~10 % slower).
 */
const doubleScratch = new Float64Array(1);
const doubleBytes = new Uint8Array(doubleScratch.buffer);

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
export function stringField(tag: number, text: string): Buffer {
  const length = Buffer.byteLength(text);
  const out = Buffer.allocUnsafe(1 + varintSize(length) + length);
  out[0] = tag;
  const at = writeVarint(out, 1, length);
  out.write(text, at, 'utf8');
  return out;
}

/** Field `tag` holding an embedded message. */
export function messageField(tag: number, message: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(1 + varintSize(message.length) + message.length);
  out[0] = tag;
  out.set(message, writeVarint(out, 1, message.length));
  return out;
}

/** Metric.label entries for these names and raw values, in this order. */
export function encodeLabelPairs(names: readonly string[], values: readonly string[]): Buffer {
  return Buffer.concat(
    names.map((name, index) => messageField(TAG_METRIC_LABEL, Buffer.concat([stringField(TAG_LABEL_NAME, name), stringField(TAG_LABEL_VALUE, values[index] ?? '')]))),
  );
}
