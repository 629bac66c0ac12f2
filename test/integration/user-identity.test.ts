/**
 * Issue 8, item 4: two nodes with one identity (job, role, instance) overwrite each other's group. Users'
 * programs, as child processes importing 'persia-metrics', against the real Pushgateway:
 * - in one process, a second start of a live identity is refused with a typed error;
 * - across processes (a copy-pasted REPLICA_INDEX), a node says so on stderr within a few intervals and
 *   `persia-metrics status` flags the node; distinct nodes and a node restarted under its old identity
 *   are never reported.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { groupingPath } from '../../src/push/grouping-key.js';
import { gatewayEndpoint } from '../../src/gateway/endpoint.js';
import { readStoredIncarnation } from '../../src/push/node-identity.js';
import { waitFor } from '../../src/local-stack/wait-for.js';
import { requireBinary } from '../helpers/binaries.js';
import { usePushgateway } from '../helpers/pushgateway-fixture.js';
import { runUserProgram, startUserProgram, type RunningUserProgram } from '../helpers/user-program.js';

const run = promisify(execFile);
const MAIN = join(import.meta.dirname, '../../dist/src/cli/main.js');
const servers = requireBinary('prometheus-pushgateway') !== undefined;

/** A training loop that counts its batches until told to stop (SIGTERM), then shuts down its metrics. */
const TRAINING_NODE = `
import { startNodeMetrics } from 'persia-metrics';
const metrics = startNodeMetrics();
const missed = metrics.counter('index_miss_count').labels();
let stop = false;
process.on('SIGTERM', () => { stop = true; });
while (!stop) {
  missed.inc(Number(process.env.STEP));
  await new Promise((resolve) => setTimeout(resolve, 20));
}
await metrics.shutdown();
console.log('done');
`;

describe.skipIf(!servers)('one identity, one writer (issue 8 item 4)', () => {
  const gateway = usePushgateway();

  function node(job: string, replicaIndex: string, step: number, extra: Readonly<Record<string, string>> = {}): RunningUserProgram {
    const program = startUserProgram(TRAINING_NODE, {
      env: {
        PERSIA_METRICS_GATEWAY_ADDR: gateway.address,
        PERSIA_METRICS_JOB_NAME: job,
        PERSIA_METRICS_PUSH_INTERVAL_SECONDS: '0.3',
        PERSIA_NODE_ROLE: 'server',
        REPLICA_INDEX: replicaIndex,
        STEP: String(step),
        ...extra,
      },
      timeoutMs: 60_000,
    });
    return program;
  }

  /** Both nodes' stderr, once one of them warned of another process on its identity. */
  function duplicateWarning(a: RunningUserProgram, b: RunningUserProgram): Promise<string> {
    return waitFor(async () => (/another process/.test(a.stderr() + b.stderr()) ? a.stderr() + b.stderr() : undefined), {
      timeoutMs: 15_000,
      intervalMs: 100,
      what: 'a duplicate-identity warning from one of the two nodes',
      details: () => `a: ${a.stderr()}\nb: ${b.stderr()}`,
    });
  }

  async function stop(program: RunningUserProgram): Promise<{ code: number | null; stderr: string }> {
    program.child.kill('SIGTERM');
    const exit = await program.exited;
    return { code: exit.code, stderr: exit.stderr };
  }

  const status = async (job: string) => (await run(process.execPath, [MAIN, 'status', '--job', job, '--gateway', gateway.address], { env: { PATH: process.env['PATH'] } })).stdout;

  it("the read-back finds a group's stored incarnation in the real gateway (awkward names too), and gives up on a large gateway", async () => {
    const key = { job: 'dup_read', role: 'server', instance: 'host "a"/b\\c' };
    const put = (path: string, body: string) => fetch(`${gateway.url}${path}`, { method: 'PUT', body }).then((r) => r.status);
    expect(await put(groupingPath(key), '# TYPE persia_node_incarnation gauge\npersia_node_incarnation 123456789012345\n')).toBeLessThan(300);
    const read = () => readStoredIncarnation(gatewayEndpoint(gateway.url, { timeoutSeconds: 5 }), key);
    await waitFor(async () => ((await read()).kind === 'found' ? true : undefined), { timeoutMs: 5_000, intervalMs: 50, what: 'the pushed group' });
    expect(await read()).toEqual({ kind: 'found', value: 123456789012345 });
    expect(await readStoredIncarnation(gatewayEndpoint(gateway.url, { timeoutSeconds: 5 }), { ...key, instance: 'other' })).toEqual({ kind: 'absent' });

    // A gateway page past the read cap (1 MiB) before this group's line: the node stops reading it.
    const big = Array.from({ length: 20_000 }, (_, i) => `aaa_filler{i="${i}",pad="${'x'.repeat(40)}"} 1`).join('\n');
    expect(await put('/metrics/job/dup_read_filler', `# TYPE aaa_filler gauge\n${big}\n`)).toBeLessThan(300);
    await waitFor(async () => ((await read()).kind === 'too_large' ? true : undefined), { timeoutMs: 5_000, intervalMs: 100, what: 'the cap' });
    await gateway.wipe();
  });

  it('a second startNodeMetrics of a live identity in one process is refused with a typed error; other identities and a restart after shutdown are fine', async () => {
    const exit = await runUserProgram(
      `
import { startNodeMetrics } from 'persia-metrics';
const options = { gatewayAddr: process.env.GW, jobName: 'dup_in_process', role: 'server', replicaIndex: 3, pushIntervalSeconds: 0.2 };
const first = startNodeMetrics({ options });
try {
  startNodeMetrics({ options });
  console.log('second start accepted');
} catch (error) {
  console.log('refused', error.code, error.name, error instanceof Error);
}
for (const spelling of ['http://' + process.env.GW, process.env.GW + '/', process.env.GW.replace('127.0.0.1', 'localhost')]) {
  try {
    startNodeMetrics({ options: { ...options, gatewayAddr: spelling } });
    console.log('accepted with', spelling);
  } catch (error) {
    console.log('refused', error.code);
  }
}
const neighbour = startNodeMetrics({ options: { ...options, replicaIndex: 4 } });
console.log('neighbour started');
await first.shutdown();
const again = startNodeMetrics({ options });
console.log('restarted after shutdown');
await again.shutdown();
await neighbour.shutdown();
`,
      { env: { GW: gateway.address } },
    );
    expect(exit.code, exit.stderr).toBe(0);
    expect(exit.stdout).toContain('refused PERSIA_DUPLICATE_IDENTITY DuplicateIdentityError true');
    expect(exit.stdout).not.toContain('second start accepted');
    // The same gateway spelt another way is the same identity (found by a new-user session).
    expect(exit.stdout).not.toContain('accepted with');
    expect(exit.stdout.match(/^refused PERSIA_DUPLICATE_IDENTITY$/gm)).toHaveLength(3);
    expect(exit.stdout).toContain('neighbour started');
    expect(exit.stdout).toContain('restarted after shutdown');
  });

  it('two processes with one REPLICA_INDEX: a node says so within a few intervals and status flags the node', async () => {
    const job = 'dup_across_processes';
    const a = node(job, '3', 1);
    const b = node(job, '3', 1000);
    const warned = await duplicateWarning(a, b);
    expect(warned).toMatch(/another process pushes as job dup_across_processes, role server, instance rep_3/);
    // The gateway keeps whichever push came last; the node that noticed marks its pushes, so `status`
    // flags the node as soon as one of those is the stored one.
    const shown = await waitFor(
      async () => {
        const text = await status(job);
        return /rep_3.*DUPLICATE/.test(text) ? text : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 200, what: 'status to flag rep_3 as DUPLICATE' },
    );
    expect(shown).toMatch(/pushed by more than one process/);
    const [exitA, exitB] = await Promise.all([stop(a), stop(b)]);
    expect(exitA.code, exitA.stderr).toBe(0);
    expect(exitB.code, exitB.stderr).toBe(0);
  });

  it('a push timeout of 0.1234 s: the read-back runs under the same whole-millisecond deadline as the pushes, and finds the other process', async () => {
    // The read-back once turned 0.1234 s into 123.4 ms, which undici refuses (ERR_OUT_OF_RANGE); the error
    // was swallowed, so duplicate-identity detection never ran for such a config.
    const job = 'dup_fraction_timeout';
    const timeout = { PERSIA_METRICS_PUSH_TIMEOUT_SECONDS: '0.1234' };
    const a = node(job, '5', 1, timeout);
    const b = node(job, '5', 1000, timeout);
    const warned = await duplicateWarning(a, b);
    expect(warned).toMatch(/another process pushes as job dup_fraction_timeout, role server, instance rep_5/);
    const [exitA, exitB] = await Promise.all([stop(a), stop(b)]);
    expect(exitA.code, exitA.stderr).toBe(0);
    expect(exitB.code, exitB.stderr).toBe(0);
  });

  it('distinct nodes, and a node restarted under its old identity, are never reported', async () => {
    const job = 'dup_none';
    const first = node(job, '0', 1);
    const second = node(job, '1', 1);
    // Twelve read-backs happen within the first 32 pushes (about 10 s at 0.3 s): wait past most of them.
    await waitFor(async () => ((await gateway.groups()).filter((g) => g.labels['job'] === job).length === 2 ? true : undefined), {
      timeoutMs: 10_000,
      intervalMs: 100,
      what: 'both nodes in the gateway',
    });
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    const stopped = await stop(first);
    const restarted = node(job, '0', 1);
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    const [secondExit, restartedExit] = await Promise.all([stop(second), stop(restarted)]);
    for (const exit of [stopped, secondExit, restartedExit]) {
      expect(exit.code, exit.stderr).toBe(0);
      expect(exit.stderr).not.toMatch(/another process/);
    }
    expect(await status(job)).not.toMatch(/DUPLICATE/);
  });
});
