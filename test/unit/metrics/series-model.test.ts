/**
 * Both encoders read the same series model: label values come raw from the series (never parsed back out of
 * text), so the text and protobuf bodies of one registry hold the same series whatever the values contain;
 * and each registry's encoders keep their own caches.
 */
import { describe, expect, it } from 'vitest';
import type { MetricSpec } from '../../../src/metrics/catalog.js';
import { encodeFamilies } from '../../../src/metrics/protobuf-exposition.js';
import { MetricsRegistry } from '../../../src/metrics/registry.js';
import { bodyComposer, type PushBody } from '../../../src/push/push-body.js';

function spec(name: string, type: MetricSpec['type'], labels: string[], buckets?: number[]): MetricSpec {
  return { name, type, help: `${name} help`, unit: '1', group: 'efficiency', roles: ['trainer'], labels, ...(buckets === undefined ? {} : { buckets }) };
}

/** A protobuf reader for what the tests need: varints, doubles, length-delimited fields. */
/** A scalar field's value (a varint or a double), refusing a length-delimited one. */
function scalarValue(value: number | Uint8Array | undefined): number {
  if (typeof value !== 'number') throw new Error(`expected a scalar protobuf field, got ${value === undefined ? 'none' : 'bytes'}`);
  return value;
}

function fields(bytes: Uint8Array): Array<{ field: number; value: number | Uint8Array }> {
  const out: Array<{ field: number; value: number | Uint8Array }> = [];
  let at = 0;
  const varint = (): number => {
    let value = 0;
    let scale = 1;
    for (;;) {
      const byte = bytes[at++]!;
      value += (byte & 0x7f) * scale;
      scale *= 128;
      if (byte < 128) return value;
    }
  };
  while (at < bytes.length) {
    const tag = varint();
    const wire = tag & 7;
    if (wire === 0) out.push({ field: tag >> 3, value: varint() });
    else if (wire === 1) {
      out.push({ field: tag >> 3, value: Buffer.from(bytes.subarray(at, at + 8)).readDoubleLE(0) });
      at += 8;
    } else if (wire === 2) {
      const length = varint();
      out.push({ field: tag >> 3, value: bytes.subarray(at, at + length) });
      at += length;
    } else throw new Error(`wire type ${wire}`);
  }
  return out;
}

const utf8 = (value: number | Uint8Array): string => Buffer.from(value as Uint8Array).toString('utf8');

/** `name{label values as JSON} value` per sample of a protobuf-delimited body (counters, gauges, histograms). */
function protobufSamples(body: Uint8Array): string[] {
  const samples: string[] = [];
  let at = 0;
  while (at < body.length) {
    let length = 0;
    let scale = 1;
    for (;;) {
      const byte = body[at++]!;
      length += (byte & 0x7f) * scale;
      scale *= 128;
      if (byte < 128) break;
    }
    const family = fields(body.subarray(at, at + length));
    at += length;
    const name = utf8(family.find((entry) => entry.field === 1)!.value);
    for (const metric of family.filter((entry) => entry.field === 4)) {
      const parts = fields(metric.value as Uint8Array);
      const labels = parts.filter((part) => part.field === 1).map((part) => utf8(fields(part.value as Uint8Array).find((entry) => entry.field === 2)?.value ?? new Uint8Array()));
      const scalar = parts.find((part) => part.field === 2 || part.field === 3);
      if (scalar !== undefined) samples.push(`${name}${JSON.stringify(labels)} ${scalarValue(fields(scalar.value as Uint8Array)[0]!.value)}`);
      const histogram = parts.find((part) => part.field === 7);
      if (histogram !== undefined) {
        const entries = fields(histogram.value as Uint8Array);
        samples.push(`${name}_sum${JSON.stringify(labels)} ${scalarValue(entries.find((entry) => entry.field === 2)!.value)}`);
        samples.push(`${name}_count${JSON.stringify(labels)} ${scalarValue(entries.find((entry) => entry.field === 1)!.value)}`);
      }
    }
  }
  return samples;
}

/** The same samples read from the text exposition, unescaping label values as the format defines. */
function textSamples(text: string): string[] {
  const samples: string[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#') || line.includes('_bucket')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$/s.exec(line);
    if (match === null) throw new Error(`unparsed line ${JSON.stringify(line)}`);
    const labels = [...(match[2] ?? '').matchAll(/[a-zA-Z_][a-zA-Z0-9_]*="((?:[^"\\]|\\.)*)"/g)].map(([, raw]) =>
      raw!.replace(/\\(.)/g, (_, char: string) => (char === 'n' ? '\n' : char)),
    );
    samples.push(`${match[1]}${JSON.stringify(labels)} ${Number(match[3])}`);
  }
  return samples;
}

const AWKWARD = ['say "hi"', 'back\\slash', 'two\nlines', 'nul\u0000byte', 'ünï 🚀', '\\n literal', '', '"}\\', 'a,b="c"'];

describe('one series model for both encoders', () => {
  it('gives the same series in text and protobuf for label values with quotes, backslashes, newlines, NUL and unicode', () => {
    const registry = new MetricsRegistry([spec('c_total', 'counter', ['feature', 'table']), spec('g', 'gauge', ['feature']), spec('h', 'histogram', ['feature'], [0.5, 1])]);
    AWKWARD.forEach((value, index) => {
      registry
        .counter('c_total')
        .labels(value, AWKWARD[(index + 1) % AWKWARD.length]!)
        .inc(index + 1);
      registry
        .gauge('g')
        .labels(value)
        .set(index / 4);
      registry
        .histogram('h')
        .labels(value)
        .observe(index / 10);
    });
    const families = registry.names().map((name) => registry.get(name)!);
    for (const family of families) {
      for (const series of family.seriesValues() as Iterable<{ labelValues: readonly string[] }>) expect(series.labelValues.length).toBe(family.spec.labels.length);
    }
    expect(registry.counter('c_total').labels('two\nlines', 'nul\u0000byte').labelValues).toEqual(['two\nlines', 'nul\u0000byte']);

    const text = textSamples(registry.metrics());
    const protobuf = protobufSamples(registry.protobufExposition.encode(families));
    expect(text).toHaveLength(AWKWARD.length * 4);
    expect(protobuf).toEqual(text);
    expect(protobuf).toContain(`c_total${JSON.stringify(['two\nlines', 'nul\u0000byte'])} 3`);
    // A fresh encoder (no cache) writes the same bytes as the registry's cached one, on every call.
    expect(Buffer.from(encodeFamilies(families)).equals(registry.protobufExposition.encode(families))).toBe(true);
  });

  it('reads label values from the series even when the text prefix cache holds something else', async () => {
    const registry = new MetricsRegistry([spec('c_total', 'counter', ['feature'])]);
    registry.counter('c_total').labels('a"b').inc();
    const family = registry.get('c_total')!;
    const text = registry.metrics(); // builds the text encoder's prefixes first
    const body = (await bodyComposer(registry, [])(new Set())) as PushBody;
    expect(text).toContain('c_total{feature="a\\"b"} 1\n');
    expect(protobufSamples(body.data as Uint8Array)).toEqual([`c_total${JSON.stringify(['a"b'])} 1`]);
    expect(registry.textExposition.cachedFamilies).toBe(1);
    expect(registry.protobufExposition.cachedFamilies).toBe(1);
    // After clear() the same position holds other series: both encoders rebuild from the series themselves.
    family.clear();
    registry.counter('c_total').labels('x\\y').inc(2);
    expect(registry.metrics()).toContain('c_total{feature="x\\\\y"} 2\n');
    expect(protobufSamples(registry.protobufExposition.encode([family]))).toEqual([`c_total${JSON.stringify(['x\\y'])} 2`]);
  });

  it('keeps each registry’s encoder caches to itself', async () => {
    const one = new MetricsRegistry([spec('c_total', 'counter', ['feature']), spec('g', 'gauge', [])]);
    const two = new MetricsRegistry([spec('c_total', 'counter', ['feature']), spec('g', 'gauge', [])]);
    expect(one.protobufExposition).not.toBe(two.protobufExposition);
    expect(one.textExposition).not.toBe(two.textExposition);
    one.counter('c_total').labels('only_one').inc();
    two.counter('c_total').labels('only_two').inc(5);
    two.gauge('g').set(1);
    const body = (await bodyComposer(one, [])(new Set())) as PushBody;
    expect(one.protobufExposition.cachedFamilies).toBe(1);
    expect(two.protobufExposition.cachedFamilies).toBe(0); // nothing of two's was built by one's push
    one.metrics();
    expect(one.textExposition.cachedFamilies).toBe(1);
    expect(two.textExposition.cachedFamilies).toBe(0);
    const other = (await bodyComposer(two, [])(new Set())) as PushBody;
    expect(two.protobufExposition.cachedFamilies).toBe(2);
    expect(one.protobufExposition.cachedFamilies).toBe(1);
    expect(protobufSamples(body.data as Uint8Array)).toEqual([`c_total${JSON.stringify(['only_one'])} 1`]);
    expect(protobufSamples(other.data as Uint8Array)).toEqual([`c_total${JSON.stringify(['only_two'])} 5`, 'g[] 1']);
  });
});
