/**
 * The Prometheus protobuf-delimited exposition (what client_golang pushes by default), written by hand
 * from the series model (exposition-format.ts), beside the text encoder (text-exposition.ts): no
 * protobufjs, no intermediate message objects. Label values come raw from the series, never from text.
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
 * What text cannot carry the same way is refused when the metric is defined (checkedSpec in metric-spec.ts:
 * help starting with a blank, which the text parser skips).
 *
 * Everything constant per series (its label pairs, the Metric's tag and length for counters and gauges) is
 * encoded once, on the first push that sees the series, and kept in one byte arena per family, by the
 * encoder instance (ProtobufExposition: one per registry, MetricsRegistry.protobufExposition); a push copies
 * those bytes and writes the values. Wire pieces: protobuf-wire-exposition.ts; per family:
 * protobuf-family-exposition.ts.
 */
import type { ExposedFamily } from './exposition-format.js';
import { FamilyCache, FamilyEncoder, type HistogramScratch } from './protobuf-family-exposition.js';
import { ProtoWriter } from './protobuf-wire-exposition.js';

export { encodeLabelPairs, ProtoWriter, varintSize, writeVarint } from './protobuf-wire-exposition.js';
export { FamilyEncoder } from './protobuf-family-exposition.js';

export const PROTOBUF_CONTENT_TYPE = 'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited';

/**
 * An encoder with its own caches (per family: header, bucket bounds, per-series label bytes) and its own
 * writer, reused for every body (see ProtoWriter on why). Two instances share nothing.
 */
export class ProtobufExposition {
  private readonly caches = new WeakMap<ExposedFamily, FamilyCache>();
  private readonly scratch: HistogramScratch = { counts: new Float64Array(64) };
  private readonly writer = new ProtoWriter();
  private writerBusy = false;
  private familiesCached = 0;

  /** Families this instance keeps bytes for. */
  get cachedFamilies(): number {
    return this.familiesCached;
  }

  /** The families as one body, synchronously: a copy, safe to keep while the next body is built. */
  encode(families: Iterable<ExposedFamily>): Buffer {
    return this.withWriter((writer) => {
      for (const family of families) this.encoder(writer, family).write(Number.POSITIVE_INFINITY);
      return Buffer.from(writer.result());
    });
  }

  /**
   * The same body, written `seriesPerSlice` series at a time with a turn of the event loop (setImmediate)
   * between slices, so a large registry never holds the loop for long. Values recorded between two slices
   * land in the later ones: each series is still written whole, from one moment. A copy of the bytes: a
   * body may still be in a socket when the next is built.
   */
  async encodeInSlices(families: Iterable<ExposedFamily>, seriesPerSlice: number): Promise<Buffer> {
    return this.withWriter(async (writer) => Buffer.from(await this.writeInSlices(families, seriesPerSlice, writer)));
  }

  /** Appends the families to `writer` a slice at a time; the writer's bytes are the body. */
  async writeInSlices(families: Iterable<ExposedFamily>, seriesPerSlice: number, writer: ProtoWriter): Promise<Buffer> {
    let budget = seriesPerSlice;
    for (const family of families) {
      const encoder = this.encoder(writer, family);
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

  /** A family encoder on `writer` using this instance's cache of the family. */
  encoder(writer: ProtoWriter, family: ExposedFamily): FamilyEncoder {
    let cache = this.caches.get(family);
    if (cache === undefined) {
      cache = new FamilyCache(family);
      this.caches.set(family, cache);
      this.familiesCached += 1;
    }
    return new FamilyEncoder(writer, family, cache, this.scratch);
  }

  /** The kept writer, or a fresh one while the kept one is in use by a body still being sliced. */
  private withWriter<T>(work: (writer: ProtoWriter) => T): T {
    if (this.writerBusy) return work(new ProtoWriter());
    this.writerBusy = true;
    let result: T;
    try {
      result = work(this.writer.reset());
    } catch (error) {
      this.writerBusy = false;
      throw error;
    }
    if (result instanceof Promise) {
      return result.finally(() => {
        this.writerBusy = false;
      }) as T;
    }
    this.writerBusy = false;
    return result;
  }
}

/** The families, in order, as one protobuf-delimited body (synchronously), by a fresh encoder: a view into `writer`. */
export function encodeFamilies(families: Iterable<ExposedFamily>, writer = new ProtoWriter()): Buffer {
  const encoder = new ProtobufExposition();
  for (const family of families) encoder.encoder(writer, family).write(Number.POSITIVE_INFINITY);
  return writer.result();
}

/** The same body in slices (see ProtobufExposition.encodeInSlices), by a fresh encoder: a view into `writer`. */
export function encodeFamiliesInSlices(families: Iterable<ExposedFamily>, seriesPerSlice: number, writer = new ProtoWriter()): Promise<Buffer> {
  return new ProtobufExposition().writeInSlices(families, seriesPerSlice, writer);
}

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
