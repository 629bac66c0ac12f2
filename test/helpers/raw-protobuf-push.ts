/**
 * A foreign pusher's protobuf push, byte by byte: families the library itself never writes (a name
 * Prometheus cannot read, a histogram carrying its own `le`, a GAUGE family holding a counter value), which
 * the Pushgateway accepts and then serves in a page that breaks. Independent of src/metrics (it builds what
 * no caller of the library can). The messages are io.prometheus.client.MetricFamily, length-delimited.
 */
export const MetricType = { COUNTER: 0, GAUGE: 1, SUMMARY: 2, UNTYPED: 3, HISTOGRAM: 4, GAUGE_HISTOGRAM: 5 } as const;
/** Metric's field numbers for each kind of value. */
export const ValueField = { gauge: 2, counter: 3, untyped: 5, histogram: 7 } as const;

function varint(value: number): Buffer {
  const bytes: number[] = [];
  do {
    bytes.push((value & 0x7f) | (value > 0x7f ? 0x80 : 0));
    value >>>= 7;
  } while (value > 0);
  return Buffer.from(bytes);
}
const bytesField = (field: number, payload: Buffer | string): Buffer => {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  return Buffer.concat([varint((field << 3) | 2), varint(body.length), body]);
};
const varintField = (field: number, value: number): Buffer => Buffer.concat([varint(field << 3), varint(value)]);
const doubleField = (field: number, value: number): Buffer => {
  const bytes = Buffer.alloc(8);
  bytes.writeDoubleLE(value);
  return Buffer.concat([varint((field << 3) | 1), bytes]);
};

/** A gauge, counter or untyped value, or a histogram with one bucket at `bound` (one observation). */
export type RawValue = { readonly kind: 'gauge' | 'counter' | 'untyped'; readonly value: number } | { readonly kind: 'histogram'; readonly bound: number };

export function rawMetric(labels: ReadonlyArray<readonly [string, string]>, value: RawValue): Buffer {
  const pairs = labels.map(([name, labelValue]) => bytesField(1, Buffer.concat([bytesField(1, name), bytesField(2, labelValue)])));
  const body =
    value.kind === 'histogram'
      ? Buffer.concat([varintField(1, 1), doubleField(2, 1), bytesField(3, Buffer.concat([varintField(1, 1), doubleField(2, value.bound)]))])
      : doubleField(1, value.value);
  return Buffer.concat([...pairs, bytesField(ValueField[value.kind], body)]);
}

export function rawFamily(name: string, type: number, metrics: readonly Buffer[]): Buffer {
  return Buffer.concat([bytesField(1, name), varintField(3, type), ...metrics.map((metric) => bytesField(4, metric))]);
}

/** PUTs the families to `gatewayUrl` + `path`; the gateway's answer status. */
export async function pushRawProtobuf(gatewayUrl: string, path: string, families: readonly Buffer[]): Promise<number> {
  const body = Buffer.concat(families.map((family) => Buffer.concat([varint(family.length), family])));
  const answer = await fetch(`${gatewayUrl}${path}`, {
    method: 'PUT',
    body,
    headers: { 'Content-Type': 'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited' },
  });
  await answer.arrayBuffer();
  return answer.status;
}
