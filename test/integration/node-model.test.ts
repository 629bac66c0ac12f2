/**
 * The node model (src/monitoring/view-contract.ts, nodeCondition) end to end, as a user meets it: three
 * users' programs push to a real Pushgateway as trainers of one job, one keeps pushing every second, one
 * flushes and calls `shutdown()` (its group kept, its last push says state "stopping"), one is SIGKILLed.
 * The built CLI's `status --json` calls them live, stopped and stale: a clean stop is never stale, and the
 * killed node is stale once it missed 6 of its 1 s pushes. A real Prometheus with the shipped rules
 * (config/prometheus/rules) and the shipped gateway scrape job's metric_relabel_configs raises the stale
 * alert for the killed node and not for the stopped one, while a neighbour group
 * `…/instance/rep_2/shadow/x` keeps pushing (it cannot keep the dead rep_2 fresh) and another pushes a fake
 * ALERTS series for the stopped node (the scrape drops it). `persia-metrics view` in Chromium shows the
 * stopped node's row data-condition="stopped" with a STOPPED badge and the killed one stale. Needs
 * `npm run build` first.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staticGatewayScrapeJobYaml } from '../../src/deploy/prometheus/gateway-series.js';
import { METRIC_CATALOG } from '../../src/metrics/catalog.js';
import { DOWN_ALERT } from '../../src/monitoring/fast-rules.js';
import { GATEWAY_SCRAPE_JOB_PREFIX } from '../../src/monitoring/health.js';
import { startPrometheus, type PromVectorSample, type RunningPrometheus } from '../../src/local-stack/prometheus-process.js';
import type { RunningPushgateway } from '../../src/local-stack/pushgateway-process.js';
import { waitFor } from '../../src/local-stack/wait-for.js';
import { requireBinary } from '../helpers/binaries.js';
import { requireChromium } from '../helpers/chromium.js';
import { viewNodeRows } from '../helpers/view-node-table.js';
import { CLI_MAIN, runCli } from '../helpers/cli-runner.js';
import { usePushgateway } from '../helpers/pushgateway-fixture.js';
import { killUserPrograms, nodeEnv, startUserProgram, type RunningUserProgram } from '../helpers/user-program.js';

const JOB = 'node_model_it';
const servers = requireBinary('prometheus-pushgateway') !== undefined;
const prometheusToo = servers && requireBinary('prometheus') !== undefined;
const SHIPPED_RULES = join(import.meta.dirname, '../../config/prometheus/rules');
const STALE_ALERT = 'PersiaNodeStoppedPushing';
if (!existsSync(CLI_MAIN) && process.env['CI'] === 'true') throw new Error(`CI=true and ${CLI_MAIN} is missing: run npm run build first`);

/** A node that trains (and pushes every second) until it is killed. */
const TRAINING = `
import { startNodeMetrics } from 'persia-metrics';
const metrics = startNodeMetrics();
const pending = metrics.gauge('num_pending_batches').labels();
await metrics.flush();
console.log('pushed');
setInterval(() => pending.set(Math.random()), 200); // training keeps the process alive
`;

/** A node that ends its work cleanly: a last flush, then shutdown() (its group is kept on the gateway). */
const CLEAN_STOP = `
import { startNodeMetrics } from 'persia-metrics';
const metrics = startNodeMetrics();
metrics.gauge('num_pending_batches').labels().set(1);
await metrics.flush();
await metrics.shutdown();
console.log('shut down');
`;

interface StatusNode {
  role: string;
  instance: string;
  condition: string;
  stale: boolean;
  state?: string;
}

async function conditions(gateway: RunningPushgateway): Promise<Record<string, StatusNode>> {
  const result = await runCli(['status', '--job', JOB, '--gateway', gateway.address, '--json']);
  expect(result.code, result.stderr).toBe(0);
  const nodes = (JSON.parse(result.stdout) as { nodes: StatusNode[] }).nodes;
  return Object.fromEntries(nodes.map((node) => [`${node.role}/${node.instance}`, node]));
}

/** `name`'s HELP and TYPE lines as nodes push them (the gateway refuses a group that disagrees). */
function header(name: string): string {
  return `# HELP ${name} ${METRIC_CATALOG.find((spec) => spec.name === name)?.help ?? ''}\n# TYPE ${name} gauge\n`;
}

/** role/instance plus any label beyond the rules' own, so a neighbour's series cannot pass for the node. */
function alertNodes(samples: readonly PromVectorSample[]): string[] {
  return samples.map((s) => [s.metric['role'], s.metric['instance'], s.metric['shadow'] ?? ''].join('/')).sort();
}

/** Starts the three nodes of piece one on `gateway` and waits until the training ones pushed; returns the one to kill. */
async function startNodes(gateway: RunningPushgateway, job: string): Promise<RunningUserProgram> {
  const env = (instance: string): Record<string, string> =>
    nodeEnv(gateway.address, job, { PERSIA_METRICS_INSTANCE: instance, PERSIA_METRICS_PUSH_INTERVAL_SECONDS: '1', PERSIA_METRICS_DELETE_ON_SHUTDOWN: 'false' });
  const live = startUserProgram(TRAINING, { env: env('rep_0'), timeoutMs: 90_000 });
  const victim = startUserProgram(TRAINING, { env: env('rep_2'), timeoutMs: 90_000 });
  const stop = await startUserProgram(CLEAN_STOP, { env: env('rep_1') }).exited;
  expect(stop.code, stop.stderr).toBe(0);
  expect(stop.stdout).toContain('shut down');
  await waitFor(async () => live.stdout().includes('pushed') && victim.stdout().includes('pushed'), {
    timeoutMs: 15_000,
    intervalMs: 100,
    what: 'both training nodes pushed',
  });
  return victim;
}

function killed(program: RunningUserProgram): Promise<unknown> {
  program.child.kill('SIGKILL');
  return program.exited;
}

describe.skipIf(!servers || !existsSync(CLI_MAIN))('live, stopped and stale nodes on a real gateway', () => {
  const gateway = usePushgateway();

  it('status --json: a pushing node is live, a clean shutdown() is stopped (not stale), a SIGKILLed node goes stale', async () => {
    const victim = await startNodes(gateway, JOB);
    await killed(victim);
    const killedAt = Date.now();

    // The killed node pushed every second: stale once its last push is 6 s old, and not before.
    let nodes: Record<string, StatusNode> = {};
    await waitFor(
      async () => {
        nodes = await conditions(gateway);
        return nodes['trainer/rep_2']?.condition === 'stale';
      },
      { timeoutMs: 25_000, intervalMs: 500, what: 'the killed node stale' },
    );
    expect(Date.now() - killedAt).toBeGreaterThanOrEqual(4_500);
    expect(nodes['trainer/rep_2']).toMatchObject({ condition: 'stale', stale: true });
    // By now the stopped node's last push is older than 6 of its intervals too: it is still stopped, not stale.
    expect(nodes['trainer/rep_1']).toMatchObject({ condition: 'stopped', stale: false, state: 'stopping' });
    expect(nodes['trainer/rep_0']).toMatchObject({ condition: 'live', stale: false });
    expect(Object.keys(nodes).sort()).toEqual(['trainer/rep_0', 'trainer/rep_1', 'trainer/rep_2']);
  }, 60_000);
});

describe.skipIf(!prometheusToo || !existsSync(CLI_MAIN))('the stale alert on real Prometheus with the shipped rules and scrape config', () => {
  const job = 'node_model_alert_it';
  const gateway = usePushgateway();
  let prometheus: RunningPrometheus;
  let neighbour: NodeJS.Timeout | undefined;

  /** PUT one group's text exposition, as any other program on the shared gateway may. */
  async function put(path: string, body: string): Promise<void> {
    const response = await fetch(`${gateway.url}/metrics/job/${job}/${path}`, { method: 'PUT', body });
    expect(response.status, await response.text()).toBe(200);
  }

  beforeAll(async () => {
    // The shipped gateway scrape job's label handling: a persia_gateway_ job of this job's gateway, whose
    // relabelling drops the series only Prometheus may write (src/deploy/prometheus/gateway-series.ts).
    prometheus = await startPrometheus({
      scrapeIntervalSeconds: 1,
      extraScrapeConfigsYaml: staticGatewayScrapeJobYaml(`${GATEWAY_SCRAPE_JOB_PREFIX}it`, [gateway.address], job),
      ruleFiles: [join(SHIPPED_RULES, 'persia-alerts.yml'), join(SHIPPED_RULES, 'persia-recording.yml')],
    });
  }, 30_000);

  afterAll(async () => {
    if (neighbour !== undefined) clearInterval(neighbour);
    killUserPrograms();
    await prometheus?.stop();
  });

  it('fires for the SIGKILLed node, never for the stopped one; a neighbour group or a pushed ALERTS cannot change that', async () => {
    const victim = await startNodes(gateway, job);
    // A neighbour sharing the killed node's role and instance, pushing every second that it is a node that
    // stopped on purpose; and a pusher that claims the stopped node is alerting.
    const neighbourBody =
      `${header('persia_node_push_interval_seconds')}persia_node_push_interval_seconds 1\n` + `${header('persia_node_state')}persia_node_state{state="stopping"} 1\n`;
    await put('role/trainer/instance/rep_2/shadow/x', neighbourBody);
    neighbour = setInterval(() => void put('role/trainer/instance/rep_2/shadow/x', neighbourBody).catch(() => undefined), 1000);
    await put('role/trainer/instance/rep_1/shadow/alerts', `ALERTS{alertname="${STALE_ALERT}",alertstate="firing"} 1\n`);
    await prometheus.queryUntil(`persia_node_state{job="${job}", shadow="x"}`, (s) => s.length > 0, 20_000);
    await killed(victim);

    const alerts = await prometheus.queryUntil(`ALERTS{alertname="${STALE_ALERT}", job="${job}"}`, (s) => s.length > 0, 30_000);
    expect(alertNodes(alerts)).toEqual(['trainer/rep_2/']);
    // The stopped node's last push is older than 6 of its intervals by now, and it does not alert.
    const stoppedAge = await prometheus.query(`time() - push_time_seconds{job="${job}", instance="rep_1", shadow=""}`);
    expect(stoppedAge[0]?.value).toBeGreaterThan(6);
    // Every alert of the job is the killed node's: the stale alert and the fast path's PersiaNodeDown.
    const all = await prometheus.query(`ALERTS{job="${job}"}`);
    expect([...new Set(alertNodes(all))]).toEqual(['trainer/rep_2/']);
    expect(all.map((s) => s.metric['alertname']).sort()).toEqual([DOWN_ALERT, STALE_ALERT]);
    // The pushed ALERTS never reached Prometheus's store.
    expect(await prometheus.query(`count_over_time(ALERTS{job="${job}", shadow="alerts"}[5m])`)).toEqual([]);
  }, 90_000);

  it.skipIf(!requireChromium())(
    'the view in chromium shows the stopped node as stopped and the killed one stale',
    async () => {
      const rows = await viewNodeRows(
        prometheus.url,
        job,
        (seen) => seen.find((row) => row.node === 'trainer/rep_2')?.condition === 'stale' && seen.some((row) => row.node === 'trainer/rep_1'),
        'the page to list the stopped and the killed node',
      );
      const byNode = Object.fromEntries(rows.map((row) => [row.node, row]));
      expect(byNode['trainer/rep_1'], JSON.stringify(rows)).toMatchObject({ condition: 'stopped', stale: 'false' });
      expect(byNode['trainer/rep_1']?.text).toContain('STOPPED');
      expect(byNode['trainer/rep_2'], JSON.stringify(rows)).toMatchObject({ condition: 'stale', stale: 'true' });
      expect(byNode['trainer/rep_0'], JSON.stringify(rows)).toMatchObject({ condition: 'live', stale: 'false' });
      // The neighbour is a row of its own (it said 'stopping'), and its fresh pushes left rep_2 stale.
      expect(byNode['trainer/rep_2/shadow/x'], JSON.stringify(rows)).toMatchObject({ condition: 'stopped', stale: 'false' });
    },
    60_000,
  );
});
