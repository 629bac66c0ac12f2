/**
 * A new-user session's findings on the gateway's shared page (the shipped gateway runs with
 * --push.disable-consistency-check), each replayed as its repro did against the real Pushgateway, a live
 * node (a user's program importing `persia-metrics`) and the built CLI:
 *
 * - a job/role group whose body sets `instance="rep_0"` writes the live node's own series: `status` and
 *   `repair` name and delete that intruder, never the node, and repair's success holds after the node's
 *   next push;
 * - another job's gauge `lookup_rpc_time_cost_bucket` meets the catalog histogram's samples: named and
 *   deleted, with the gateway's own error text shown (not its first, empty-handed line);
 * - `repair --job` when a group of another job breaks the page says so, and how to repair it;
 * - groups that differ only in bytes that are not UTF-8 stay distinct in `status`.
 *
 * Needs `npm run build` first (the node and the CLI run dist/).
 */
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startPushgateway, type RunningPushgateway } from '../../src/local-stack/pushgateway-process.js';
import { waitFor } from '../../src/local-stack/wait-for.js';
import { requireBinary } from '../helpers/binaries.js';
import { runCli } from '../helpers/cli-runner.js';
import { killUserPrograms, nodeEnv, startUserProgram } from '../helpers/user-program.js';

const servers = requireBinary('prometheus-pushgateway') !== undefined;
afterAll(() => killUserPrograms());

/** A node of job hj, pushing every second until killed; a middleware observes the catalog histogram lookup_rpc_time_cost. */
const LIVE_NODE = `
import { startNodeMetrics } from 'persia-metrics';
const metrics = startNodeMetrics();
if (process.env.PERSIA_NODE_ROLE === 'middleware') metrics.histogram('lookup_rpc_time_cost').labels().observe(0.01);
await metrics.flush();
console.log('pushed');
setInterval(() => {}, 1000);
`;

async function push(gateway: RunningPushgateway, path: string, body: string): Promise<void> {
  const answer = await fetch(`${gateway.url}${path}`, { method: 'PUT', body });
  expect(answer.status, await answer.text()).toBeLessThan(300);
}

async function pageStatus(gateway: RunningPushgateway): Promise<number> {
  return (await fetch(`${gateway.url}/metrics`)).status;
}

/** Starts a live node of job hj and waits for its first push. */
async function liveNode(gateway: RunningPushgateway, role: string): Promise<void> {
  const node = startUserProgram(LIVE_NODE, {
    env: nodeEnv(gateway.address, 'hj', { PERSIA_NODE_ROLE: role, PERSIA_METRICS_PUSH_INTERVAL_SECONDS: '1' }),
    timeoutMs: 120_000,
  });
  await waitFor(async () => node.stdout().includes('pushed'), { timeoutMs: 20_000, intervalMs: 100, what: `the ${role} node's first push (${node.stderr()})` });
}

describe.skipIf(!servers)("groups that break the gateway's page (consistency check off, as shipped)", () => {
  let gateway: RunningPushgateway;
  beforeEach(async () => {
    gateway = await startPushgateway({ extraArgs: ['--push.disable-consistency-check'] });
  });
  afterEach(async () => {
    killUserPrograms();
    await gateway.stop();
  });

  it('a job/role group carrying instance="rep_0" in its body: status and repair name it, not the live node; repair\'s 200 holds after the node\'s next push', async () => {
    await liveNode(gateway, 'server');
    await push(gateway, '/metrics/job/hj/role/server', '# TYPE persia_node_state gauge\npersia_node_state{instance="rep_0",state="running"} 0\n');
    expect(await pageStatus(gateway)).toBe(500);

    const status = await runCli(['status', '--job', 'hj', '--gateway', gateway.address]);
    expect(status.code, status.stderr).toBe(1);
    expect(status.stderr).toMatch(/broken by group job="hj" role="server": writes persia_node_state\{[^}]*instance="rep_0"[^}]*\}, setting instance in its body/);
    expect(status.stderr).not.toContain('broken by group job="hj" role="server" instance="rep_0"');
    expect(status.stderr).toContain('was collected before with the same name and label values'); // the gateway's own words

    const repair = await runCli(['repair', '--gateway', gateway.address]);
    expect(repair.code, `${repair.stdout}\n${repair.stderr}`).toBe(0);
    expect(repair.stdout).toContain('1 group breaks it:');
    expect(repair.stdout).toMatch(/ {3}job="hj" role="server": writes persia_node_state/);
    expect(repair.stdout).toMatch(/1 of 1 group deleted; \/metrics now answers 200 and still did \d+(\.\d+)? s later/);
    // The node pushes again and the page stays good: the intruder was deleted, the node kept.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(await pageStatus(gateway)).toBe(200);
    const groups = (await gateway.groups()).map((g) => g.labels);
    expect(groups).toContainEqual({ job: 'hj', role: 'server', instance: 'rep_0' });
    expect(groups).not.toContainEqual({ job: 'hj', role: 'server' });
  }, 90_000);

  it("another job's gauge named like the catalog histogram's _bucket samples: named and deleted; the gateway's error text is shown", async () => {
    await liveNode(gateway, 'middleware');
    await push(gateway, '/metrics/job/other/role/middleware/instance/n1', '# TYPE lookup_rpc_time_cost_bucket gauge\nlookup_rpc_time_cost_bucket{le="x"} 1\n');
    expect(await pageStatus(gateway)).toBe(500);

    const status = await runCli(['status', '--job', 'hj', '--gateway', gateway.address]);
    expect(status.code, status.stderr).toBe(1);
    // Which of the two the gateway names first depends on its gathering order: either is its own text.
    expect(status.stderr).toMatch(/lookup_rpc_time_cost(_bucket)?" collides with previously collected (histogram|metric) named "lookup_rpc_time_cost/);
    expect(status.stderr).toMatch(
      /broken by group job="other" role="middleware" instance="n1": lookup_rpc_time_cost_bucket pushed as gauge: a sample name of the histogram lookup_rpc_time_cost, the catalog's/,
    );
    expect(status.stderr).not.toContain('broken by group job="hj"');

    const repair = await runCli(['repair', '--gateway', gateway.address]);
    expect(repair.code, `${repair.stdout}\n${repair.stderr}`).toBe(0);
    expect(repair.stdout).toMatch(/collides with previously collected (histogram|metric) named/);
    expect(repair.stdout).toMatch(/1 of 1 group deleted; \/metrics now answers 200/);
    expect((await gateway.groups()).map((g) => g.labels['job'])).toEqual(['hj']);
    expect(await pageStatus(gateway)).toBe(200);
  }, 90_000);

  it('repair --job hj when a group of another job breaks the page: says so and how to repair it, deletes nothing', async () => {
    await push(gateway, '/metrics/job/hj/role/server/instance/rep_0', 'persia_node_push_interval_seconds 2\n');
    await push(gateway, '/metrics/job/other/role/server/instance@base64/eP8=', 'persia_node_push_interval_seconds 2\n');
    const repair = await runCli(['repair', '--gateway', gateway.address, '--job', 'hj']);
    expect(repair.code, repair.stdout).toBe(1);
    expect(repair.stdout).toContain('0 groups of job "hj" break it');
    expect(repair.stdout).not.toContain('names no group');
    expect(repair.stdout).toMatch(/outside --job: job="other" role="server" instance="x\\xff": a grouping value is not valid UTF-8/);
    expect(repair.stdout).toContain(`\`persia-metrics repair --gateway ${gateway.url}\` (without --job) deletes it`);
    expect(await gateway.groups()).toHaveLength(2);
  }, 30_000);

  it('groups that differ only in bytes that are not UTF-8 stay distinct in status, each shown by its bytes', async () => {
    for (const bytes of ['eP8=', 'eP4=', 'eMA=']) await push(gateway, `/metrics/job/hj2/role/server/instance@base64/${bytes}`, 'persia_node_push_interval_seconds 2\n');
    const status = await runCli(['status', '--job', 'hj2', '--gateway', gateway.address]);
    expect(status.code, status.stderr).toBe(1);
    expect(status.stdout).not.toContain('LEFT');
    expect(status.stdout).toContain('3 nodes of job "hj2"');
    for (const shown of ['x\\xff', 'x\\xfe', 'x\\xc0'])
      expect(status.stderr).toContain(`broken by group job="hj2" role="server" instance="${shown}": a grouping value is not valid UTF-8`);
  }, 30_000);
});
