/**
 * A node whose gateway dies right before it shuts down still delivers its last values: the final push
 * follows the failover to the next replica (found by a new-user session: shutdown() rejected with
 * PERSIA_PUSH_NETWORK and the values were lost while a healthy replica was up). A user's program against two
 * real gateways; the test kills the one the node pushes to.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startPushgateway, type RunningPushgateway } from '../../src/local-stack/pushgateway-process.js';
import { waitFor } from '../../src/local-stack/wait-for.js';
import { requireBinary } from '../helpers/binaries.js';
import { parseExposition, seriesKey } from '../helpers/parse-exposition.js';
import { killUserPrograms, nodeEnv, startUserProgram } from '../helpers/user-program.js';

const servers = requireBinary('prometheus-pushgateway') !== undefined;

const PROGRAM = `
import { existsSync } from 'node:fs';
import { startNodeMetrics } from 'persia-metrics';
const metrics = startNodeMetrics();
const misses = metrics.counter('index_miss_count').labels();
misses.inc(1);
await metrics.flush();
console.log('pushing to', metrics.gatewayUrl);
while (!existsSync('go')) await new Promise((resolve) => setTimeout(resolve, 20)); // the test kills that gateway
misses.inc(41);
try {
  await metrics.shutdown();
  console.log('shutdown ok');
} catch (error) {
  console.log('shutdown rejected', error.code);
}
`;

describe.skipIf(!servers)('the final push of a node whose gateway just died', () => {
  const gateways: RunningPushgateway[] = [];
  afterAll(async () => {
    killUserPrograms();
    await Promise.all(gateways.map((gateway) => gateway.stop()));
  });

  it('goes to the next replica: shutdown() resolves and the last value is there', async () => {
    gateways.push(await startPushgateway(), await startPushgateway());
    const program = startUserProgram(PROGRAM, {
      env: nodeEnv(gateways.map((gateway) => gateway.address).join(','), 'failover_final', { PERSIA_METRICS_PUSH_INTERVAL_SECONDS: '60' }),
    });
    const url = await waitFor(async () => /pushing to (\S+)/.exec(program.stdout())?.[1], { timeoutMs: 15_000, intervalMs: 20, what: 'the first push' });
    const dead = gateways.find((gateway) => url.startsWith(gateway.url));
    const alive = gateways.find((gateway) => gateway !== dead);
    if (dead === undefined || alive === undefined) throw new Error(`the node pushes to ${url}, none of the test's gateways`);
    await dead.kill();
    writeFileSync(join(program.dir, 'go'), '');
    const exit = await program.exited;
    expect(existsSync(join(program.dir, 'go'))).toBe(true);
    expect(exit.code, exit.stderr).toBe(0);
    expect(exit.stdout).toContain('shutdown ok');
    expect(exit.stderr).not.toMatch(/giving up/);
    const samples = parseExposition(await alive.metricsText()).samples;
    expect(samples.get(seriesKey('index_miss_count', { instance: 'rep_0', job: 'failover_final', role: 'trainer' }))).toBe(42);
  });
});
