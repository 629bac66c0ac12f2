/**
 * flush() while the node's replica hangs: the failover takes two timed-out pushes, and the explicit flush
 * must land on the healthy replica instead of rejecting (found by a README-only session: some flush() calls
 * rejected during a timeout-based failover while the other replica was up). Real gateways; "hung" is the
 * real Pushgateway stopped with SIGSTOP.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { startPushgateway, type RunningPushgateway } from '../../src/local-stack/pushgateway-process.js';
import { waitFor } from '../../src/local-stack/wait-for.js';
import { requireBinary } from '../helpers/binaries.js';
import { killUserPrograms, nodeEnv, startUserProgram } from '../helpers/user-program.js';

const servers = requireBinary('prometheus-pushgateway') !== undefined;

const PROGRAM = `
import { existsSync } from 'node:fs';
import { startNodeMetrics } from 'persia-metrics';
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const metrics = startNodeMetrics();
const misses = metrics.counter('index_miss_count').labels();
await metrics.flush();
console.log('pushing to', metrics.gatewayUrl);
while (!existsSync('go')) await sleep(20); // the test hangs that replica
for (let epoch = 1; epoch <= 3; epoch += 1) {
  misses.inc(1);
  try {
    await metrics.flush();
    console.log('epoch', epoch, 'flushed to', metrics.gatewayUrl);
  } catch (error) {
    console.log('epoch', epoch, 'flush rejected', error.code);
  }
}
await metrics.shutdown();
`;

describe.skipIf(!servers)('flush() during a failover off a hung replica', () => {
  const gateways: RunningPushgateway[] = [];
  afterAll(async () => {
    killUserPrograms();
    await Promise.all(gateways.map((gateway) => gateway.stop()));
  });

  it('lands every explicit flush on the healthy replica', async () => {
    const [a, b] = await Promise.all([startPushgateway(), startPushgateway()]);
    gateways.push(a, b);
    const program = startUserProgram(PROGRAM, {
      // The defaults a user keeps (2 retries); an interval short enough that the backoff alone would end the retries.
      env: nodeEnv(`${a.address},${b.address}`, 'failover_flush', { PERSIA_METRICS_PUSH_INTERVAL_SECONDS: '1', PERSIA_METRICS_PUSH_TIMEOUT_SECONDS: '0.5' }),
    });
    const url = await waitFor(async () => /pushing to (\S+)/.exec(program.stdout())?.[1], { timeoutMs: 15_000, intervalMs: 20, what: 'the first push' });
    const hung = url.startsWith(a.url) ? a : b;
    const healthy = hung === a ? b : a;
    await hung.pause();
    const { writeFileSync } = await import('node:fs');
    writeFileSync(`${program.dir}/go`, '');
    const exit = await program.exited;
    await hung.resume();
    expect(exit.code, exit.stderr).toBe(0);
    for (const epoch of [1, 2, 3]) expect(exit.stdout).toContain(`epoch ${epoch} flushed to ${healthy.url}`);
    expect(exit.stdout).not.toContain('flush rejected');
  });

  it('one gateway spelt twice (127.0.0.1 and localhost) is one replica: warned once, and a hang never makes the node delete its own group (found by a new-user session)', async () => {
    const gateway = await startPushgateway();
    gateways.push(gateway);
    const program = startUserProgram(PROGRAM, {
      env: nodeEnv(`${gateway.address},localhost:${gateway.port}`, 'spelt_twice', { PERSIA_METRICS_PUSH_INTERVAL_SECONDS: '1', PERSIA_METRICS_PUSH_TIMEOUT_SECONDS: '0.5' }),
    });
    await waitFor(async () => /pushing to (\S+)/.exec(program.stdout())?.[1], { timeoutMs: 15_000, intervalMs: 20, what: 'the first push' });
    await gateway.pause();
    await new Promise((resolve) => setTimeout(resolve, 2500));
    await gateway.resume();
    let present = 0;
    let checks = 0;
    for (; checks < 30; checks += 1) {
      if ((await gateway.groups()).some((group) => group.labels['job'] === 'spelt_twice')) present += 1;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const { writeFileSync } = await import('node:fs');
    writeFileSync(`${program.dir}/go`, '');
    const exit = await program.exited;
    expect(exit.code, exit.stderr).toBe(0);
    expect(present, 'the group was missing from the gateway after the hang').toBe(checks);
    expect(exit.stderr.split(`names http://${gateway.address} twice (also as localhost:${gateway.port})`).length - 1).toBe(1);
    expect(exit.stderr).not.toMatch(/gateway replica \S+ failed/); // no move between the two spellings
  });
});
