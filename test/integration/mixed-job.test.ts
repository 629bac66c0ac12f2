/**
 * Issue 17's mixed job, every kind of process at once, on a real Pushgateway and a real Prometheus with the
 * rules as rendered for a job pushing every second (the shipped gateway scrape job's shape):
 * - nodes of this library: `persia-metrics simulate` (trainer rep_0, server rep_0) with one replayed PersiaML
 *   parameter server (--persiaml-servers);
 * - replayed PersiaML nodes (src/simulate/persiaml-node.ts): four embedding workers, one five times slower, and a
 *   second parameter server, job/instance/ip_addr in both path orders, no role, no interval;
 * - a Python trainer (Debian's python3-prometheus-client, start_http_server) behind
 *   `persia-metrics agent --role trainer`, which also scrapes the dcgm-exporter FIXTURE (there is no GPU here).
 * What a user sees: `status --json` (built CLI) lists every node with its role; the slowed worker ranks first by
 * the slowdown scores; the agent (SIGKILL) and a replayed worker that stop pushing turn stale and
 * PersiaNodeStoppedPushing fires for exactly those two; the view in Chromium shows every row with its role and the
 * trainer rank's GPU utilisation. Needs `npm run build` first.
 */
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/local-stack/free-port.js';
import { spawnManaged, type ManagedProcess } from '../../src/local-stack/managed-process.js';
import { type RunningPrometheus } from '../../src/local-stack/prometheus-process.js';
import { waitFor } from '../../src/local-stack/wait-for.js';
import { startDcgmExporterFixture, type RunningDcgmFixture } from '../fixtures/agent/dcgm-exporter-fixture.js';
import { requireBinary } from '../helpers/binaries.js';
import { requireChromium } from '../helpers/chromium.js';
import { CLI_MAIN } from '../helpers/cli-runner.js';
import { nodeName, type PersiamlJob, REPLAYED_NODES, SIMULATED_NODES, SLOW_WORKER, startPersiamlJob } from '../helpers/persiaml-job.js';
import { findPython, TRAINER_SCRIPT } from '../helpers/python-trainer.js';
import { viewNodeRows } from '../helpers/view-node-table.js';

const JOB = 'mixed_it';
const python = findPython();
const ready = requireBinary('prometheus') !== undefined && requireBinary('prometheus-pushgateway') !== undefined;
if (!existsSync(CLI_MAIN) && process.env['CI'] === 'true') throw new Error(`CI=true and ${CLI_MAIN} is missing: run npm run build first`);

const AGENT = 'trainer/rep_1/';
const STOPPED_WORKER = 'middleware/rep_1/198.51.100.2';
const SLOW = SLOW_WORKER;
/** Every node: the library's two, simulate's PersiaML server, the replayed five, the agent's trainer. */
const EXPECTED = [...SIMULATED_NODES, ...REPLAYED_NODES, AGENT].sort();

describe.skipIf(!ready || python === undefined || !existsSync(CLI_MAIN))('a mixed job: library nodes, PersiaML nodes, a Python trainer behind the agent, its GPUs', () => {
  let stack: PersiamlJob;
  let prometheus: RunningPrometheus;
  let dcgm: RunningDcgmFixture;
  const processes: ManagedProcess[] = [];
  let agent: ManagedProcess;

  beforeAll(async () => {
    stack = await startPersiamlJob('persia-mixed-it-', JOB);
    prometheus = stack.prometheus;
    const { config, gateway } = stack;

    const trainerPort = await freePort();
    const trainer = spawnManaged('python trainer', python ?? 'python3', [TRAINER_SCRIPT, String(trainerPort)]);
    processes.push(trainer);
    await waitFor(async () => trainer.output().includes('listening on'), { timeoutMs: 15_000, what: 'the Python trainer to listen', details: () => trainer.output() });
    dcgm = await startDcgmExporterFixture(73);
    const agentArgs = ['agent', '--role', 'trainer', '--config', config, '--gateway', gateway.address, '--scrape', `http://127.0.0.1:${trainerPort}/metrics`, '--scrape', dcgm.url];
    agent = spawnManaged('agent', '/usr/bin/env', ['PERSIA_METRICS_INSTANCE=rep_1', process.execPath, CLI_MAIN, ...agentArgs]);
    processes.push(agent);
  }, 40_000);

  afterAll(async () => {
    for (const proc of processes) await proc.stop(5000);
    await dcgm?.close();
    await stack?.stop();
  });

  it('status --json lists every node with its role: the library, PersiaML-inferred, the agent trainer', async () => {
    const nodes = await stack.statusUntil((seen) => EXPECTED.every((name) => seen[name]?.condition === 'live'), 'every node live in status', 30_000);
    expect(Object.keys(nodes).sort()).toEqual(EXPECTED);
    expect(nodes[AGENT]?.groupingKey).toEqual({ job: JOB, role: 'trainer', instance: 'rep_1' });
    expect(nodes['middleware/rep_0/198.51.100.1']?.groupingKey).toEqual({ job: JOB, instance: 'rep_0', ip_addr: '198.51.100.1' });
    // The trainer's own metrics and its GPUs reached Prometheus under the agent node's identity.
    const own = await prometheus.queryUntil(`trainer_loss{job="${JOB}", role="trainer", instance="rep_1"}`, (s) => s.length > 0, 20_000);
    expect(own[0]?.value).toBe(0.125);
  }, 60_000);

  it('the slowed PersiaML worker ranks first by the slowdown scores', async () => {
    const scores = await stack.slowdownScores();
    expect(nodeName(scores[0]?.metric ?? {}, 'middleware'), JSON.stringify(scores)).toBe(SLOW);
    expect(scores[0]?.value).toBeGreaterThan(3);
    for (const score of scores.slice(1)) expect(score.value, JSON.stringify(score.metric)).toBeLessThan(1.5);
  }, 40_000);

  it('the agent (SIGKILL) and a replayed worker that stop pushing turn stale, and the stale alert fires for exactly those', async () => {
    await agent.kill(); // no last push, no DELETE
    stack.replayed[1]?.stop(); // rep_1 on 198.51.100.2, as a killed PersiaML process
    const stopped = [AGENT, STOPPED_WORKER].sort();
    const nodes = await stack.statusUntil((seen) => stopped.every((name) => seen[name]?.condition === 'stale'), 'the stopped nodes stale in status', 30_000);
    expect(
      Object.entries(nodes)
        .flatMap(([name, node]) => (node.condition === 'live' ? [] : [name]))
        .sort(),
    ).toEqual(stopped);
    const firing = await stack.staleFiring(2, 90_000);
    expect(firing.map((sample) => nodeName(sample.metric, sample.metric['role'] ?? 'middleware')).sort()).toEqual(stopped);
  }, 150_000);

  it.skipIf(!requireChromium())(
    'the view in chromium shows every row with its role, the trainer rank with its GPU utilisation, the stopped two stale',
    async () => {
      const rows = await viewNodeRows(
        prometheus.url,
        JOB,
        (seen) => seen.length === EXPECTED.length && seen.some((row) => row.role === 'middleware') && seen.some((row) => row.gpuUtil !== undefined),
        'the page to list every node with its role and the GPU cell',
      );
      const rowName = (name: string): string => name.replace(/^([^/]*\/[^/]*)\/(.+)$/, '$1/ip_addr/$2').replace(/\/$/, '');
      expect(rows.map((row) => row.node).sort(), JSON.stringify(rows)).toEqual(EXPECTED.map(rowName).sort());
      for (const row of rows) expect(row.role, JSON.stringify(row)).toBe(row.node.split('/')[0]);
      const byNode = Object.fromEntries(rows.map((row) => [row.node, row]));
      // The fixture's two GPUs are at 73 % and 74 %: the trainer rank's row shows their mean; no other row has a GPU.
      expect(byNode['trainer/rep_1'], JSON.stringify(rows)).toMatchObject({ condition: 'stale', gpuUtil: '73.5' });
      expect(byNode['trainer/rep_1']?.text).toContain('73.5%');
      expect(rows.filter((row) => row.gpuUtil !== undefined).map((row) => row.node)).toEqual(['trainer/rep_1']);
      expect(byNode['middleware/rep_1/ip_addr/198.51.100.2'], JSON.stringify(rows)).toMatchObject({ condition: 'stale' });
      expect(byNode['trainer/rep_0'], JSON.stringify(rows)).toMatchObject({ condition: 'live' });
    },
    60_000,
  );
});
