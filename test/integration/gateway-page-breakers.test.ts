/**
 * A README-only new-user session's findings on what breaks a shared gateway unnamed, each replayed as its
 * repro did against the real Pushgateway, live nodes (users' programs importing `persia-metrics`), the
 * built CLI and, where the harm is Prometheus's, a real Prometheus:
 *
 * - a foreign protobuf push of a family named `a-b` or `gé`, or of a histogram carrying its own `le`, is
 *   accepted with the consistency check on, and the page answers 200 with text Prometheus cannot parse:
 *   the target is down; `status` names the groups (exit 1), `repair` deletes them and Prometheus scrapes
 *   the gateway again;
 * - a family named "" (the page ends before it began) or of a type the text page cannot say: the page
 *   answers 200 and parses, cut short, and `up` stays 1; status names the groups, repair deletes them;
 * - a foreign GAUGE family holding a counter value (check off): the page's 500 names the group, status
 *   and repair find it;
 * - three nodes' counter `samples_count` meets one hostile summary `samples`: the hostile group is blamed
 *   and deleted, the nodes kept;
 * - another job's group holding the catalog family `index_miss_count` as a gauge (check on) has every
 *   node's push of it refused: status names it, repair deletes it, the node's next push lands.
 *
 * Needs `npm run build` first (the nodes and the CLI run dist/).
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startPrometheus, type RunningPrometheus } from '../../src/local-stack/prometheus-process.js';
import { startPushgateway, type RunningPushgateway } from '../../src/local-stack/pushgateway-process.js';
import { waitFor } from '../../src/local-stack/wait-for.js';
import { requireBinary } from '../helpers/binaries.js';
import { runCli } from '../helpers/cli-runner.js';
import { MetricType, pushRawProtobuf, rawFamily, rawMetric } from '../helpers/raw-protobuf-push.js';
import { killUserPrograms, nodeEnv, startUserProgram } from '../helpers/user-program.js';

const servers = requireBinary('prometheus-pushgateway') !== undefined && requireBinary('prometheus') !== undefined;
afterAll(() => killUserPrograms());

/** A node pushing every second until killed, after `setup` (source run once its metrics started); prints 'pushed' after its first flush. */
function liveNode(gateway: RunningPushgateway, job: string, extra: Record<string, string>, setup = ''): void {
  const node = startUserProgram(
    `import { startNodeMetrics } from 'persia-metrics';
const metrics = startNodeMetrics();
${setup}
await metrics.flush().catch((error) => console.log('flush failed: ' + error.message));
console.log('pushed');
setInterval(() => {}, 1000);
`,
    { env: nodeEnv(gateway.address, job, { PERSIA_METRICS_PUSH_INTERVAL_SECONDS: '1', ...extra }), timeoutMs: 120_000 },
  );
  void waitFor(async () => node.stdout().includes('pushed'), { timeoutMs: 20_000, intervalMs: 100, what: `the node's first push (${node.stderr()})` });
}

async function groupsOf(gateway: RunningPushgateway): Promise<Array<Record<string, string>>> {
  return (await gateway.groups()).map((group) => group.labels);
}

async function pageStatus(gateway: RunningPushgateway): Promise<number> {
  return (await fetch(`${gateway.url}/metrics`)).status;
}

describe.skipIf(!servers)("groups that break the gateway's page or its pushes, unnamed before", () => {
  let gateway: RunningPushgateway | undefined;
  let prometheus: RunningPrometheus | undefined;
  afterEach(async () => {
    killUserPrograms();
    await prometheus?.stop();
    await gateway?.stop();
    prometheus = undefined;
  });

  it("a 200 page Prometheus cannot parse (a-b, gé, a histogram's own le; check on): status names the groups, repair deletes them, Prometheus scrapes again", async () => {
    gateway = await startPushgateway();
    prometheus = await startPrometheus({ scrapeTargets: [gateway.address], scrapeIntervalSeconds: 1 });
    liveNode(gateway, 'pb', { PERSIA_METRICS_INSTANCE: 'n1' });
    await prometheus.queryUntil('persia_node_push_interval_seconds{job="pb"}', (samples) => samples.length === 1);

    const gauge = (name: string) => rawFamily(name, MetricType.GAUGE, [rawMetric([], { kind: 'gauge', value: 1 })]);
    expect(await pushRawProtobuf(gateway.url, '/metrics/job/neighbour/instance/dash', [gauge('a-b')])).toBeLessThan(300);
    expect(await pushRawProtobuf(gateway.url, '/metrics/job/neighbour/instance/accent', [gauge('gé')])).toBeLessThan(300);
    const histogram = rawFamily('h1', MetricType.HISTOGRAM, [rawMetric([['le', 'x']], { kind: 'histogram', bound: 1 })]);
    expect(await pushRawProtobuf(gateway.url, '/metrics/job/neighbour/instance/le', [histogram])).toBeLessThan(300);
    expect(await pageStatus(gateway)).toBe(200);
    const down = await waitFor(async () => (await prometheus?.targets())?.find((t) => t.health === 'down'), {
      timeoutMs: 10_000,
      intervalMs: 200,
      what: 'Prometheus to fail parsing the gateway page',
    });
    expect(down.lastError).toMatch(/invalid metric type|not unique|invalid/);

    const status = await runCli(['status', '--job', 'pb', '--gateway', gateway.address]);
    expect(status.code, status.stderr).toBe(1);
    expect(status.stdout).toContain('NOT SCRAPABLE');
    expect(status.stderr).toContain(`gateway ${gateway.address} answers 200 on /metrics (text Prometheus cannot parse`);
    expect(status.stderr).toContain('broken by group job="neighbour" instance="dash": a-b: invalid metric name "a-b"');
    expect(status.stderr).toContain('broken by group job="neighbour" instance="accent": gé: invalid metric name "gé"');
    expect(status.stderr).toContain('broken by group job="neighbour" instance="le": h1: label name "le" is not unique');
    expect(status.stderr).not.toContain('broken by group job="pb"');

    const repair = await runCli(['repair', '--gateway', gateway.address]);
    expect(repair.code, `${repair.stdout}\n${repair.stderr}`).toBe(0);
    expect(repair.stdout).toMatch(/3 of 3 groups deleted; \/metrics now answers 200 and still did/);
    expect(await groupsOf(gateway)).toEqual([{ job: 'pb', role: 'trainer', instance: 'n1' }]);
    await prometheus.queryUntil('up == 1 and on() persia_node_push_interval_seconds{job="pb"}', (samples) => samples.length === 1, 15_000);
    expect((await prometheus.targets()).map((t) => t.health)).toEqual(['up']);
    const after = await runCli(['status', '--job', 'pb', '--gateway', gateway.address]);
    expect(after.code, after.stderr).toBe(0);
  }, 90_000);

  it('a family named "" and a GAUGE_HISTOGRAM (check on): the page answers 200 and parses but is cut short, up stays 1; status names both groups, repair deletes them', async () => {
    gateway = await startPushgateway();
    prometheus = await startPrometheus({ scrapeTargets: [gateway.address], scrapeIntervalSeconds: 1 });
    liveNode(gateway, 'pb', { PERSIA_METRICS_INSTANCE: 'n1' });
    await prometheus.queryUntil('persia_node_push_interval_seconds{job="pb"}', (samples) => samples.length === 1);

    const unnamed = rawFamily('', MetricType.GAUGE, [rawMetric([], { kind: 'gauge', value: 1 })]);
    expect(await pushRawProtobuf(gateway.url, '/metrics/job/neighbour/instance/unnamed', [unnamed])).toBeLessThan(300);
    const gaugeHistogram = rawFamily('zz_gauge_histogram', MetricType.GAUGE_HISTOGRAM, [rawMetric([], { kind: 'histogram', bound: 1 })]);
    expect(await pushRawProtobuf(gateway.url, '/metrics/job/neighbour/instance/gh', [gaugeHistogram])).toBeLessThan(300);
    // The page is empty (the family named "" sorts first), yet a 200 that parses: Prometheus keeps the target up and sees nothing.
    expect(await pageStatus(gateway)).toBe(200);
    await prometheus.queryUntil('up == 1 and on() scrape_samples_scraped == 0', (samples) => samples.length === 1, 15_000);

    const status = await runCli(['status', '--job', 'pb', '--gateway', gateway.address]);
    expect(status.code, status.stderr).toBe(1);
    expect(status.stderr).toContain('broken by group job="neighbour" instance="unnamed": a family named "", a name Prometheus cannot read');
    expect(status.stderr).toContain('broken by group job="neighbour" instance="gh": zz_gauge_histogram pushed as GAUGE_HISTOGRAM, a type the gateway\'s text page cannot say');
    expect(status.stderr).not.toContain('broken by group job="pb"');

    const repair = await runCli(['repair', '--gateway', gateway.address]);
    expect(repair.code, `${repair.stdout}\n${repair.stderr}`).toBe(0);
    expect(repair.stdout).toMatch(/2 of 2 groups deleted; \/metrics now answers 200/);
    expect(await groupsOf(gateway)).toEqual([{ job: 'pb', role: 'trainer', instance: 'n1' }]);
    await prometheus.queryUntil('up == 1 and on() persia_node_push_interval_seconds{job="pb"}', (samples) => samples.length === 1, 15_000);
  }, 90_000);

  it('a GAUGE family holding a counter value (check off): the 500 names the group; status and repair find it', async () => {
    gateway = await startPushgateway({ extraArgs: ['--push.disable-consistency-check'] });
    const family = rawFamily('g7', MetricType.GAUGE, [rawMetric([], { kind: 'counter', value: 1 })]);
    expect(await pushRawProtobuf(gateway.url, '/metrics/job/jp/role/trainer/instance/mixed', [family])).toBeLessThan(300);
    expect(await pageStatus(gateway)).toBe(500);

    const status = await runCli(['status', '--job', 'jp', '--gateway', gateway.address]);
    expect(status.code, status.stderr).toBe(1);
    expect(status.stderr).toContain('broken by group job="jp" role="trainer" instance="mixed": g7 is typed GAUGE but holds a sample of another type');

    const repair = await runCli(['repair', '--gateway', gateway.address]);
    expect(repair.code, `${repair.stdout}\n${repair.stderr}`).toBe(0);
    expect(repair.stdout).toMatch(/1 of 1 group deleted; \/metrics now answers 200/);
    expect(await groupsOf(gateway)).toEqual([]);
  }, 30_000);

  it("three nodes' counter samples_count meets one hostile summary samples (check off): the hostile group is blamed and deleted, the nodes kept", async () => {
    gateway = await startPushgateway({ extraArgs: ['--push.disable-consistency-check'] });
    const define = `metrics.registry.define({ name: 'samples_count', type: 'counter', help: 'samples seen', unit: '1', group: 'efficiency', roles: ['trainer'], labels: [] }).inc(10);`;
    for (const instance of ['n1', 'n2', 'n3']) liveNode(gateway, 'jr', { PERSIA_METRICS_INSTANCE: instance }, define);
    await waitFor(async () => (await groupsOf(gateway!)).length === 3, { timeoutMs: 20_000, intervalMs: 100, what: "the three nodes' first pushes" });
    const hostile = await fetch(`${gateway.url}/metrics/job/jr/role/trainer/instance/evil`, { method: 'PUT', body: '# TYPE samples summary\nsamples_sum 1\nsamples_count 1\n' });
    expect(hostile.status).toBeLessThan(300);
    expect(await pageStatus(gateway)).toBe(500);

    const status = await runCli(['status', '--job', 'jr', '--gateway', gateway.address]);
    expect(status.code, status.stderr).toBe(1);
    expect(status.stderr).toContain(
      'broken by group job="jr" role="trainer" instance="evil": samples pushed as summary: its samples meet the counter samples_count, held by 3 groups to its 1',
    );
    expect(status.stderr).not.toMatch(/broken by group [^\n]*instance="n\d"/);

    const repair = await runCli(['repair', '--gateway', gateway.address]);
    expect(repair.code, `${repair.stdout}\n${repair.stderr}`).toBe(0);
    expect(repair.stdout).toMatch(/1 of 1 group deleted; \/metrics now answers 200 and still did/);
    const left = (await groupsOf(gateway)).map((labels) => labels['instance']).sort();
    expect(left).toEqual(['n1', 'n2', 'n3']);
    expect(await pageStatus(gateway)).toBe(200);
  }, 60_000);

  it("another job's gauge index_miss_count (a catalog counter; check on): status names the squatter, repair deletes it, the node's next push lands", async () => {
    gateway = await startPushgateway();
    const squat = await fetch(`${gateway.url}/metrics/job/someone_else/instance/x`, { method: 'PUT', body: '# TYPE index_miss_count gauge\nindex_miss_count 0\n' });
    expect(squat.status).toBeLessThan(300);
    liveNode(gateway, 'jA', { PERSIA_NODE_ROLE: 'server', PERSIA_METRICS_INSTANCE: 's1' }, `metrics.counter('index_miss_count').labels().inc();`);
    await waitFor(async () => (await gateway!.metricsText()).includes('persia_metrics_push_failures_total{'), {
      timeoutMs: 20_000,
      intervalMs: 100,
      what: 'the node to count a refused push',
    });
    expect(await gateway.metricsText()).not.toMatch(/^index_miss_count\{[^}]*instance="s1"/m);
    expect(await pageStatus(gateway)).toBe(200);

    const status = await runCli(['status', '--job', 'jA', '--gateway', gateway.address]);
    expect(status.code, status.stderr).toBe(1);
    expect(status.stderr).toContain(
      `broken by group job="someone_else" instance="x": holds the catalog family index_miss_count as GAUGE (the catalog's type is COUNTER): the gateway refuses every node's push of it`,
    );
    expect(status.stderr).not.toContain('broken by group job="jA"');

    const repair = await runCli(['repair', '--gateway', gateway.address]);
    expect(repair.code, `${repair.stdout}\n${repair.stderr}`).toBe(0);
    expect(repair.stdout).toMatch(/1 of 1 group deleted; \/metrics now answers 200/);
    await waitFor(async () => /^index_miss_count\{[^}]*instance="s1"[^}]*\} 1$/m.test(await gateway!.metricsText()), {
      // A node offers a refused family again every 30 pushes (src/push/refused-families.ts), here one a second.
      timeoutMs: 45_000,
      intervalMs: 200,
      what: "the node's index_miss_count to land once the squatter is gone",
    });
  }, 90_000);
});
