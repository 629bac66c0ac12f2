/**
 * What a node says of its progress, as a user's program records it through the package name, on a real
 * Pushgateway, read by the built `status` (found by a README-only session: a trainer written like the
 * README's Example, or any node stuck before its first batch, was never HUNG, and the age it reported was
 * up to one push interval too low). Pushes every second, so the hang threshold (2.5 pushes) is 2.5 s.
 * - a trainer that says it counts steps (`progress: 'steps'`) and is stuck before its first step: HUNG;
 * - a middleware node that says it is expected to progress (`progress: 'steps'`) and never records a batch: HUNG;
 * - a middleware node that said nothing and records no batch yet (waiting for its trainers, which may load
 *   data for minutes): no age, never called hung at the job's start;
 * - a trainer that counted steps with `metrics.step()` and stopped: HUNG, and its age is the time since its
 *   last step (exact: the step stamps its time), not since the push that saw it;
 * - a trainer like the README's Example that counts no step and said nothing: no age at all (unknown), never
 *   called hung nor "0 s since progress";
 * - a trainer that keeps stepping: age 0, not hung.
 * Needs `npm run build` first.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPushgateway, type RunningPushgateway } from '../../src/local-stack/pushgateway-process.js';
import { waitFor } from '../../src/local-stack/wait-for.js';
import { requireBinary } from '../helpers/binaries.js';
import { runCli } from '../helpers/cli-runner.js';
import { parseExposition } from '../helpers/parse-exposition.js';
import { killUserPrograms, nodeEnv, startUserProgram, type RunningUserProgram } from '../helpers/user-program.js';

const JOB = 'progress_age_it';

const PROGRAM = `
import { startNodeMetrics } from 'persia-metrics';
const MODE = process.env.MODE;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const countsSteps = MODE === 'steps-stuck-at-start' || MODE === 'steps-then-stuck' || MODE === 'stepping' || MODE === 'middleware-stuck';
const metrics = startNodeMetrics(countsSteps ? { progress: 'steps' } : {});
setInterval(() => {}, 1000); // the process lives on, whatever its training does
if (MODE === 'readme-trainer') {
  // The README's Example for a trainer: its catalog metrics each batch, no step counted.
  const staleness = metrics.gauge('staleness').labels(), pending = metrics.gauge('num_pending_batches').labels();
  for (;;) { staleness.set(1); pending.set(2); await sleep(20); }
}
if (MODE === 'stepping') for (;;) { metrics.step(); await sleep(20); }
if (MODE === 'steps-then-stuck') {
  // Steps until just after a push has landed, then one last step and no more: the next push sees it, the one
  // after reads nearly two intervals since it (a push-resolution age would read one).
  let seen = 0;
  for (;;) {
    metrics.step();
    await sleep(10);
    const pushes = metrics.pushStats?.pushes ?? 0;
    if (pushes >= 2 && pushes !== seen && seen !== 0) break;
    seen = pushes;
  }
  metrics.step();
  console.log('LAST_STEP ' + Date.now() / 1000);
}
`;

interface StatusNode {
  instance: string;
  hung: boolean;
  progressAgeSeconds?: number;
}

describe.skipIf(requireBinary('prometheus-pushgateway') === undefined)('progress age: honest, and a hang reachable', () => {
  let gateway: RunningPushgateway;
  const programs = new Map<string, RunningUserProgram>();

  beforeAll(async () => {
    gateway = await startPushgateway();
    const start = (instance: string, role: string): void => {
      const env = nodeEnv(gateway.address, JOB, { PERSIA_NODE_ROLE: role, PERSIA_METRICS_INSTANCE: instance, PERSIA_METRICS_PUSH_INTERVAL_SECONDS: '1', MODE: instance });
      programs.set(instance, startUserProgram(PROGRAM, { env, timeoutMs: 60_000 }));
    };
    start('steps-stuck-at-start', 'trainer');
    start('middleware-stuck', 'middleware');
    start('middleware-waiting', 'middleware');
    start('steps-then-stuck', 'trainer');
    start('readme-trainer', 'trainer');
    start('stepping', 'trainer');
  }, 30_000);

  afterAll(async () => {
    killUserPrograms();
    await gateway?.stop();
  });

  const status = async (): Promise<StatusNode[]> => {
    const result = await runCli(['status', '--job', JOB, '--gateway', gateway.address, '--json']);
    expect(result.code, result.stderr).toBe(0);
    return (JSON.parse(result.stdout) as { nodes: StatusNode[] }).nodes;
  };
  const details = (): string => [...programs].map(([name, program]) => `${name}: ${program.stdout()}${program.stderr()}`).join('\n');

  it("a step's age is exact: the time since the last step, not since the push that saw it", async () => {
    const program = programs.get('steps-then-stuck')!;
    const lastStep = await waitFor(async () => /LAST_STEP (\S+)/.exec(program.stdout())?.[1], { timeoutMs: 20_000, intervalMs: 50, what: 'the last step', details });
    const reading = await waitFor(
      async () => {
        const samples = parseExposition(await gateway.metricsText()).samples;
        const of = (name: string): number | undefined => [...samples].find(([key]) => key.startsWith(`${name}{`) && key.includes('instance="steps-then-stuck"'))?.[1];
        const age = of('persia_node_progress_age_seconds');
        const pushed = of('push_time_seconds');
        return age !== undefined && age > 0 && pushed !== undefined ? { age, pushed } : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 50, what: 'the first push that saw no step', details },
    );
    // The push lands a few milliseconds after the node sampled its age.
    expect(Math.abs(reading.pushed - Number(lastStep) - reading.age), JSON.stringify({ lastStep, ...reading })).toBeLessThan(0.25);
    expect(reading.age).toBeGreaterThan(1.2); // the step came right after a push: nearly two intervals by the next push but one
  }, 40_000);

  it('nodes stuck before their first step, and one that stopped stepping, are HUNG; an unknown one and a stepping one are not', async () => {
    const nodes = await waitFor(
      async () => {
        const found = await status();
        const hung = found.filter((node) => node.hung).map((node) => node.instance);
        return ['middleware-stuck', 'steps-stuck-at-start', 'steps-then-stuck'].every((name) => hung.includes(name)) ? found : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 250, what: 'the stuck nodes called hung', details },
    );
    const byName = new Map(nodes.map((node) => [node.instance, node]));
    expect(
      nodes
        .filter((node) => node.hung)
        .map((node) => node.instance)
        .sort(),
    ).toEqual(['middleware-stuck', 'steps-stuck-at-start', 'steps-then-stuck']);
    // Stuck from its start: its age counts from then (above the 2.5 s threshold), not 0.
    expect(byName.get('steps-stuck-at-start')?.progressAgeSeconds).toBeGreaterThan(2.5);
    // Unknown progress: no age at all, so nothing says it progressed "0 s ago", or that it hung.
    expect(byName.get('readme-trainer')).toMatchObject({ hung: false });
    expect(byName.get('readme-trainer')?.progressAgeSeconds).toBeUndefined();
    expect(byName.get('stepping')).toMatchObject({ hung: false, progressAgeSeconds: 0 });
    // A server-side node waiting for its trainers is not hung before its first batch unless it said so.
    expect(byName.get('middleware-waiting')).toMatchObject({ hung: false });
    expect(byName.get('middleware-waiting')?.progressAgeSeconds).toBeUndefined();
    const table = await runCli(['status', '--job', JOB, '--gateway', gateway.address]);
    expect(table.stdout).toMatch(/trainer\s+steps-stuck-at-start\s+running HUNG/);
    expect(table.stdout).toMatch(/middleware\s+middleware-stuck\s+running HUNG/);
    expect(table.stdout).not.toMatch(/readme-trainer.*HUNG/);
    expect(table.stdout).not.toMatch(/middleware-waiting.*HUNG/);
  }, 40_000);
});
