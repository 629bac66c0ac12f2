/**
 * PersiaML's own Rust nodes are nodes (docs/processes.md): a mixed job on a real Pushgateway and a real
 * Prometheus with the rules as rendered for a job pushing every second (the shipped gateway scrape job's shape).
 * `persia-metrics simulate` runs two nodes of this library (trainer rep_0, server rep_0) and one replayed
 * PersiaML parameter server (--persiaml-servers); the test replays five more PersiaML nodes itself
 * (src/simulate/persiaml-node.ts: delimited protobuf PUTs, job/instance/ip_addr in both path orders, no role, no
 * interval, never a DELETE): four embedding workers, one of them five times slower, and a second parameter server.
 * The built CLI's `status --json` lists all eight with their roles; the slowed worker ranks first by the
 * slowdown scores; a worker that stops pushing turns stale in `status` and PersiaNodeStoppedPushing fires for it
 * alone; `persia-metrics view` in Chromium shows every row with its role. Needs `npm run build` first.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropRuleSeries } from '../../src/deploy/prometheus/prometheus-config.js';
import { renderAlertRules, renderRecordingRules } from '../../src/deploy/prometheus/rule-files.js';
import { resolveDeployOptions } from '../../src/deploy/deploy-options.js';
import { yamlValue } from '../../src/deploy/yaml.js';
import { GATEWAY_SCRAPE_JOB_PREFIX } from '../../src/monitoring/health.js';
import { STRAGGLER_RECORDS } from '../../src/monitoring/straggler-rules.js';
import { spawnManaged, type ManagedProcess } from '../../src/local-stack/managed-process.js';
import { startPrometheus, type PromVectorSample, type RunningPrometheus } from '../../src/local-stack/prometheus-process.js';
import { startPushgateway, type RunningPushgateway } from '../../src/local-stack/pushgateway-process.js';
import { waitFor } from '../../src/local-stack/wait-for.js';
import { type PersiamlNode, startPersiamlNode } from '../../src/simulate/persiaml-node.js';
import { requireBinary } from '../helpers/binaries.js';
import { requireChromium } from '../helpers/chromium.js';
import { viewNodeRows } from '../helpers/view-node-table.js';
import { CLI_MAIN, runCli } from '../helpers/cli-runner.js';

const JOB = 'persiaml_it';
const STALE_ALERT = 'PersiaNodeStoppedPushing';
const ready = requireBinary('prometheus') !== undefined && requireBinary('prometheus-pushgateway') !== undefined;
if (!existsSync(CLI_MAIN) && process.env['CI'] === 'true') throw new Error(`CI=true and ${CLI_MAIN} is missing: run npm run build first`);

/** role/instance/ip_addr (empty for the library's nodes). */
const nodeName = (labels: Readonly<Record<string, string | undefined>>, role = labels['role']): string => `${role ?? ''}/${labels['instance'] ?? ''}/${labels['ip_addr'] ?? ''}`;

/** Every node of the job once it has pushed: the library's two, simulate's PersiaML server, the replayed five. */
const EXPECTED = [
  'trainer/rep_0/',
  'middleware/rep_0/198.51.100.1',
  'middleware/rep_1/198.51.100.2',
  'middleware/rep_2/198.51.100.3',
  'middleware/rep_3/198.51.100.4',
  'server/rep_0/',
  'server/rep_0/192.0.2.1',
  'server/rep_1/198.51.100.5',
].sort();
const STOPPED = 'middleware/rep_1/198.51.100.2';
const SLOW = 'middleware/rep_2/198.51.100.3';

interface StatusNode {
  role: string;
  instance: string;
  groupingKey: Record<string, string>;
  condition: string;
}

describe.skipIf(!ready || !existsSync(CLI_MAIN))("PersiaML's own nodes beside this library's, on the real gateway and Prometheus", () => {
  const dir = mkdtempSync(join(tmpdir(), 'persia-persiaml-it-'));
  const config = join(dir, 'global_config.yaml');
  let gateway: RunningPushgateway;
  let prometheus: RunningPrometheus;
  let simulate: ManagedProcess;
  const replayed: PersiamlNode[] = [];

  /** The nodes `status --json` lists, by role/instance/ip_addr; none while it exits 1 (no node pushed yet). */
  async function status(): Promise<Record<string, StatusNode>> {
    const result = await runCli(['status', '--config', config, '--gateway', gateway.address, '--json']);
    if (result.code === 1 && result.stderr.includes('no node of job')) return {};
    expect(result.code, result.stderr).toBe(0);
    const nodes = (JSON.parse(result.stdout) as { nodes: StatusNode[] }).nodes;
    return Object.fromEntries(nodes.map((node) => [nodeName(node.groupingKey, node.role), node]));
  }

  beforeAll(async () => {
    // The job's interval is 1 s: the nodes of this library publish it, PersiaML's nodes read it from the same file.
    writeFileSync(config, `PersiaMetricsConfig:\n  job_name: ${JOB}\n  push_interval_seconds: 1\n  push_timeout_seconds: 1\n`);
    const options = resolveDeployOptions({ jobName: JOB, pushIntervalSeconds: 1 });
    const alerts = join(dir, 'persia-alerts.yml');
    const recording = join(dir, 'persia-recording.yml');
    writeFileSync(alerts, renderAlertRules(options));
    writeFileSync(recording, renderRecordingRules());
    gateway = await startPushgateway();
    const scrapeJob = { job_name: `${GATEWAY_SCRAPE_JOB_PREFIX}it`, honor_labels: true, static_configs: [{ targets: [gateway.address] }], ...dropRuleSeries() };
    const scrape = yamlValue([scrapeJob]).replace(/^/gm, '  ');
    prometheus = await startPrometheus({ scrapeIntervalSeconds: 1, extraScrapeConfigsYaml: scrape, ruleFiles: [alerts, recording] });
    const args = ['simulate', '--config', config, '--gateway', gateway.address, '--trainers', '1', '--middleware', '0', '--servers', '1', '--persiaml-servers', '1'];
    simulate = spawnManaged('simulate', process.execPath, [CLI_MAIN, ...args, '--quiet']);
    const replay = (role: 'embedding-worker' | 'embedding-parameter-server', replicaIndex: number, host: number, slowFactor = 1): PersiamlNode =>
      startPersiamlNode({ gatewayUrl: gateway.url, job: JOB, role, replicaIndex, ipAddr: `198.51.100.${host}`, ipFirst: host % 2 === 0, intervalSeconds: 1, slowFactor });
    for (const index of [0, 1, 2, 3]) replayed.push(replay('embedding-worker', index, index + 1, index === 2 ? 5 : 1));
    replayed.push(replay('embedding-parameter-server', 1, 5));
  }, 30_000);

  afterAll(async () => {
    for (const node of replayed) node.stop();
    await simulate?.stop(5000);
    await prometheus?.stop();
    await gateway?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('status --json lists every node with its role and whole grouping key, all live', async () => {
    let nodes: Record<string, StatusNode> = {};
    await waitFor(
      async () => {
        nodes = await status();
        return EXPECTED.every((name) => nodes[name]?.condition === 'live');
      },
      { timeoutMs: 20_000, intervalMs: 500, what: 'every node live in status', details: () => JSON.stringify(nodes) },
    );
    expect(Object.keys(nodes).sort()).toEqual(EXPECTED);
    // PersiaML's nodes carry no role label: the role is the one their families show.
    expect(nodes['middleware/rep_0/198.51.100.1']?.groupingKey).toEqual({ job: JOB, instance: 'rep_0', ip_addr: '198.51.100.1' });
    expect(nodes['server/rep_0/']?.groupingKey).toEqual({ job: JOB, role: 'server', instance: 'rep_0' });
  }, 40_000);

  it('the slowed worker ranks first by the slowdown scores from its *_time_cost_sec gauges', async () => {
    const ranked = `sort_desc(max without (metric) (${STRAGGLER_RECORDS.timeCostSlowdown}{job="${JOB}"}))`;
    let scores: PromVectorSample[] = [];
    await waitFor(
      async () => {
        scores = await prometheus.query(ranked);
        return scores.length >= 5;
      },
      { timeoutMs: 30_000, intervalMs: 500, what: 'slowdown scores of the replayed nodes', details: () => JSON.stringify(scores) },
    );
    expect(nodeName(scores[0]?.metric ?? {}, 'middleware'), JSON.stringify(scores)).toBe(SLOW);
    expect(scores[0]?.value).toBeGreaterThan(3);
    // Every other node is about as fast as its role's median.
    for (const score of scores.slice(1)) expect(score.value, JSON.stringify(score.metric)).toBeLessThan(1.5);
  }, 40_000);

  it('a worker that stops pushing turns stale in status, and the stale alert fires for it alone', async () => {
    replayed[1]?.stop(); // rep_1 on 198.51.100.2: no last push, no DELETE, as a killed PersiaML process
    let nodes: Record<string, StatusNode> = {};
    await waitFor(
      async () => {
        nodes = await status();
        return nodes[STOPPED]?.condition === 'stale';
      },
      { timeoutMs: 20_000, intervalMs: 500, what: 'the stopped worker stale in status', details: () => JSON.stringify(nodes) },
    );
    expect(Object.entries(nodes).flatMap(([name, node]) => (node.condition === 'live' ? [] : [name]))).toEqual([STOPPED]);
    const firing = await prometheus.queryUntil(`ALERTS{alertname="${STALE_ALERT}", alertstate="firing", job="${JOB}"}`, (s) => s.length > 0, 90_000);
    expect(firing.map((sample) => nodeName(sample.metric, 'middleware'))).toEqual([STOPPED]);
    expect((await prometheus.query(`ALERTS{alertname="${STALE_ALERT}", job="${JOB}"}`)).map((sample) => sample.metric['ip_addr'])).toEqual(['198.51.100.2']);
  }, 120_000);

  it.skipIf(!requireChromium())(
    'the view in chromium lists every node with its role, the stopped worker stale',
    async () => {
      const rows = await viewNodeRows(
        prometheus.url,
        JOB,
        (seen) => seen.length === EXPECTED.length && seen.some((row) => row.role === 'middleware'),
        'the page to list every node with its role',
      );
      // data-node is role/instance plus the further grouping labels as the path writes them (…/ip_addr/<IPv4>).
      const rowName = (name: string): string => name.replace(/^([^/]*\/[^/]*)\/(.+)$/, '$1/ip_addr/$2').replace(/\/$/, '');
      expect(rows.map((row) => row.node).sort(), JSON.stringify(rows)).toEqual(EXPECTED.map(rowName).sort());
      for (const row of rows) expect(row.role, JSON.stringify(row)).toBe(row.node.split('/')[0]);
      const byNode = Object.fromEntries(rows.map((row) => [row.node, row]));
      expect(byNode['middleware/rep_1/ip_addr/198.51.100.2'], JSON.stringify(rows)).toMatchObject({ condition: 'stale' });
      expect(byNode['server/rep_0/ip_addr/192.0.2.1'], JSON.stringify(rows)).toMatchObject({ condition: 'live', role: 'server' });
      expect(byNode['trainer/rep_0'], JSON.stringify(rows)).toMatchObject({ condition: 'live' });
    },
    60_000,
  );
});
