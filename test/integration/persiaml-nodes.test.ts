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
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningPrometheus } from '../../src/local-stack/prometheus-process.js';
import { requireBinary } from '../helpers/binaries.js';
import { requireChromium } from '../helpers/chromium.js';
import { viewNodeRows } from '../helpers/view-node-table.js';
import { CLI_MAIN } from '../helpers/cli-runner.js';
import { nodeName, type PersiamlJob, REPLAYED_NODES, SIMULATED_NODES, SLOW_WORKER, STALE_ALERT, startPersiamlJob } from '../helpers/persiaml-job.js';

const JOB = 'persiaml_it';
const ready = requireBinary('prometheus') !== undefined && requireBinary('prometheus-pushgateway') !== undefined;
if (!existsSync(CLI_MAIN) && process.env['CI'] === 'true') throw new Error(`CI=true and ${CLI_MAIN} is missing: run npm run build first`);

/** Every node of the job once it has pushed: the library's two, simulate's PersiaML server, the replayed five. */
const EXPECTED = [...SIMULATED_NODES, ...REPLAYED_NODES].sort();
const STOPPED = 'middleware/rep_1/198.51.100.2';
const SLOW = SLOW_WORKER;

describe.skipIf(!ready || !existsSync(CLI_MAIN))("PersiaML's own nodes beside this library's, on the real gateway and Prometheus", () => {
  let stack: PersiamlJob;
  let prometheus: RunningPrometheus;

  beforeAll(async () => {
    stack = await startPersiamlJob('persia-persiaml-it-', JOB);
    prometheus = stack.prometheus;
  }, 30_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('status --json lists every node with its role and whole grouping key, all live', async () => {
    const nodes = await stack.statusUntil((seen) => EXPECTED.every((name) => seen[name]?.condition === 'live'), 'every node live in status', 20_000);
    expect(Object.keys(nodes).sort()).toEqual(EXPECTED);
    // PersiaML's nodes carry no role label: the role is the one their families show.
    expect(nodes['middleware/rep_0/198.51.100.1']?.groupingKey).toEqual({ job: JOB, instance: 'rep_0', ip_addr: '198.51.100.1' });
    expect(nodes['server/rep_0/']?.groupingKey).toEqual({ job: JOB, role: 'server', instance: 'rep_0' });
  }, 40_000);

  it('the slowed worker ranks first by the slowdown scores from its *_time_cost_sec gauges', async () => {
    const scores = await stack.slowdownScores();
    expect(nodeName(scores[0]?.metric ?? {}, 'middleware'), JSON.stringify(scores)).toBe(SLOW);
    expect(scores[0]?.value).toBeGreaterThan(3);
    // Every other node is about as fast as its role's median.
    for (const score of scores.slice(1)) expect(score.value, JSON.stringify(score.metric)).toBeLessThan(1.5);
  }, 40_000);

  it('a worker that stops pushing turns stale in status, and the stale alert fires for it alone', async () => {
    stack.replayed[1]?.stop(); // rep_1 on 198.51.100.2: no last push, no DELETE, as a killed PersiaML process
    const nodes = await stack.statusUntil((seen) => seen[STOPPED]?.condition === 'stale', 'the stopped worker stale in status', 20_000);
    expect(Object.entries(nodes).flatMap(([name, node]) => (node.condition === 'live' ? [] : [name]))).toEqual([STOPPED]);
    const firing = await stack.staleFiring(1, 90_000);
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
