/**
 * Pushes the real gateway refuses (400: another group pushed the same name with another type), and
 * addresses that lead nowhere: an unresolvable name, a port nobody listens on, an address with a path or a
 * scheme the client cannot use.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { freePort } from '../../src/local-stack/free-port.js';
import { waitFor } from '../../src/local-stack/wait-for.js';
import { startNodeMetrics, type NodeMetrics } from '../../src/node-metrics.js';
import { requireBinary } from '../helpers/binaries.js';
import { parseExposition, seriesKey } from '../helpers/parse-exposition.js';
import { usePushgateway } from '../helpers/pushgateway-fixture.js';

const servers = requireBinary('prometheus-pushgateway') !== undefined;
const nodes: NodeMetrics[] = [];
afterAll(async () => {
  await Promise.all(nodes.map((node) => node.shutdown(1).catch(() => {})));
});

function node(gatewayAddr: string, jobName: string, warnings: string[] = []): NodeMetrics {
  const created = startNodeMetrics({
    env: {},
    logger: { warn: (message) => warnings.push(message), info: () => {} },
    options: { jobName, role: 'server', replicaIndex: 0, gatewayAddr, pushIntervalSeconds: 0.2, pushTimeoutSeconds: 1, pushRetries: 1 },
  });
  // The node warns at start that the 1 s timeout exceeds the 0.2 s interval; only push trouble counts here.
  warnings.splice(0);
  nodes.push(created);
  return created;
}

describe.skipIf(!servers)('fault: the real gateway refuses one metric (400)', () => {
  const gateway = usePushgateway();

  it('reports the reason once, counts it, and keeps every other metric flowing', async () => {
    const clash = await fetch(`${gateway.url}/metrics/job/other_team`, { method: 'PUT', body: '# TYPE index_miss_count gauge\nindex_miss_count 1\n' });
    expect(clash.status).toBe(200);
    const warnings: string[] = [];
    const one = node(gateway.address, 'fault_400', warnings);
    one.histogram('lookup_mixed_batch_time_cost').observe(0.01);
    one.counter('index_miss_count').inc(5);
    const key = { instance: 'rep_0', job: 'fault_400', role: 'server' };
    const samples = await waitFor(
      async () => {
        const found = parseExposition(await gateway.metricsText()).samples;
        return (found.get(seriesKey('persia_metrics_push_failures_total', { ...key, reason: 'http_4xx' })) ?? 0) >= 1 ? found : undefined;
      },
      { timeoutMs: 5000, intervalMs: 50, what: 'the node to push the other metrics, with the 400 counted' },
    );
    expect(samples.get(seriesKey('lookup_mixed_batch_time_cost_count', key))).toBe(1);
    expect(samples.has(seriesKey('index_miss_count', key))).toBe(false); // only the refused one is held back
    await new Promise((resolve) => setTimeout(resolve, 1000)); // 5 more intervals: no more warnings
    expect(warnings).toHaveLength(1);
    // The gateway names whichever of the two clashing metrics its (Go map) iteration meets second: either wording.
    expect(warnings[0]).toMatch(/index_miss_count.*is not a (GAUGE|COUNTER)/s);
    await expect(one.flush()).rejects.toMatchObject({ statusCode: 400 }); // an explicit flush says a metric was left out
  });
});

describe('fault: addresses that lead nowhere', () => {
  it('an unresolvable gateway name fails each push with the DNS reason, and recording goes on', async () => {
    const warnings: string[] = [];
    const one = node('no-such-gateway.invalid:9091', 'fault_dns', warnings);
    one.counter('index_miss_count').inc(2);
    await expect(one.flush()).rejects.toMatchObject({ code: 'PERSIA_PUSH_NETWORK', message: expect.stringMatching(/ENOTFOUND|EAI_AGAIN/) as unknown });
    expect(one.counter('index_miss_count').value).toBe(2);
    expect(warnings.length).toBeGreaterThanOrEqual(1);
    expect(one.registry.counter('persia_metrics_push_failures_total').labels('connection').value).toBeGreaterThanOrEqual(1);
  });

  it('a port nobody listens on fails with ECONNREFUSED, counted as a connection failure', async () => {
    const port = await freePort();
    const one = node(`127.0.0.1:${port}`, 'fault_port');
    await expect(one.flush()).rejects.toMatchObject({ code: 'PERSIA_PUSH_NETWORK', message: expect.stringContaining('ECONNREFUSED') as unknown });
    expect(one.registry.counter('persia_metrics_push_failures_total').labels('connection').value).toBeGreaterThanOrEqual(1);
  });

  it.each([
    ['a path', '127.0.0.1:9091/metrics', /path or query/],
    ['a query', 'http://127.0.0.1:9091?x=1', /path or query/],
    ['another scheme', 'ftp://127.0.0.1:9091', /scheme "ftp"/],
    ['credentials in the URL', 'http://admin:hunter2@127.0.0.1:9091', /credentials/],
  ])('an address with %s is a config error naming the key, before any traffic', (_what, address, reason) => {
    let thrown: unknown;
    try {
      node(address, 'fault_address');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).path).toBe('gatewayAddr');
    expect((thrown as ConfigError).message).toMatch(reason);
    expect((thrown as ConfigError).message).not.toContain('hunter2');
  });
});
