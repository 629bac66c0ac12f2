/**
 * The node model (src/monitoring/view-contract.ts, nodeCondition) end to end, as a user meets it: three
 * users' programs push to a real Pushgateway as trainers of one job, one keeps pushing every second, one
 * flushes and calls `shutdown()` (its group kept, its last push says state "stopping"), one is SIGKILLed.
 * The built CLI's `status --json` calls them live, stopped and stale: a clean stop is never stale, and the
 * killed node is stale once it missed 6 of its 1 s pushes. Needs `npm run build` first.
 */
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPushgateway, type RunningPushgateway } from '../../src/local-stack/pushgateway-process.js';
import { waitFor } from '../../src/local-stack/wait-for.js';
import { requireBinary } from '../helpers/binaries.js';
import { CLI_MAIN, runCli } from '../helpers/cli-runner.js';
import { killUserPrograms, nodeEnv, startUserProgram, type RunningUserProgram } from '../helpers/user-program.js';

const JOB = 'node_model_it';
const servers = requireBinary('prometheus-pushgateway') !== undefined;
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

function killed(program: RunningUserProgram): Promise<unknown> {
  program.child.kill('SIGKILL');
  return program.exited;
}

describe.skipIf(!servers || !existsSync(CLI_MAIN))('live, stopped and stale nodes on a real gateway', () => {
  let gateway: RunningPushgateway;

  beforeAll(async () => {
    gateway = await startPushgateway();
  });

  afterAll(async () => {
    killUserPrograms();
    await gateway?.stop();
  });

  it('status --json: a pushing node is live, a clean shutdown() is stopped (not stale), a SIGKILLed node goes stale', async () => {
    const env = (instance: string): Record<string, string> =>
      nodeEnv(gateway.address, JOB, { PERSIA_METRICS_INSTANCE: instance, PERSIA_METRICS_PUSH_INTERVAL_SECONDS: '1', PERSIA_METRICS_DELETE_ON_SHUTDOWN: 'false' });
    const live = startUserProgram(TRAINING, { env: env('rep_0'), timeoutMs: 60_000 });
    const victim = startUserProgram(TRAINING, { env: env('rep_2'), timeoutMs: 60_000 });
    const stop = await startUserProgram(CLEAN_STOP, { env: env('rep_1') }).exited;
    expect(stop.code, stop.stderr).toBe(0);
    expect(stop.stdout).toContain('shut down');
    await waitFor(async () => live.stdout().includes('pushed') && victim.stdout().includes('pushed'), { timeoutMs: 15_000, intervalMs: 100, what: 'both training nodes pushed' });
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
