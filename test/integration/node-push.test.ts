/**
 * A training node's metrics, from global_config.yaml to the real Pushgateway and Prometheus binaries.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import client from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PERSIA_METRIC_NAMES } from '../../src/metrics/catalog.js';
import { startNodeMetrics, type NodeMetrics } from '../../src/node-metrics.js';
import { requireBinary } from '../helpers/binaries.js';
import { usePushgateway } from '../helpers/pushgateway-fixture.js';
import { startPrometheus, type RunningPrometheus } from '../../src/local-stack/prometheus-process.js';
import { startPushgateway, type RunningPushgateway } from '../../src/local-stack/pushgateway-process.js';
import { waitFor } from '../../src/local-stack/wait-for.js';

const run = promisify(execFile);
const MAIN = join(import.meta.dirname, '../../dist/src/cli/main.js');
const servers = requireBinary('prometheus-pushgateway') !== undefined && requireBinary('prometheus') !== undefined;
const dir = mkdtempSync(join(tmpdir(), 'persia-node-push-'));

function configFile(name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `PersiaMetricsConfig:\n${body}`);
  return path;
}

const quietLogger = { warn: () => {}, info: () => {} };

describe.skipIf(!servers)('node → real Pushgateway → real Prometheus', () => {
  const gateway = usePushgateway();
  let prometheus: RunningPrometheus;
  const nodes: NodeMetrics[] = [];

  beforeAll(async () => {
    prometheus = await startPrometheus({ scrapeTargets: [gateway.address], scrapeIntervalSeconds: 1 });
  });

  afterAll(async () => {
    await Promise.all(nodes.map((node) => node.shutdown(2).catch(() => {})));
    await prometheus?.stop();
  });

  function node(job: string, role: 'trainer' | 'middleware' | 'server', replicaIndex: number, extra: Record<string, unknown> = {}): NodeMetrics {
    const created = startNodeMetrics({
      env: {},
      logger: quietLogger,
      options: { jobName: job, role, replicaIndex, gatewayAddr: gateway.address, pushIntervalSeconds: 0.5, ...extra },
    });
    nodes.push(created);
    return created;
  }

  it('nodes of all three roles with the same replica index each get their own group', async () => {
    const job = 'three_roles';
    const created = (['trainer', 'middleware', 'server'] as const).map((role) => node(job, role, 0));
    created[0]?.gauge('staleness').set(2);
    created[1]?.histogram('lookup_rpc_time_cost').observe(0.004);
    created[2]?.counter('index_miss_count').inc(7);
    await Promise.all(created.map((one) => one.flush()));
    const groups = (await gateway.groups()).filter((group) => group.labels['job'] === job);
    expect(groups.map((group) => group.labels).sort((a, b) => (a['role'] ?? '').localeCompare(b['role'] ?? ''))).toEqual([
      { job, role: 'middleware', instance: 'rep_0' },
      { job, role: 'server', instance: 'rep_0' },
      { job, role: 'trainer', instance: 'rep_0' },
    ]);
    const server = groups.find((group) => group.labels['role'] === 'server');
    expect(server?.metricNames).toContain('index_miss_count');
    expect(server?.metricNames).toContain('persia_node_cpu_seconds_total');
  });

  it('Prometheus (honor_labels) sees job/role/instance, and histogram_quantile works across nodes', async () => {
    const job = 'quantiles';
    const middleware = [0, 1].map((index) => node(job, 'middleware', index));
    for (const one of middleware) {
      const rpc = one.histogram('lookup_rpc_time_cost').labels();
      for (let index = 0; index < 98; index += 1) rpc.observe(0.003);
      rpc.observe(2);
      rpc.observe(2);
    }
    await Promise.all(middleware.map((one) => one.flush()));
    const series = await prometheus.queryUntil(`lookup_rpc_time_cost_count{job="${job}"}`, (samples) => samples.length === 2);
    expect(series.map((sample) => sample.metric['instance']).sort()).toEqual(['rep_0', 'rep_1']);
    expect(series.every((sample) => sample.metric['role'] === 'middleware' && sample.value === 100)).toBe(true);
    expect(series.some((sample) => 'exported_job' in sample.metric)).toBe(false);
    const [p50] = await prometheus.query(`histogram_quantile(0.5, sum by (le, role) (lookup_rpc_time_cost_bucket{job="${job}"}))`);
    const [p99] = await prometheus.query(`histogram_quantile(0.99, sum by (le, role) (lookup_rpc_time_cost_bucket{job="${job}"}))`);
    expect(p50?.metric['role']).toBe('middleware');
    expect(p50?.value).toBeGreaterThan(0.0025);
    expect(p50?.value).toBeLessThanOrEqual(0.005);
    expect(p99?.value).toBeGreaterThan(1);
    expect(p99?.value).toBeLessThanOrEqual(2.5);
  });

  it('PERSIA_METRICS_GATEWAY_ADDR overrides the address in global_config.yaml', async () => {
    const file = configFile('env-override.yaml', '  job_name: env_override\n  gateway_addr: 127.0.0.1:1\n  push_interval_seconds: 0.5\n');
    const one = startNodeMetrics({ file, env: { PERSIA_METRICS_GATEWAY_ADDR: gateway.address, REPLICA_INDEX: '4' }, logger: quietLogger });
    nodes.push(one);
    expect(one.config.origins.gatewayAddr.source).toBe('env');
    await one.flush();
    const groups = await gateway.groups();
    expect(groups.some((group) => group.labels['job'] === 'env_override' && group.labels['instance'] === 'rep_4')).toBe(true);
  });

  it('with enable_metrics: false the gateway receives nothing, and recording still works', async () => {
    // A gateway of its own: the other tests' nodes keep pushing to the shared one.
    const quiet = await startPushgateway();
    const pushesBefore = await gatewayPushRequests(quiet);
    const file = configFile('disabled.yaml', '  enable_metrics: false\n  job_name: disabled_job\n  push_interval_seconds: 0.1\n');
    const one = startNodeMetrics({ file, env: { PERSIA_METRICS_GATEWAY_ADDR: quiet.address }, logger: quietLogger });
    nodes.push(one);
    one.counter('index_miss_count').inc(5);
    expect(one.counter('index_miss_count').value).toBe(5);
    await one.flush();
    await new Promise((resolve) => setTimeout(resolve, 600));
    await one.shutdown();
    expect(one.enabled).toBe(false);
    expect(await quiet.groups()).toEqual([]);
    expect(await gatewayPushRequests(quiet)).toBe(pushesBefore);
    await quiet.stop();
  });

  it('shutdown pushes the final values, then deletes the group when configured', async () => {
    const keep = node('shutdown_keep', 'trainer', 0, { pushIntervalSeconds: 60 });
    const drop = node('shutdown_drop', 'trainer', 0, { pushIntervalSeconds: 60, deleteOnShutdown: true });
    await Promise.all([keep.flush(), drop.flush()]);
    keep.gauge('num_pending_batches').set(42);
    await Promise.all([keep.shutdown(), drop.shutdown()]);
    await expect(keep.shutdown()).resolves.toBeUndefined(); // idempotent
    const text = await gateway.metricsText();
    expect(text).toMatch(/num_pending_batches\{instance="rep_0",job="shutdown_keep",role="trainer"\} 42/);
    expect(text).not.toContain('job="shutdown_drop"');
  });

  it("a 400 from the gateway is reported once with the gateway's reason, counted every time, and survived", async () => {
    // Another group pushes index_miss_count as a gauge first: the real gateway's consistency check then
    // refuses ours (a counter of the same name). A gateway of its own, so the other tests are not refused.
    const strict = await startPushgateway();
    const clash = await fetch(`${strict.url}/metrics/job/clash_other`, { method: 'PUT', body: '# TYPE index_miss_count gauge\nindex_miss_count 1\n' });
    expect(clash.status).toBe(200);
    const warnings: string[] = [];
    const one = startNodeMetrics({
      env: {},
      logger: { warn: (message) => warnings.push(message), info: () => {} },
      options: { jobName: 'clash_ours', role: 'server', replicaIndex: 0, gatewayAddr: strict.address, pushIntervalSeconds: 0.2 },
    });
    warnings.splice(0); // the start-up warning that the default 5 s timeout exceeds the 0.2 s interval: not the subject here
    nodes.push(one);
    await expect(one.flush()).rejects.toMatchObject({ code: 'PERSIA_PUSH_HTTP', statusCode: 400 });
    // A few more refused intervals (0.2 s each; fewer per second on a loaded machine), each counted.
    await waitFor(async () => (one.pushStats?.failures ?? 0) > 3, { timeoutMs: 15_000, intervalMs: 50, what: 'more than 3 refused pushes' });
    expect(one.pushStats?.failures).toBeGreaterThan(3);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/400.*index_miss_count/s);
    expect(one.registry.counter('persia_metrics_push_failures_total').labels('http_4xx').value).toBeGreaterThan(3);
    await one.shutdown(1).catch(() => {});
    await strict.stop();
  });

  it('gzip bodies arrive intact, and a prom-client registry of the user rides along', async () => {
    const own = new client.Registry();
    new client.Counter({ name: 'user_epochs_total', help: 'Epochs finished.', registers: [own] }).inc(3);
    const one = startNodeMetrics({
      env: { PERSIA_METRICS_GZIP: 'true' },
      logger: quietLogger,
      extraSources: [own],
      options: { jobName: 'gzip_job', role: 'server', replicaIndex: 0, gatewayAddr: gateway.address, pushIntervalSeconds: 60 },
    });
    nodes.push(one);
    expect(one.config.options.gzip).toBe(true);
    one.counter('index_miss_count').inc(11);
    await one.flush();
    const text = await gateway.metricsText();
    expect(text).toMatch(/index_miss_count\{instance="rep_0",job="gzip_job",role="server"\} 11/);
    expect(text).toMatch(/user_epochs_total\{instance="rep_0",job="gzip_job",role="server"\} 3/);
  });

  it("an extra registry whose series carry a grouping label is held back; the node's own metrics still arrive", async () => {
    const own = new client.Registry();
    new client.Gauge({ name: 'user_gauge', help: 'A gauge with a clashing label.', labelNames: ['instance'], registers: [own] }).set({ instance: 'x' }, 1);
    const warnings: string[] = [];
    const one = startNodeMetrics({
      env: {},
      logger: { warn: (message) => warnings.push(message), info: () => {} },
      extraSources: [own],
      options: { jobName: 'clash_label_job', role: 'trainer', replicaIndex: 0, gatewayAddr: gateway.address, pushIntervalSeconds: 60 },
    });
    nodes.push(one);
    await expect(one.flush()).rejects.toMatchObject({ code: 'PERSIA_LABEL_CLASH', label: 'instance' });
    expect(warnings[0]).toContain('grouping key');
    // Issue 8 item 2: one bad extra source no longer stops the node's other metrics; it alone is left out.
    const group = (await gateway.groups()).find((candidate) => candidate.labels['job'] === 'clash_label_job');
    expect(group?.metricNames).toContain('persia_node_state');
    expect(group?.metricNames).not.toContain('user_gauge');
    expect(one.registry.counter('persia_metrics_push_failures_total').labels('extra_source').value).toBeGreaterThan(0);
  });

  it('simulate pushes every catalog metric of the spec, queryable in Prometheus with job/role/instance', async () => {
    const job = 'simulated_cluster';
    const file = configFile('simulate.yaml', `  job_name: ${job}\n  push_interval_seconds: 0.5\n`);
    const { stderr } = await run(
      process.execPath,
      [MAIN, 'simulate', '--config', file, '--gateway', gateway.address, '--trainers', '2', '--middleware', '1', '--servers', '1', '--duration', '3'],
      {
        timeout: 30_000,
      },
    );
    expect(stderr).toContain('4 nodes of job "simulated_cluster"');
    const names = PERSIA_METRIC_NAMES.map((name) => (name.endsWith('_time_cost') ? `${name}_count` : name));
    const selector = `{__name__=~"${names.join('|')}", job="${job}"}`;
    const samples = await prometheus.queryUntil(`count by (__name__) (${selector})`, (found) => found.length === names.length, 20_000);
    expect(samples.map((sample) => sample.metric['__name__']).sort()).toEqual([...names].sort());
    const labelled = await prometheus.query(`count by (role, instance) (${selector})`);
    expect(labelled.map((sample) => `${sample.metric['role']}/${sample.metric['instance']}`).sort()).toEqual([
      'middleware/rep_0',
      'server/rep_0',
      'trainer/rep_0',
      'trainer/rep_1',
    ]);
  });
});

/** The gateway's own count of push requests it handled (any method, any status). */
async function gatewayPushRequests(gateway: RunningPushgateway): Promise<number> {
  const text = await gateway.metricsText();
  let total = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('pushgateway_http_requests_total{') && /handler="(push|delete)"/.test(line)) total += Number(line.split(' ').pop());
  }
  return total;
}
