/**
 * A pause on purpose end to end: user programs importing `persia-metrics` by its package name push every
 * second to a real Pushgateway, scraped every second by a real Prometheus with the shipped rules rendered for
 * that pace and a hang after 3 pushes without progress (2.5 s). They count their steps; then
 * - `pauser` saves a "checkpoint" inside `metrics.paused(...)` for as long as the test wants (far past the
 *   hang threshold): no PersiaNodeHung, pending or firing, ever; `status` reads it paused (not HUNG, not
 *   running), the view marks it PAUSED. Resumed, it waits a moment before its next step (a data loader
 *   warming up): its age counts from the resume, so even that moment is no hang;
 * - `waiting`, a middleware node of its job, gets no batch meanwhile (stops stepping, says nothing): it waits
 *   for the pauser, so it is not hung either, until a window after the pause;
 * - `stuck`, their twin in a job without a pause, stops stepping at the same moment: PersiaNodeHung fires for it;
 * - `careless` hands setState() a state that does not exist and paused() something that is not a function:
 *   each a ConfigError it can catch, its state unchanged, its pushes going on; a pause whose work throws
 *   rejects with that error and gives the state back.
 * Needs `npm run build` first (the package's exports and the built CLI).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveDeployOptions } from '../../src/deploy/deploy-options.js';
import { waitFor } from '../../src/local-stack/wait-for.js';
import { HUNG_ALERT } from '../../src/monitoring/view-contract.js';
import { requireBinary } from '../helpers/binaries.js';
import { requireChromium } from '../helpers/chromium.js';
import { runCli } from '../helpers/cli-runner.js';
import { parseExposition } from '../helpers/parse-exposition.js';
import { type RulesJob, startRulesJob } from '../helpers/rules-job.js';
import { killUserPrograms, nodeEnv, startUserProgram, type RunningUserProgram } from '../helpers/user-program.js';
import { viewTables } from '../helpers/view-node-table.js';

const JOB = 'pause_it';
/** The twin's job: no node of it pauses. */
const TWIN_JOB = 'pause_it_twin';
/** The rules' hang threshold at these options: 2.5 of the 1 s push intervals without progress. */
const HANG_SECONDS = 2.5;
const ready = requireBinary('prometheus') !== undefined && requireBinary('prometheus-pushgateway') !== undefined;

const PROGRAM = `
import { existsSync } from 'node:fs';
import { startNodeMetrics } from 'persia-metrics';
const MODE = process.env.MODE;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const metrics = startNodeMetrics({ progress: 'steps' });
setInterval(() => {}, 1000); // the process lives on, whatever its training does
let stepping = true;
(async () => { for (;;) { if (stepping) metrics.step(); await sleep(20); } })();
await sleep(3000);
if (MODE === 'pauser') {
  const saved = await metrics.paused(async () => {
    stepping = false;
    console.log('PAUSED');
    // The checkpoint takes as long as the test wants (bounded): far past the hang threshold.
    for (let waited = 0; !existsSync('resume') && waited < 60_000; waited += 50) await sleep(50);
    return 'checkpoint saved';
  });
  console.log('RESUMED ' + saved);
  await sleep(1500); // the data loader warms up: below the threshold, though the pause was far above it
  stepping = true;
  console.log('STEPPING');
}
if (MODE === 'stuck' || MODE === 'waiting') {
  stepping = false; // stops at the same moment, without saying so
  console.log('STOPPED STEPPING');
  if (MODE === 'waiting') {
    // Its batches come back with the pauser's resume.
    for (let waited = 0; !existsSync('resume') && waited < 60_000; waited += 50) await sleep(50);
    stepping = true;
    console.log('STEPPING');
  }
}
if (MODE === 'careless') {
  const said = (label, error) => console.log(label + ' ' + error?.code + ' ' + error?.constructor?.name + ': ' + error?.message);
  try { metrics.setState('checkpointing'); } catch (error) { said('SETSTATE', error); }
  try { await metrics.paused('saveCheckpoint'); } catch (error) { said('PAUSED_ARG', error); }
  try { await metrics.paused(async () => { throw new Error('disk full'); }); } catch (error) { said('WORK_THREW', error); }
  const pushes = metrics.pushStats.pushes;
  await sleep(2500);
  console.log('PUSHES_GOING_ON ' + (metrics.pushStats.pushes > pushes));
}
`;

interface StatusNode {
  readonly instance: string;
  readonly state?: string;
  readonly hung: boolean;
  readonly condition: string;
}

describe.skipIf(!ready)('a node paused on purpose on real Prometheus + Pushgateway', () => {
  // A hang after 3 pushes without progress (2.5 s), so the pauser's moment between resume and next step fits below it.
  const options = resolveDeployOptions({ jobName: JOB, pushIntervalSeconds: 1, scrapeIntervalSeconds: 1, hangAfterIntervals: 3 });
  let stack: RulesJob;
  const programs = new Map<string, RunningUserProgram>();
  const details = (): string => [...programs].map(([name, program]) => `${name}: ${program.stdout()}${program.stderr()}`).join('\n');
  const printed = (name: string, text: string): Promise<true> =>
    waitFor(async () => programs.get(name)?.stdout().includes(text) || undefined, { timeoutMs: 20_000, intervalMs: 50, what: `${name} to print ${text}`, details });
  const status = async (job = JOB): Promise<StatusNode[]> => {
    const result = await runCli(['status', '--job', job, '--gateway', stack.gateway.address, '--json']);
    expect(result.code, result.stderr).toBe(0);
    return (JSON.parse(result.stdout) as { nodes: StatusNode[] }).nodes;
  };
  /** Every PersiaNodeHung series, pending or firing, any node of the paused node's job ever had. */
  const jobHungEver = (): Promise<unknown[]> => stack.prometheus.query(`count_over_time(ALERTS{alertname="${HUNG_ALERT}", job="${JOB}"}[10m])`);

  beforeAll(async () => {
    stack = await startRulesJob('persia-pause-it-', options);
    const nodes: ReadonlyArray<[string, string, string]> = [
      ['pauser', 'trainer', JOB],
      ['waiting', 'middleware', JOB],
      ['careless', 'trainer', JOB],
      ['stuck', 'trainer', TWIN_JOB],
    ];
    for (const [instance, role, job] of nodes) {
      const env = nodeEnv(stack.gateway.address, job, {
        PERSIA_NODE_ROLE: role,
        PERSIA_METRICS_INSTANCE: instance,
        PERSIA_METRICS_PUSH_INTERVAL_SECONDS: '1',
        PERSIA_METRICS_PUSH_TIMEOUT_SECONDS: '1',
        MODE: instance,
      });
      programs.set(instance, startUserProgram(PROGRAM, { env, timeoutMs: 120_000 }));
    }
  }, 40_000);

  afterAll(async () => {
    killUserPrograms();
    await stack?.stop();
  });

  it('the twin that stops stepping raises PersiaNodeHung; the paused node and its waiting peer never do, and status reads it paused', async () => {
    await printed('pauser', 'PAUSED');
    await printed('waiting', 'STOPPED STEPPING');
    await printed('stuck', 'STOPPED STEPPING');
    // The pauser and its peer have not stepped for longer than the threshold, as Prometheus reads it; the twin neither.
    const old = `persia_node_progress_age_seconds{job="${JOB}", instance=~"pauser|waiting"} > ${HANG_SECONDS + 1}`;
    await stack.prometheus.queryUntil(old, (s) => s.length === 2, 60_000);
    const firing = await stack.prometheus.queryUntil(`ALERTS{alertname="${HUNG_ALERT}", alertstate="firing", job=~"${JOB}|${TWIN_JOB}"}`, (s) => s.length > 0, 30_000);
    expect(firing.map((sample) => `${sample.metric['job']}/${sample.metric['instance']}`)).toEqual([`${TWIN_JOB}/stuck`]);
    expect(await jobHungEver()).toEqual([]);
    const nodes = await status();
    expect(nodes.find((node) => node.instance === 'pauser')).toMatchObject({ state: 'paused', hung: false, condition: 'live' });
    expect(nodes.find((node) => node.instance === 'waiting')).toMatchObject({ state: 'running', hung: false, condition: 'live' });
    expect((await status(TWIN_JOB)).find((node) => node.instance === 'stuck')).toMatchObject({ state: 'running', hung: true });
    const table = await runCli(['status', '--job', JOB, '--gateway', stack.gateway.address]);
    expect(table.stdout).toMatch(/trainer\s+pauser\s+paused\s/);
    expect(table.stdout).not.toContain('HUNG');
    expect(table.stdout).toContain('1 paused (stopped stepping on purpose');
    expect((await runCli(['status', '--job', TWIN_JOB, '--gateway', stack.gateway.address])).stdout).toMatch(/trainer\s+stuck\s+running HUNG/);
  }, 90_000);

  it.skipIf(!requireChromium())(
    'the view marks the paused node PAUSED, and none of its job HUNG',
    async () => {
      const tables = await viewTables(
        stack.prometheus.url,
        JOB,
        ({ nodes }) => nodes.length === 3 && nodes.find((row) => row.node === 'trainer/pauser')?.cells[2]?.includes('PAUSED') === true,
        'the page to mark the paused node',
      );
      // Its state cell: the state it pushed, and the badge.
      expect(tables.nodes.find((row) => row.node === 'trainer/pauser')?.cells[2]).toBe('pausedPAUSED');
      expect(tables.nodes.filter((row) => row.text.includes('HUNG')).map((row) => row.node)).toEqual([]);
      expect(tables.nodesSummary).toContain('1 paused');
      expect(tables.nodesSummary).not.toContain('hung');
    },
    60_000,
  );

  it('resumed, its age counts from the resume: not hung in the moment before its next step, and no PersiaNodeHung ever in its job', async () => {
    for (const name of ['pauser', 'waiting']) writeFileSync(join(programs.get(name)!.dir, 'resume'), '');
    await printed('pauser', 'RESUMED checkpoint saved');
    // The first push that says running again: its age is the time since the resume, under the threshold.
    const first = await waitFor(
      async () => {
        const samples = [...parseExposition(await stack.gateway.metricsText()).samples].filter(([key]) => key.includes('instance="pauser"'));
        const of = (name: string, label = ''): number | undefined => samples.find(([key]) => key.startsWith(`${name}{`) && key.includes(label))?.[1];
        return of('persia_node_state', 'state="running"') === 1 ? of('persia_node_progress_age_seconds') : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 50, what: "the pauser's first push after its resume", details },
    );
    expect(first, details()).toBeLessThan(HANG_SECONDS);
    await printed('pauser', 'STEPPING');
    // A few evaluations after its first step: still never pending nor firing in its job.
    await stack.prometheus.queryUntil(`persia_node_progress_age_seconds{job="${JOB}", instance=~"pauser|waiting"} == 0`, (s) => s.length === 2, 20_000);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(await jobHungEver()).toEqual([]);
    expect((await status()).find((node) => node.instance === 'pauser')).toMatchObject({ state: 'running', hung: false });
  }, 60_000);

  it('an unknown state or a pause of something that is not a function is a ConfigError the program catches; its pushes go on', async () => {
    await printed('careless', 'PUSHES_GOING_ON');
    const out = programs.get('careless')!.stdout();
    expect(out).toMatch(
      /SETSTATE PERSIA_CONFIG_INVALID ConfigError: setState\(\): state: expected one of 'init', 'running', 'paused', 'error', 'stopping', found string "checkpointing"/,
    );
    expect(out).toMatch(/PAUSED_ARG PERSIA_CONFIG_INVALID ConfigError: paused\(\): work: expected a function/);
    expect(out).toContain('WORK_THREW undefined Error: disk full');
    expect(out).toContain('PUSHES_GOING_ON true');
    // Its state is still running: neither the refused state nor the pause that threw left it elsewhere.
    expect((await status()).find((node) => node.instance === 'careless')).toMatchObject({ state: 'running', hung: false });
  }, 30_000);
});
