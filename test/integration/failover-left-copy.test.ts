/**
 * A node that moved off a hung replica, then shuts down with delete_on_shutdown: the copy of its group on
 * the hung replica must go too, or be reported (found by a README-only session: the clean-up DELETE was
 * abandoned at shutdown without a word, and once the replica recovered, `status` showed the finished node
 * as running). Real gateways; "hung" is the real Pushgateway stopped with SIGSTOP (the kernel accepts the
 * connection, nothing answers), resumed with SIGCONT.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startPushgateway, type RunningPushgateway } from '../../src/local-stack/pushgateway-process.js';
import { waitFor } from '../../src/local-stack/wait-for.js';
import { requireBinary } from '../helpers/binaries.js';
import { killUserPrograms, nodeEnv, startUserProgram, type RunningUserProgram } from '../helpers/user-program.js';

const servers = requireBinary('prometheus-pushgateway') !== undefined;

const PROGRAM = `
import { existsSync } from 'node:fs';
import { startNodeMetrics } from 'persia-metrics';
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const metrics = startNodeMetrics();
metrics.counter('index_miss_count').labels().inc(1);
await metrics.flush();
const first = metrics.gatewayUrl;
console.log('pushing to', first);
while (metrics.gatewayUrl === first) await sleep(50); // the test hangs that replica: two timed-out pushes move the node
console.log('moved to', metrics.gatewayUrl);
while (!existsSync('go')) await sleep(20);
const started = Date.now();
try {
  await metrics.shutdown();
  console.log('shutdown ok after', Date.now() - started, 'ms');
} catch (error) {
  console.log('shutdown rejected', error.code);
}
`;

describe.skipIf(!servers)('the copy of a group left on a hung replica, at shutdown', () => {
  const gateways: RunningPushgateway[] = [];
  afterAll(async () => {
    killUserPrograms();
    await Promise.all(gateways.map((gateway) => gateway.stop()));
  });

  async function startMovedNode(job: string): Promise<{ program: RunningUserProgram; hung: RunningPushgateway; other: RunningPushgateway }> {
    const [a, b] = await Promise.all([startPushgateway(), startPushgateway()]);
    gateways.push(a, b);
    const program = startUserProgram(PROGRAM, {
      env: nodeEnv(`${a.address},${b.address}`, job, {
        PERSIA_METRICS_PUSH_INTERVAL_SECONDS: '1',
        PERSIA_METRICS_PUSH_TIMEOUT_SECONDS: '0.5',
        PERSIA_METRICS_PUSH_RETRIES: '0',
        PERSIA_METRICS_DELETE_ON_SHUTDOWN: 'true',
        PERSIA_METRICS_SHUTDOWN_TIMEOUT_SECONDS: '5',
      }),
    });
    const url = await waitFor(async () => /pushing to (\S+)/.exec(program.stdout())?.[1], { timeoutMs: 15_000, intervalMs: 20, what: 'the first push' });
    const hung = url.startsWith(a.url) ? a : b;
    const other = hung === a ? b : a;
    await hung.pause();
    await waitFor(async () => program.stdout().includes('moved to'), { timeoutMs: 15_000, intervalMs: 50, what: 'the node to move off the hung replica' });
    expect(program.stdout()).toContain(`moved to ${other.url}`);
    return { program, hung, other };
  }

  it('is deleted within the shutdown deadline once the replica answers again: no ghost of the finished node', async () => {
    const { program, hung, other } = await startMovedNode('left_copy_recovers');
    writeFileSync(join(program.dir, 'go'), '');
    await new Promise((resolve) => setTimeout(resolve, 300));
    await hung.resume(); // recovers while the node shuts down
    const exit = await program.exited;
    expect(exit.code, exit.stderr).toBe(0);
    expect(exit.stdout).toContain('shutdown ok');
    expect(exit.stderr).not.toContain('could not delete');
    const jobGroups = async (gateway: RunningPushgateway) => (await gateway.groups()).filter((group) => group.labels['job'] === 'left_copy_recovers');
    await waitFor(async () => (await jobGroups(hung)).length === 0 && (await jobGroups(other)).length === 0, {
      timeoutMs: 5_000,
      intervalMs: 50,
      what: 'no group of the finished node on either replica',
      details: () => `the node's stderr: ${exit.stderr}`,
    });
  });

  it('is reported on stderr when the replica is still hung at shutdown, and shutdown() still resolves within its deadline', async () => {
    const { program, hung } = await startMovedNode('left_copy_hung');
    writeFileSync(join(program.dir, 'go'), '');
    const exit = await program.exited;
    expect(exit.code, exit.stderr).toBe(0);
    const elapsed = Number(/shutdown ok after (\d+) ms/.exec(exit.stdout)?.[1]);
    expect(elapsed).toBeLessThan(5_000 + 1_000);
    expect(exit.stderr).toContain(`could not delete this node's group from gateway replica ${hung.url} it left, at shutdown`);
    expect(exit.stderr).toContain('STALE once it misses its pushes');
    await hung.resume();
  });
});
