/**
 * A protobuf-delimited push stores exactly what a text push of the same registry stores: the same registry
 * (every catalog metric, per-feature labels with awkward values, NaN/±Inf/-0 gauges, histograms, a
 * histogram count beyond 32 bits) is pushed once as text to one real gateway and once as protobuf to
 * another, and the two gateways' /metrics pages for that group are compared line for line. Prometheus
 * scraping the protobuf gateway answers histogram_quantile; gzip and holding back a refused family work
 * with protobuf bodies too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PushHttpError } from '../../src/errors.js';
import { startPrometheus, type RunningPrometheus } from '../../src/local-stack/prometheus-process.js';
import { startPushgateway, type RunningPushgateway } from '../../src/local-stack/pushgateway-process.js';
import { TIME_COST_BUCKETS } from '../../src/metrics/catalog.js';
import type { Counter } from '../../src/metrics/counter.js';
import type { Gauge } from '../../src/metrics/gauge.js';
import type { Histogram } from '../../src/metrics/histogram.js';
import { PROTOBUF_CONTENT_TYPE } from '../../src/metrics/protobuf-exposition.js';
import { MetricsRegistry } from '../../src/metrics/registry.js';
import { groupingPath } from '../../src/push/grouping-key.js';
import { bodyComposer, type PushBody, type PushFormat } from '../../src/push/push-body.js';
import { Pusher } from '../../src/push/pusher.js';
import { GatewayClient } from '../../src/gateway/client.js';
import { gatewayEndpoint } from '../../src/gateway/endpoint.js';
import { requireBinary } from '../helpers/binaries.js';

const servers = requireBinary('prometheus-pushgateway') !== undefined && requireBinary('prometheus') !== undefined;
const NASTY = ['a/b', '', 'ünïcødé 日本 🚀', 'say "hi"', 'back\\slash', 'two\nlines', ' spaced ', '/', '@base64', 'tab\there', 'mixed \\"\n\\n'];
const GAUGE_VALUES = [NaN, Infinity, -Infinity, -0, 0, 1e21, 1.5e-300, Number.MAX_VALUE, -123.456, 0.1 + 0.2, 2 ** 53 + 2];
const KEY = { job: 'proto_equivalence', role: 'trainer', instance: 'rep_0' };

/** Every family of the catalog with series, plus a two-label histogram, filled with awkward values. */
function filledRegistry(): MetricsRegistry {
  const registry = new MetricsRegistry();
  registry.define({
    name: 'proto_stage_seconds',
    type: 'histogram',
    help: 'Two labels, "quotes", back\\slash\nand a newline in help.',
    unit: 'seconds',
    group: 'efficiency',
    roles: ['trainer'],
    labels: ['feature', 'stage'],
    buckets: TIME_COST_BUCKETS,
  });
  registry.define({ name: 'proto_empty_help', type: 'gauge', help: '', unit: '1', group: 'efficiency', roles: ['trainer'], labels: [] }).set(7);
  for (const name of registry.names()) {
    const family = registry.get(name)!;
    const labelSets: string[][] =
      family.spec.labels.length === 0
        ? [[]]
        : NASTY.map((value, index) => family.spec.labels.map((_, position) => (position === 0 ? value : NASTY[(index + position) % NASTY.length]!)));
    labelSets.forEach((values, index) => {
      if (family.spec.type === 'counter') (family as Counter).labels(...values).inc(index * 1.5 + 0.25);
      else if (family.spec.type === 'gauge') (family as Gauge).labels(...values).set(GAUGE_VALUES[index % GAUGE_VALUES.length]!);
      else {
        const series = (family as Histogram).labels(...values);
        for (let step = 0; step < 20 + index; step += 1) series.observe(((step * 7919) % 1000) / 97); // some beyond 10 s: the +Inf bucket
      }
    });
  }
  // A count past 32 bits (the varint's 5th byte and beyond): set the bucket directly, observing 5e9 times is not a test.
  registry.histogram(firstHistogram(registry)).labels().bucketCounts[3] = 5_000_000_123;
  return registry;
}

function firstHistogram(registry: MetricsRegistry): string {
  return registry.names().find((name) => registry.get(name)!.spec.type === 'histogram' && registry.get(name)!.spec.labels.length === 0)!;
}

/** The group's part of a gateway's /metrics page: its sample lines and their families' HELP/TYPE, minus push times. */
function groupPart(page: string, job: string): string {
  const out: string[] = [];
  let header: string[] = [];
  let family = '';
  for (const line of page.split('\n')) {
    if (line.startsWith('# HELP ')) {
      header = [line];
      family = line.split(' ')[2] ?? '';
      continue;
    }
    if (line.startsWith('# TYPE ')) {
      const name = line.split(' ')[2] ?? '';
      if (name !== family) header = []; // a family without HELP
      family = name;
      header.push(line);
      continue;
    }
    if (family === 'push_time_seconds' || family === 'push_failure_time_seconds') continue;
    if (!line.includes(`job="${job}"`)) continue;
    out.push(...header, line);
    header = [];
  }
  return out.join('\n');
}

async function putBody(gateway: RunningPushgateway, key: typeof KEY, body: PushBody, gzip = false): Promise<void> {
  const transport = new GatewayClient(gatewayEndpoint(gateway.url, { timeoutSeconds: 10, gzip }));
  try {
    await transport.send('PUT', groupingPath(key), body.data, body.contentType);
  } finally {
    await transport.close();
  }
}

async function body(registry: MetricsRegistry, format: PushFormat): Promise<PushBody> {
  const built = await bodyComposer(registry, [], format)(new Set());
  if (typeof built === 'string') throw new Error('expected a PushBody');
  return built;
}

describe.skipIf(!servers)('protobuf-delimited pushes, through real gateways and Prometheus', () => {
  let textGateway: RunningPushgateway;
  let protoGateway: RunningPushgateway;
  let prometheus: RunningPrometheus;

  beforeAll(async () => {
    [textGateway, protoGateway] = await Promise.all([startPushgateway(), startPushgateway()]);
    prometheus = await startPrometheus({ scrapeTargets: [protoGateway.address], scrapeIntervalSeconds: 1 });
  });
  afterAll(async () => {
    await prometheus?.stop();
    await Promise.all([textGateway?.stop(), protoGateway?.stop()]);
  });

  it('stores exactly what a text push of the same registry stores', async () => {
    const registry = filledRegistry();
    const text = await body(registry, 'text');
    const proto = await body(registry, 'protobuf');
    expect(proto.contentType).toBe(PROTOBUF_CONTENT_TYPE);
    expect(proto.data).toBeInstanceOf(Uint8Array);
    expect(proto.data.length).toBeLessThan(Buffer.byteLength(text.data));
    await putBody(textGateway, KEY, text);
    await putBody(protoGateway, KEY, proto);
    const fromText = groupPart(await textGateway.metricsText(), KEY.job);
    const fromProto = groupPart(await protoGateway.metricsText(), KEY.job);
    expect(fromText.split('\n').length).toBeGreaterThan(200);
    expect(fromText).toMatch(/_count\{[^}]*\} 5\.0+\d*e\+09\n/); // the > 32-bit count arrived
    expect(fromText).toContain('NaN');
    expect(fromText).toContain('two\\nlines');
    expect(fromProto).toBe(fromText);
  });

  it('a gzip-compressed protobuf body stores the same', async () => {
    const registry = filledRegistry();
    const key = { ...KEY, job: 'proto_gzip' };
    await putBody(textGateway, key, await body(registry, 'text'));
    await putBody(protoGateway, key, await body(registry, 'protobuf'), true);
    expect(groupPart(await protoGateway.metricsText(), key.job)).toBe(groupPart(await textGateway.metricsText(), key.job));
  });

  it('Prometheus scraping the protobuf gateway answers histogram_quantile', async () => {
    const registry = new MetricsRegistry();
    const series = registry.histogram(firstHistogram(registry)).labels();
    for (let index = 0; index < 100; index += 1) series.observe(index < 90 ? 0.003 : 0.3); // p50 in (0.0025, 0.005]
    const key = { ...KEY, job: 'proto_quantile' };
    await putBody(protoGateway, key, await body(registry, 'protobuf'));
    const name = firstHistogram(registry);
    const [sample] = await prometheus.queryUntil(
      `histogram_quantile(0.5, ${name}_bucket{job="proto_quantile"})`,
      (found) => found.length === 1 && Number.isFinite(found[0]!.value),
    );
    expect(sample!.value).toBeGreaterThan(0.0025);
    expect(sample!.value).toBeLessThanOrEqual(0.005);
    const [p99] = await prometheus.query(`histogram_quantile(0.99, ${name}_bucket{job="proto_quantile"})`);
    expect(p99!.value).toBeGreaterThan(0.25);
    expect(p99!.value).toBeLessThanOrEqual(0.5);
  });

  it('a family the default gateway refuses is held back from protobuf pushes; the others arrive', async () => {
    const strict = await startPushgateway();
    try {
      const clash = await fetch(`${strict.url}/metrics/job/clash_other`, { method: 'PUT', body: '# TYPE index_miss_count gauge\nindex_miss_count 1\n' });
      expect(clash.status).toBe(200);
      const registry = new MetricsRegistry();
      registry.counter('index_miss_count').inc(3);
      registry.gauge('num_pending_batches').set(4);
      const warnings: string[] = [];
      const key = { ...KEY, job: 'proto_refused' };
      const pusher = new Pusher({
        path: groupingPath(key),
        transport: new GatewayClient(gatewayEndpoint(strict.url, { timeoutSeconds: 10 }), { background: true, connections: 1 }),
        intervalSeconds: 60,
        retries: 0,
        deleteOnShutdown: false,
        shutdownTimeoutSeconds: 5,
        body: bodyComposer(registry, [], 'protobuf'),
        logger: { warn: (message) => warnings.push(message), info: () => {} },
      });
      const refusal = await pusher.flush().then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(refusal).toBeInstanceOf(PushHttpError); // flush says a family was left out
      expect(warnings.join('\n')).toContain('gateway refused metric index_miss_count');
      const page = await strict.metricsText();
      expect(page).toContain('num_pending_batches{instance="rep_0",job="proto_refused",role="trainer"} 4');
      expect(page).not.toMatch(/index_miss_count\{[^}]*job="proto_refused"/);
      await pusher.shutdown();
    } finally {
      await strict.stop();
    }
  });
});
