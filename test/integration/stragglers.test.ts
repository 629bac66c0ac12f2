/**
 * Straggler detection end to end on the real servers: `persia-metrics simulate --slow middleware/rep_1=4`
 * pushes to a real Pushgateway, a real Prometheus evaluates the rendered recording and alert rules (with a
 * short `for`, so the test takes well under a minute), and the slow node, and only it, is ranked first and
 * raises PersiaStragglerNode; once the job stops cleanly the alert ends at once, and the same nodes restarted
 * healthy do not inherit it. Needs `npm run build` first (dist/src/cli/main.js).
 */
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveDeployOptions } from '../../src/deploy/deploy-options.js';
import { STRAGGLER_RECORDS } from '../../src/monitoring/straggler-rules.js';
import { STRAGGLER_ALERT } from '../../src/monitoring/view-contract.js';
import { type ManagedProcess } from '../../src/local-stack/managed-process.js';
import { type PromVectorSample, type RunningPrometheus } from '../../src/local-stack/prometheus-process.js';
import { requireBinary } from '../helpers/binaries.js';
import { CLI_MAIN as MAIN } from '../helpers/cli-runner.js';
import { type RulesJob, startRulesJob } from '../helpers/rules-job.js';

const JOB = 'stragglers_it';
const NODES = ['--trainers', '1', '--middleware', '3', '--servers', '3', '--step-ms', '5'];
const FACTOR = 4;
const ready = requireBinary('prometheus') !== undefined && requireBinary('prometheus-pushgateway') !== undefined;
if (!existsSync(MAIN) && process.env['CI'] === 'true') throw new Error(`CI=true and ${MAIN} is missing: run npm run build first`);

/** `role/instance` → value, for readable assertion messages. */
function byNode(samples: readonly PromVectorSample[]): Record<string, number> {
  return Object.fromEntries(samples.map((s) => [`${s.metric['role']}/${s.metric['instance']}`, Math.round(s.value * 100) / 100]));
}

describe.skipIf(!ready || !existsSync(MAIN))('a slow node on real Prometheus + Pushgateway', () => {
  // A 15 s `for`: long enough that the first seconds' noise (P99 from a handful of batches) never fires.
  const options = resolveDeployOptions({ jobName: JOB, pushIntervalSeconds: 1, stragglerForSeconds: 15 });
  let stack: RulesJob;
  let prometheus: RunningPrometheus;
  let nodes: ManagedProcess;

  beforeAll(async () => {
    stack = await startRulesJob('persia-stragglers-it-', options);
    prometheus = stack.prometheus;
    nodes = stack.simulate([...NODES, '--slow', `middleware/rep_1=${FACTOR}`]);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('the alert fires for the slow node alone, which the scores rank first', async () => {
    const firing = await prometheus.queryUntil(`ALERTS{alertname="${STRAGGLER_ALERT}", alertstate="firing", job="${JOB}"}`, (s) => s.length > 0, 50_000);
    expect(
      firing.map((s) => `${s.metric['role']}/${s.metric['instance']}`),
      nodes.output(),
    ).toEqual(['middleware/rep_1']);

    const timeCost = byNode(await prometheus.query(`max by (role, instance) (${STRAGGLER_RECORDS.timeCostSlowdown}{job="${JOB}"})`));
    const perBatch = byNode(await prometheus.query(`max by (role, instance) (${STRAGGLER_RECORDS.throughputSlowdown}{job="${JOB}"})`));
    // Every node that records a time cost has a score (trainers record none).
    expect(Object.keys(timeCost).sort()).toEqual(['middleware/rep_0', 'middleware/rep_1', 'middleware/rep_2', 'server/rep_0', 'server/rep_1', 'server/rep_2']);
    // Ranked first by both scores. (The others are not compared with the threshold at one instant: a P99 of
    // a few seconds of batches is noisy, which is what the alert's `for` is there to absorb.)
    for (const scores of [timeCost, perBatch]) {
      const [top, second] = Object.entries(scores).sort(([, a], [, b]) => b - a);
      expect(top?.[0], JSON.stringify(scores)).toBe('middleware/rep_1');
      expect(top?.[1], JSON.stringify(scores)).toBeGreaterThan(options.stragglerThreshold);
      expect(top?.[1], JSON.stringify(scores)).toBeGreaterThan(1.5 * (second?.[1] ?? 0));
    }

    // Still only that one, a few evaluations later.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const later = await prometheus.query(`ALERTS{alertname="${STRAGGLER_ALERT}", alertstate="firing", job="${JOB}"}`);
    expect(later.map((s) => `${s.metric['role']}/${s.metric['instance']}`)).toEqual(['middleware/rep_1']);
  }, 70_000);

  it('a clean stop ends it at once, though the stopped nodes stay on the gateway; the same nodes restarted healthy do not inherit it', async () => {
    const slowNode = `job="${JOB}", role="middleware", instance="rep_1"`;
    await nodes.stop(10_000); // SIGTERM: every node pushes `stopping` and exits
    await prometheus.queryUntil(`persia_node_state{${slowNode}, state="stopping"} == 1`, (s) => s.length === 1, 10_000);
    expect((await stack.gateway.groups()).filter((group) => group.labels['role'] === 'middleware' && group.labels['instance'] === 'rep_1')).toHaveLength(1);
    // Its 5-minute window still holds the slow batches: only its last push saying `stopping` silences it.
    await prometheus.queryUntil(`ALERTS{alertname="${STRAGGLER_ALERT}", job="${JOB}"}`, (s) => s.length === 0, 10_000);

    nodes = stack.simulate(NODES);
    await prometheus.queryUntil(`persia_node_state{${slowNode}, state="running"} == 1`, (s) => s.length === 1, 20_000);
    // Over the alert's `for` and more: the new process's window would hold the old one's slow batches.
    const until = Date.now() + (options.stragglerForSeconds + 10) * 1000;
    while (Date.now() < until) {
      expect(await prometheus.query(`ALERTS{alertname="${STRAGGLER_ALERT}", ${slowNode}}`), nodes.output()).toEqual([]);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }, 70_000);
});
