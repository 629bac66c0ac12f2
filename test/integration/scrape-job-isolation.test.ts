/**
 * One gateway per job holds against a hostile process of another job, with the scrape jobs `init` renders
 * (config/prometheus/prometheus.yml: the DNS job, aimed here at job A's gateway, and the file_sd job reading
 * the target files `discover` writes, here job B's) and the rules it renders, on the real gateway and the real
 * Prometheus. A process of job A pushes, to A's own gateway, groups named after job B's nodes (their series
 * also carrying persia_job="B"), a group of B that does not exist, and `up 0` for a gateway that does not
 * exist: B's healthy nodes are never hung, stale or joined by a ghost, and no PersiaGatewayDown is raised.
 * The same bodies under job A do raise A's alerts (so the pushes were scraped and the rules evaluated).
 * A's own node, a group without an instance and a third gateway whose job Prometheus is not told (its groups
 * keep the job they were pushed under) keep their labels as pushed; `status` and `persia-metrics view` (the
 * built CLI, in Chromium) show each job's nodes as before. Needs `npm run build` first.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dump, load } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveDeployOptions } from '../../src/deploy/deploy-options.js';
import { renderInitDeployment } from '../../src/deploy/render-deployment.js';
import { renderFileSd, writeFileSd } from '../../src/discovery/file-sd.js';
import { startPrometheus, type PromVectorSample, type RunningPrometheus } from '../../src/local-stack/prometheus-process.js';
import { startPushgateway, type RunningPushgateway } from '../../src/local-stack/pushgateway-process.js';
import { spawnManaged } from '../../src/local-stack/managed-process.js';
import { waitFor } from '../../src/local-stack/wait-for.js';
import { METRIC_CATALOG } from '../../src/metrics/catalog.js';
import { HUNG_ALERT } from '../../src/monitoring/view-contract.js';
import { requireBinary } from '../helpers/binaries.js';
import { requireChromium } from '../helpers/chromium.js';
import { CLI_MAIN, runCli } from '../helpers/cli-runner.js';
import { killUserPrograms, nodeEnv, startUserProgram } from '../helpers/user-program.js';
import { viewNodeRows } from '../helpers/view-node-table.js';

const ready = requireBinary('prometheus') !== undefined && requireBinary('prometheus-pushgateway') !== undefined;
if (!existsSync(CLI_MAIN) && process.env['CI'] === 'true') throw new Error(`CI=true and ${CLI_MAIN} is missing: run npm run build first`);

const JOB_A = 'iso_scrape_a';
const JOB_B = 'iso_scrape_b';
const STALE_ALERT = 'PersiaNodeStoppedPushing';
const FAKE_GATEWAY = 'gw.attacker.example:443';

/** A node that pushes every second until it is stopped. */
const TRAINING = `
import { startNodeMetrics } from 'persia-metrics';
const metrics = startNodeMetrics();
const pending = metrics.gauge('num_pending_batches').labels();
await metrics.flush();
console.log('pushed');
setInterval(() => pending.set(Math.random()), 200);
`;

/** Gauge lines with the catalog's HELP and TYPE, as nodes push them (the gateway's check refuses a group that disagrees). */
function gauge(name: string, labels: string, value: number): string {
  return `# HELP ${name} ${METRIC_CATALOG.find((spec) => spec.name === name)?.help ?? ''}\n# TYPE ${name} gauge\n${name}${labels} ${value}\n`;
}

/** What the pushes try on the node whose grouping key they are pushed under; `labels` as the repro's, naming job B. */
const hungBody = (labels: string): string => gauge('persia_node_progress_age_seconds', labels, 9999);
const staleBody = (labels: string): string => gauge('persia_node_push_interval_seconds', labels, 0.001);
const GHOST_BODY = gauge('persia_node_push_interval_seconds', '', 1) + gauge('persia_node_state', '{state="running"}', 1);
const AS_B = `{persia_job="${JOB_B}"}`;

/** The rendered prometheus.yml's gateway jobs, aimed at 127.0.0.1: the DNS job at `dnsTarget`, the file_sd job at `targetsDir`. */
function renderedGatewayJobs(prometheusYml: string, dnsTarget: string, targetsDir: string): string {
  const config = load(prometheusYml) as { scrape_configs: Array<Record<string, unknown>> };
  const jobs = config.scrape_configs.filter((job) => String(job['job_name']).startsWith('persia_gateway_'));
  expect(jobs.map((job) => job['job_name'])).toEqual(['persia_gateway_dns', 'persia_gateway_file']);
  return dump(
    jobs.map(({ dns_sd_configs: dns, file_sd_configs: files, ...job }) => ({
      ...job,
      ...(dns === undefined ? {} : { static_configs: [{ targets: [dnsTarget] }] }),
      ...(files === undefined ? {} : { file_sd_configs: [{ files: [join(targetsDir, '*.json')], refresh_interval: '1s' }] }),
    })),
  );
}

const nodesOf = (samples: readonly PromVectorSample[]): string[] => samples.map((s) => `${s.metric['job']}/${s.metric['role']}/${s.metric['instance']}`).sort();

describe.skipIf(!ready || !existsSync(CLI_MAIN))("a job's gateway cannot write another job's nodes, nor Prometheus's own series", () => {
  const options = resolveDeployOptions({ jobName: JOB_A, pushIntervalSeconds: 1, scrapeIntervalSeconds: 1 });
  const dir = mkdtempSync(join(tmpdir(), 'persia-scrape-isolation-'));
  let gatewayA: RunningPushgateway;
  let gatewayB: RunningPushgateway;
  let unlabelled: RunningPushgateway;
  let prometheus: RunningPrometheus;
  let attack: NodeJS.Timeout | undefined;

  async function put(gateway: RunningPushgateway, path: string, body: string): Promise<void> {
    const response = await fetch(`${gateway.url}/metrics/${path}`, { method: 'PUT', body });
    expect(response.status, await response.text()).toBe(200);
  }

  /** What job A's process pushes to A's own gateway, again every second so every group stays fresh. */
  async function pushAttack(): Promise<void> {
    await Promise.all([
      put(gatewayA, `job/${JOB_B}/role/middleware/instance/n1`, hungBody(AS_B)),
      put(gatewayA, `job/${JOB_B}/role/trainer/instance/n2`, staleBody(AS_B)),
      put(gatewayA, `job/${JOB_B}/role/trainer/instance/ghost`, GHOST_BODY),
      put(gatewayA, `job/persia_gateway_dns/instance/${FAKE_GATEWAY}`, gauge('up', '', 0)),
      put(gatewayA, `job/${JOB_A}/instance/${FAKE_GATEWAY}`, gauge('up', '', 0) + gauge('scrape_samples_scraped', '', 0)),
      // The same on job A's own groups: allowed, and they raise A's alerts (the hung one needs the rest of a
      // running node, which B's real node supplies above).
      put(gatewayA, `job/${JOB_A}/role/middleware/instance/evil_hung`, hungBody('') + GHOST_BODY),
      put(gatewayA, `job/${JOB_A}/role/trainer/instance/evil_stale`, staleBody('')),
    ]);
  }

  beforeAll(async () => {
    [gatewayA, gatewayB, unlabelled] = await Promise.all([startPushgateway(), startPushgateway(), startPushgateway()]);
    const rendered = renderInitDeployment(options);
    const rules = ['persia-alerts.yml', 'persia-recording.yml'].map((file) => {
      const path = join(dir, file);
      writeFileSync(path, rendered.get(`config/prometheus/rules/${file}`) ?? '');
      return path;
    });
    // Job B's target file as `discover` writes it; a gateway no job label names, as a shared Prometheus may list it.
    const targetsDir = join(dir, 'targets');
    mkdirSync(targetsDir);
    const { files } = renderFileSd([{ job: JOB_B, target: gatewayB.address }]);
    expect(writeFileSd(targetsDir, files, false).failed).toEqual([]);
    writeFileSync(join(targetsDir, 'unlabelled.json'), JSON.stringify([{ targets: [unlabelled.address] }]));
    prometheus = await startPrometheus({
      scrapeIntervalSeconds: 1,
      ruleFiles: rules,
      extraScrapeConfigsYaml: renderedGatewayJobs(rendered.get('config/prometheus/prometheus.yml') ?? '', gatewayA.address, targetsDir),
    });
  }, 60_000);

  afterAll(async () => {
    if (attack !== undefined) clearInterval(attack);
    killUserPrograms();
    await prometheus?.stop();
    await Promise.all([gatewayA, gatewayB, unlabelled].map((gateway) => gateway?.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  it("B's healthy nodes are never hung, stale or joined by a ghost; a pushed up 0 raises no PersiaGatewayDown", async () => {
    const node = (gateway: RunningPushgateway, job: string, role: string, instance: string) =>
      startUserProgram(TRAINING, {
        env: nodeEnv(gateway.address, job, { PERSIA_NODE_ROLE: role, PERSIA_METRICS_INSTANCE: instance, PERSIA_METRICS_PUSH_INTERVAL_SECONDS: '1' }),
        timeoutMs: 120_000,
      });
    const nodes = [node(gatewayA, JOB_A, 'trainer', 'rep_0'), node(gatewayB, JOB_B, 'middleware', 'n1'), node(gatewayB, JOB_B, 'trainer', 'n2')];
    await waitFor(async () => nodes.every((one) => one.stdout().includes('pushed')), { timeoutMs: 20_000, intervalMs: 100, what: 'every node pushed' });
    await pushAttack();
    attack = setInterval(() => void pushAttack().catch(() => undefined), 1000);
    await put(unlabelled, `job/iso_scrape_c/role/trainer/instance/c1`, GHOST_BODY);

    // The same bodies raise job A's alerts: the pushes were scraped and the rules evaluated them.
    const control = await prometheus.queryUntil(
      `ALERTS{job="${JOB_A}", alertname=~"${HUNG_ALERT}|${STALE_ALERT}"}`,
      (samples) => samples.some((s) => s.metric['alertname'] === HUNG_ALERT) && samples.some((s) => s.metric['alertname'] === STALE_ALERT),
      30_000,
    );
    expect(control.map((s) => `${s.metric['alertname']} ${s.metric['instance']}`).sort()).toEqual([`${HUNG_ALERT} evil_hung`, `${STALE_ALERT} evil_stale`]);
    // Nothing of it reached job B, nor Prometheus's own series.
    expect(await prometheus.query(`count_over_time(ALERTS{job="${JOB_B}"}[5m])`)).toEqual([]);
    expect(await prometheus.query(`count_over_time(persia_node_progress_age_seconds{job="${JOB_B}"}[5m])`)).toEqual([]);
    expect(await prometheus.query(`min_over_time(persia_node_push_interval_seconds{job="${JOB_B}"}[5m]) < 1`)).toEqual([]);
    expect(nodesOf(await prometheus.query(`push_time_seconds{job="${JOB_B}"}`))).toEqual([`${JOB_B}/middleware/n1`, `${JOB_B}/trainer/n2`]);
    expect(await prometheus.query(`count_over_time({__name__=~"up|scrape_.+", instance="${FAKE_GATEWAY}"}[5m])`)).toEqual([]);
    expect(await prometheus.query(`count_over_time(ALERTS{alertname="PersiaGatewayDown"}[5m])`)).toEqual([]);
    // Every gateway is up, once, under the scrape job that found it, labelled with its job (none for the unlabelled one).
    const up = await prometheus.query('up{job=~"persia_gateway_.*"}');
    expect(up.map((s) => `${s.metric['job']} ${s.metric['instance']} ${s.metric['persia_job'] ?? '-'} ${s.value}`).sort()).toEqual(
      [`persia_gateway_dns ${gatewayA.address} ${JOB_A} 1`, `persia_gateway_file ${gatewayB.address} ${JOB_B} 1`, `persia_gateway_file ${unlabelled.address} - 1`].sort(),
    );
  }, 90_000);

  it('series keep the labels they were pushed with: a node, a group without an instance, a gateway of no known job', async () => {
    await put(gatewayA, `job/${JOB_A}`, gauge('persia_node_push_interval_seconds', '', 1));
    await put(gatewayA, `job/${JOB_A}/instance@base64/${Buffer.from('two\nlines').toString('base64url')}`, gauge('persia_node_push_interval_seconds', '', 1));
    const series = await prometheus.queryUntil(`persia_node_push_interval_seconds{job=~"${JOB_A}|iso_scrape_c", instance!~"evil_.*"}`, (samples) => samples.length === 4, 20_000);
    const labels = (metric: Record<string, string>): string => JSON.stringify(Object.entries(metric).sort());
    expect(series.map((s) => labels(s.metric)).sort()).toEqual(
      [
        { __name__: 'persia_node_push_interval_seconds', job: JOB_A, persia_job: JOB_A },
        { __name__: 'persia_node_push_interval_seconds', job: JOB_A, instance: 'rep_0', persia_job: JOB_A, role: 'trainer' },
        { __name__: 'persia_node_push_interval_seconds', job: JOB_A, instance: 'two\nlines', persia_job: JOB_A },
        { __name__: 'persia_node_push_interval_seconds', job: 'iso_scrape_c', instance: 'c1', role: 'trainer' },
      ]
        .map(labels)
        .sort(),
    );
    // The gateway's own series keep the scrape job's name and the gateway's address.
    const own = await prometheus.query(`pushgateway_build_info{persia_job="${JOB_A}"}`);
    expect(own.map((s) => [s.metric['job'], s.metric['instance']])).toEqual([['persia_gateway_dns', gatewayA.address]]);
  });

  it('status and the view show each job as before: no ghost in B, no fake gateway banner in A', async () => {
    const status = await runCli(['status', '--job', JOB_B, '--gateway', gatewayB.address, '--json']);
    expect(status.code, status.stderr).toBe(0);
    const statusNodes = (JSON.parse(status.stdout) as { nodes: Array<{ role: string; instance: string; condition: string }> }).nodes;
    expect(statusNodes.map((n) => `${n.role}/${n.instance} ${n.condition}`).sort()).toEqual(['middleware/n1 live', 'trainer/n2 live']);

    const view = spawnManaged('view', process.execPath, [CLI_MAIN, 'view', '--prometheus', prometheus.url, '--job', JOB_A, '--port', '0']);
    try {
      const url = await waitFor(async () => /http:\/\/127\.0\.0\.1:\d+/.exec(view.output())?.[0], { timeoutMs: 15_000, intervalMs: 100, what: 'the view to print its address' });
      const banner = (await (await fetch(`${url}/api/gateway-scrape?job=${JOB_A}`)).json()) as { unscrapable: unknown[] };
      expect(banner).toEqual({ unscrapable: [] });
    } finally {
      await view.stop();
    }
    if (!requireChromium()) return;
    const rowsB = await viewNodeRows(prometheus.url, JOB_B, (rows) => rows.length >= 2, "the page to list B's nodes");
    expect(rowsB.map((row) => `${row.node} ${row.condition}`).sort()).toEqual(['middleware/n1 live', 'trainer/n2 live']);
    const rowsA = await viewNodeRows(prometheus.url, JOB_A, (rows) => rows.some((row) => row.node === 'trainer/rep_0'), "the page to list A's node");
    expect(rowsA.find((row) => row.node === 'trainer/rep_0')?.condition).toBe('live');
    expect(rowsA.find((row) => row.node === 'trainer/evil_stale')?.condition).toBe('stale');
  }, 90_000);
});
