/**
 * Hang detection behind the agent (found by a new user: the agent pushed persia_node_progress_age_seconds 0
 * and persia_node_steps_total 0 for ever, so a Python trainer whose loop deadlocked could never be called
 * hung). Real Python trainers (Debian's python3-prometheus-client, test/fixtures/agent/stepping_trainer.py),
 * one whose step counter freezes after 3 s while its /metrics keeps answering and one that keeps stepping,
 * each behind the built `persia-metrics agent --progress train_steps_total`, push through the real gateway
 * into a real Prometheus with the rules `persia-metrics init` renders: PersiaNodeHung fires for the frozen
 * one alone and `status` calls it HUNG. An agent without --progress pushes no progress series at all, so it
 * is never called hung (nor, falsely, progressing).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningPrometheus } from '../../src/local-stack/prometheus-process.js';
import { HUNG_ALERT } from '../../src/monitoring/view-contract.js';
import { killChildren, startAgent, startPythonExporter, type Child, startPrometheusWithInitRules } from '../fixtures/agent/agent-processes.js';
import { requireBinary } from '../helpers/binaries.js';
import { CLI_MAIN, runCli } from '../helpers/cli-runner.js';
import { parseExposition } from '../helpers/parse-exposition.js';
import { usePushgateway } from '../helpers/pushgateway-fixture.js';
import { findPython } from '../helpers/python-trainer.js';

const JOB = 'agent_progress_it';
const TRAINER = join(import.meta.dirname, '../fixtures/agent/stepping_trainer.py');
const servers = requireBinary('prometheus-pushgateway') !== undefined && requireBinary('prometheus') !== undefined;

afterAll(killChildren);

describe.skipIf(!servers || findPython() === undefined || !existsSync(CLI_MAIN))('hang detection behind the agent, with --progress', () => {
  const gateway = usePushgateway();
  let prometheus: RunningPrometheus;
  let stopPrometheus: (() => Promise<void>) | undefined;
  const agents: Child[] = [];

  beforeAll(async () => {
    ({ prometheus, stop: stopPrometheus } = await startPrometheusWithInitRules(JOB, gateway.address));
    const frozen = await startPythonExporter(TRAINER, ['--freeze-after', '3']);
    const healthy = await startPythonExporter(TRAINER);
    agents.push(
      startAgent(gateway.address, JOB, [frozen.url], ['--progress', 'train_steps_total'], { PERSIA_METRICS_INSTANCE: 'rep_0' }),
      startAgent(gateway.address, JOB, [healthy.url], ['--progress', 'train_steps'], { PERSIA_METRICS_INSTANCE: 'rep_1' }),
      startAgent(gateway.address, JOB, [frozen.url], [], { PERSIA_METRICS_INSTANCE: 'rep_2' }),
    );
  }, 60_000);

  afterAll(async () => {
    await stopPrometheus?.();
  });

  it('PersiaNodeHung fires for the trainer whose step counter froze, and for no other; status calls it HUNG', async () => {
    const details = (): string => agents.map((agent) => agent.output()).join('\n');
    const firing = await prometheus.queryUntil(`ALERTS{alertname="${HUNG_ALERT}", alertstate="firing", job="${JOB}"}`, (found) => found.length > 0, 60_000);
    expect(
      firing.map((sample) => `${sample.metric['role']}/${sample.metric['instance']}`),
      details(),
    ).toEqual(['trainer/rep_0']);
    // The healthy trainer progresses at every push; a few evaluations later still that one node alone.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const still = await prometheus.query(`ALERTS{alertname="${HUNG_ALERT}", job="${JOB}"}`);
    expect(still.map((sample) => sample.metric['instance'])).toEqual(['rep_0']);

    const result = await runCli(['status', '--job', JOB, '--gateway', gateway.address, '--json']);
    expect(result.code, result.stderr).toBe(0);
    const status = JSON.parse(result.stdout) as { nodes: Array<{ instance: string; hung: boolean; progressAgeSeconds?: number }> };
    expect(status.nodes.map((node) => [node.instance, node.hung]).sort()).toEqual([
      ['rep_0', true],
      ['rep_1', false],
      ['rep_2', false],
    ]);
    const table = await runCli(['status', '--job', JOB, '--gateway', gateway.address]);
    expect(table.stdout).toMatch(/trainer\s+rep_0\s+running HUNG/);
  }, 90_000);

  it('without --progress the agent pushes neither progress series, and says hang detection is off', async () => {
    const samples = parseExposition(await gateway.metricsText()).samples;
    const of = (instance: string, name: string): boolean => [...samples.keys()].some((key) => key.startsWith(`${name}{`) && key.includes(`instance="${instance}"`));
    expect(of('rep_2', 'train_steps_total')).toBe(true);
    expect(of('rep_2', 'persia_node_progress_age_seconds')).toBe(false);
    expect(of('rep_2', 'persia_node_steps_total')).toBe(false);
    // With --progress: the age, from the trainer's own counter, and no persia_node_steps_total it never records.
    expect(of('rep_0', 'persia_node_progress_age_seconds')).toBe(true);
    expect(of('rep_0', 'persia_node_steps_total')).toBe(false);
    expect(agents[2]?.output()).toContain('no --progress: hang detection is off for this node');
    for (const agent of agents) agent.process.kill('SIGTERM');
    for (const agent of agents) expect(await agent.exited, agent.output()).toBe(0);
  }, 30_000);
});
