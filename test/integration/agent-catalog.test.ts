/**
 * docs/processes.md, row 2: a process behind `persia-metrics agent` that exposes the catalog's histograms gets
 * time costs and a slowdown score as a library node does. Before, the agent's node recorded the whole catalog
 * of its role and pushed it at 0 (staleness, num_pending_batches, persia_node_cpu_seconds_total: false zeros for
 * a process that records none of them), and a scraped `lookup_rpc_time_cost` was refused as a clash with that
 * catalog, so the promise could not hold. Here real Python processes (Debian's python3-prometheus-client,
 * test/fixtures/agent/timing_trainer.py) time their RPCs in `lookup_rpc_time_cost` (seconds), one five times
 * slower, each behind the built agent, beside a library node (simulate-node) recording the same family, through
 * the real gateway into a real Prometheus with the rules `persia-metrics init` renders.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningPrometheus } from '../../src/local-stack/prometheus-process.js';
import { waitFor } from '../../src/local-stack/wait-for.js';
import { METRIC_CATALOG, catalogPart } from '../../src/metrics/catalog.js';
import { STRAGGLER_RECORDS } from '../../src/monitoring/straggler-rules.js';
import { killChildren, startAgent, startChild, startPythonExporter, type Child, startPrometheusWithInitRules } from '../fixtures/agent/agent-processes.js';
import { requireBinary } from '../helpers/binaries.js';
import { CLI_MAIN, runCli } from '../helpers/cli-runner.js';
import { parseExposition } from '../helpers/parse-exposition.js';
import { usePushgateway } from '../helpers/pushgateway-fixture.js';
import { findPython } from '../helpers/python-trainer.js';

const JOB = 'agent_catalog_it';
const TRAINER = join(import.meta.dirname, '../fixtures/agent/timing_trainer.py');
const servers = requireBinary('prometheus-pushgateway') !== undefined && requireBinary('prometheus') !== undefined;

afterAll(killChildren);

describe.skipIf(!servers || findPython() === undefined || !existsSync(CLI_MAIN))("a scraped process exposing the catalog's histogram, behind the agent", () => {
  const gateway = usePushgateway();
  let prometheus: RunningPrometheus;
  let stopPrometheus: (() => Promise<void>) | undefined;
  const agents: Child[] = [];
  let library: Child;

  beforeAll(async () => {
    ({ prometheus, stop: stopPrometheus } = await startPrometheusWithInitRules(JOB, gateway.address));
    const fast = await startPythonExporter(TRAINER, ['0.02']);
    const slow = await startPythonExporter(TRAINER, ['0.1']);
    agents.push(
      startAgent(gateway.address, JOB, [fast.url], [], { PERSIA_METRICS_INSTANCE: 'rep_0' }),
      startAgent(gateway.address, JOB, [slow.url], [], { PERSIA_METRICS_INSTANCE: 'rep_1' }),
    );
    // A node of this library recording the same family (its catalog histogram), in the same job and gateway.
    library = startChild(process.execPath, [CLI_MAIN, 'simulate-node', '--role', 'middleware'], {
      PERSIA_METRICS_GATEWAY_ADDR: gateway.address,
      PERSIA_METRICS_JOB_NAME: JOB,
      PERSIA_METRICS_INSTANCE: 'lib_0',
      PERSIA_METRICS_PUSH_INTERVAL_SECONDS: '1',
      PERSIA_METRICS_PUSH_TIMEOUT_SECONDS: '1',
    });
  }, 60_000);

  afterAll(async () => {
    await stopPrometheus?.();
  });

  const details = (): string => [...agents, library].map((child) => child.output()).join('\n');

  it("pushes the process's histogram and the node's health, and none of the catalog's families at 0", async () => {
    const samples = await waitFor(
      async () => {
        const parsed = parseExposition(await gateway.metricsText()).samples;
        const counts = [...parsed].filter(([key, value]) => key.startsWith('lookup_rpc_time_cost_count{') && key.includes('role="trainer"') && value > 0);
        return counts.length === 2 ? parsed : undefined;
      },
      { timeoutMs: 20_000, what: "both agents' pushes with the trainers' histograms", details },
    );
    const ofAgents = [...samples.keys()].filter((key) => key.includes(`job="${JOB}"`) && key.includes('role="trainer"'));
    const families = new Set(ofAgents.map((key) => key.slice(0, key.indexOf('{'))));
    const health = new Set(catalogPart('health').flatMap((spec) => [spec.name, `${spec.name}_bucket`, `${spec.name}_sum`, `${spec.name}_count`]));
    const fromPage = new Set(['lookup_rpc_time_cost_bucket', 'lookup_rpc_time_cost_sum', 'lookup_rpc_time_cost_count', 'nan_count']);
    for (const spec of METRIC_CATALOG) {
      for (const name of [spec.name, `${spec.name}_bucket`, `${spec.name}_sum`, `${spec.name}_count`]) {
        if (families.has(name)) expect(health.has(name) || fromPage.has(name), `${name}: a catalog family the agent pushed`).toBe(true);
      }
    }
    for (const name of ['staleness', 'num_pending_batches', 'update_gradient_time_cost_count', 'persia_node_cpu_seconds_total', 'persia_node_steps_total']) {
      expect(families.has(name), name).toBe(false);
    }
    for (const name of ['persia_node_state', 'persia_node_push_interval_seconds', 'persia_node_incarnation', 'persia_metrics_push_failures_total']) {
      expect(families.has(name), name).toBe(true);
    }
    // prometheus_client's Counter('nan_count') is served as nan_count_total; it arrives as the catalog's nan_count, which the NaN alerts read.
    expect(families.has('nan_count_total')).toBe(false);
    expect(ofAgents.filter((key) => key.startsWith('nan_count{') && key.includes('feature="user_id"')).map((key) => samples.get(key))).toEqual([2, 2]);
    const failures = ofAgents.filter((key) => key.startsWith('persia_metrics_push_failures_total{')).map((key) => samples.get(key));
    expect(failures.every((value) => value === 0)).toBe(true);
  }, 40_000);

  it("scores the slow process's time cost against its peer's with the shipped rules, as a library node's is scored, and status lists every node", async () => {
    const score = `${STRAGGLER_RECORDS.timeCostSlowdown}{job="${JOB}", metric="lookup_rpc_time_cost"}`;
    const scores = await prometheus.queryUntil(score, (found) => found.length === 3, 60_000);
    const byNode = new Map(scores.map((sample) => [`${sample.metric['role']}/${sample.metric['instance']}`, sample.value]));
    expect(byNode.get('trainer/rep_1'), details()).toBeGreaterThan(3);
    expect(byNode.get('trainer/rep_0')).toBeCloseTo(1, 5);
    expect(byNode.get('middleware/lib_0')).toBeCloseTo(1, 5); // alone in its role
    const p99 = await prometheus.query(`${STRAGGLER_RECORDS.timeCostP99}{job="${JOB}", role="trainer", instance="rep_1", metric="lookup_rpc_time_cost"}`);
    expect(p99[0]?.value).toBeGreaterThan(0.05);
    expect(p99[0]?.value).toBeLessThanOrEqual(0.1);

    const result = await runCli(['status', '--job', JOB, '--gateway', gateway.address, '--json']);
    expect(result.code, result.stderr).toBe(0);
    const status = JSON.parse(result.stdout) as { nodes: Array<{ role: string; instance: string; state?: string; condition: string }> };
    expect(status.nodes.map((node) => [node.role, node.instance, node.state, node.condition]).sort()).toEqual([
      ['middleware', 'lib_0', 'running', 'live'],
      ['trainer', 'rep_0', 'running', 'live'],
      ['trainer', 'rep_1', 'running', 'live'],
    ]);

    for (const child of [...agents, library]) child.process.kill('SIGTERM');
    for (const agent of agents) expect(await agent.exited, agent.output()).toBe(0);
    for (const agent of agents) expect(agent.output()).not.toMatch(/warning/);
    expect(await library.exited, library.output()).toBe(143); // a library program's own signal exit
  }, 90_000);
});
