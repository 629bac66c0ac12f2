/**
 * The hand-written protobuf encoder against bytes worked out from the protobuf wire format and
 * io/prometheus/client/metrics.proto (field numbers checked against prometheus/client_model).
 */
import { describe, expect, it } from 'vitest';
import { TIME_COST_BUCKETS, type MetricSpec } from '../../../src/metrics/catalog.js';
import { encodeFamilies, encodeFamiliesInSlices, encodeLabelPairs, ProtoWriter, varintSize, writeVarint } from '../../../src/metrics/protobuf-exposition.js';
import { MetricsRegistry } from '../../../src/metrics/registry.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const varint = (value: number): string => {
  const out = new Uint8Array(10);
  return hex(out.subarray(0, writeVarint(out, 0, value)));
};
const double = (value: number): string => {
  const writer = new ProtoWriter(8);
  writer.double(value);
  return hex(writer.result());
};

function spec(name: string, type: MetricSpec['type'], help: string, labels: string[] = [], buckets?: number[]): MetricSpec {
  return { name, type, help, unit: '1', group: 'efficiency', roles: ['trainer'], labels, ...(buckets === undefined ? {} : { buckets }) };
}

describe('varint', () => {
  it('encodes known values (protobuf docs: 1 = 01, 150 = 96 01, 300 = ac 02)', () => {
    expect(varint(0)).toBe('00');
    expect(varint(1)).toBe('01');
    expect(varint(127)).toBe('7f');
    expect(varint(128)).toBe('8001');
    expect(varint(150)).toBe('9601');
    expect(varint(300)).toBe('ac02');
    expect(varint(2 ** 31)).toBe('8080808008');
    expect(varint(2 ** 32)).toBe('8080808010');
    expect(varint(5_000_000_123)).toBe('fbe497d012');
    expect(varint(2 ** 53 - 1)).toBe('ffffffffffffff0f');
  });

  it('sizes match the encodings', () => {
    for (const value of [0, 127, 128, 16_383, 16_384, 2 ** 28, 2 ** 35, 2 ** 53 - 1]) expect(varintSize(value)).toBe(varint(value).length / 2);
  });
});

describe('double (little-endian IEEE 754)', () => {
  it('encodes known values', () => {
    expect(double(1)).toBe('000000000000f03f');
    expect(double(1.5)).toBe('000000000000f83f');
    expect(double(-2)).toBe('00000000000000c0');
    expect(double(Infinity)).toBe('000000000000f07f');
    expect(double(-Infinity)).toBe('000000000000f0ff');
    expect(double(NaN)).toBe('000000000000f87f');
  });

  it('writes -0 as 0, as the text exposition prints it', () => {
    expect(double(-0)).toBe('0000000000000000');
  });
});

describe('label pairs', () => {
  it('encodes LabelPair{name, value} as Metric field 1', () => {
    // 0a 08 | 0a 01 "f" | 12 03 "a/b"  ; empty value: 0a 05 | 0a 01 "f" | 12 00
    expect(hex(encodeLabelPairs(['f'], ['a/b']))).toBe('0a08' + '0a0166' + '1203612f62');
    expect(hex(encodeLabelPairs(['f'], ['']))).toBe('0a05' + '0a0166' + '1200');
  });
});

describe('MetricFamily bodies', () => {
  it('a counter: length-delimited family with name, help, type and one Metric', () => {
    const registry = new MetricsRegistry([spec('c_total', 'counter', 'H')]);
    registry.counter('c_total').inc(1);
    const family = '0a07' + Buffer.from('c_total').toString('hex') + '120148' + '1800' + '220b' + '1a09' + '09' + '000000000000f03f';
    expect(hex(encodeFamilies([registry.get('c_total')!]))).toBe((family.length / 2).toString(16).padStart(2, '0') + family);
  });

  it('a labelled gauge and an empty help (left out, as the text parser does with `# HELP g `)', () => {
    const registry = new MetricsRegistry([spec('g', 'gauge', '', ['f'])]);
    registry.gauge('g').labels('x').set(-2);
    const metric = '0a06' + '0a0166' + '120178' + '1209' + '09' + '00000000000000c0';
    const family = '0a0167' + '1801' + '22' + (metric.length / 2).toString(16).padStart(2, '0') + metric;
    expect(hex(encodeFamilies([registry.get('g')!]))).toBe((family.length / 2).toString(16).padStart(2, '0') + family);
  });

  it('a histogram: count, sum and cumulative buckets with their bounds, +Inf included', () => {
    const registry = new MetricsRegistry([spec('h', 'histogram', 'H', [], [1, 2])]);
    const series = registry.histogram('h').labels();
    series.observe(0.5);
    series.observe(1.5);
    series.observe(1.5);
    series.observe(7);
    const bucket = (count: number, bound: string): string => '1a0b' + '08' + varint(count) + '11' + bound;
    const histogram = '0804' + '11' + double(10.5) + bucket(1, double(1)) + bucket(3, double(2)) + bucket(4, double(Infinity));
    const metric = '3a' + (histogram.length / 2).toString(16) + histogram;
    const family = '0a0168' + '120148' + '1804' + '22' + (metric.length / 2).toString(16) + metric;
    expect(hex(encodeFamilies([registry.get('h')!]))).toBe((family.length / 2).toString(16) + family);
  });

  it('families with no series write nothing; a family over 127 bytes gets a two-byte length', () => {
    const registry = new MetricsRegistry([spec('empty', 'gauge', 'E'), spec('big', 'gauge', 'B', ['f'])]);
    for (let index = 0; index < 20; index += 1) registry.gauge('big').labels(`v${index}`).set(index);
    const body = encodeFamilies([registry.get('empty')!, registry.get('big')!]);
    const length = (body[0]! & 0x7f) + body[1]! * 128;
    expect(body[0]! & 0x80).toBe(0x80);
    expect(length).toBe(body.length - 2);
  });

  it('sliced encoding writes the same bytes as one pass, at any slice size', async () => {
    const registry = new MetricsRegistry([spec('a', 'counter', 'A', ['f']), spec('h', 'histogram', 'H', ['f'], [...TIME_COST_BUCKETS]), spec('z', 'gauge', 'Z')]);
    for (let index = 0; index < 300; index += 1) {
      registry.counter('a').labels(`f${index}`).inc(index);
      registry
        .histogram('h')
        .labels(`f${index}`)
        .observe(index / 100);
    }
    registry.gauge('z').set(1);
    const families = registry.names().map((name) => registry.get(name)!);
    const whole = encodeFamilies(families);
    for (const slice of [1, 7, 299, 300, 301, 10_000]) expect(hex(await encodeFamiliesInSlices(families, slice, new ProtoWriter(16)))).toBe(hex(whole));
  });
});
