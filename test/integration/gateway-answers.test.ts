/**
 * What every path to a gateway shares (src/gateway): one address parser, so a gateway spelt twice is one
 * gateway for `expire`, `end-job` and `status` as for a node; and bounded reads, so an endless answer costs
 * a training node no memory and is reported, by the node as a counted failure and by the commands as an
 * error. The real Pushgateway for the first; a FAKE server for the second (a real gateway never answers an
 * endless body).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../src/local-stack/wait-for.js';
import { requireBinary } from '../helpers/binaries.js';
import { runCli } from '../helpers/cli-runner.js';
import { usePushgateway } from '../helpers/pushgateway-fixture.js';
import { killUserPrograms, nodeEnv, runUserProgram } from '../helpers/user-program.js';

const servers = requireBinary('prometheus-pushgateway') !== undefined;

/** FAKE: answers every request with 200 and a body that never ends, until the client hangs up. */
async function startEndlessAnswerServer(): Promise<{ server: Server; address: string }> {
  const chunk = Buffer.alloc(64 * 1024, 'x');
  const server = createServer((request, response) => {
    request.resume();
    response.writeHead(200, { 'content-type': 'text/plain' });
    let open = true;
    response.on('close', () => (open = false));
    const pour = (): void => {
      while (open && response.write(chunk));
      if (open) response.once('drain', pour);
    };
    pour();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, address: `127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** A node that flushes a few times, then says how its memory grew and what it counted. */
const FLUSHING_NODE = `
import { startNodeMetrics } from 'persia-metrics';
const before = process.memoryUsage().rss;
const metrics = startNodeMetrics();
let error;
for (let index = 0; index < 5; index += 1) {
  try { await metrics.flush(); } catch (caught) { error = caught; }
}
await new Promise((resolve) => setTimeout(resolve, 1000)); // background pushes too
const growthMiB = (process.memoryUsage().rss - before) / 2 ** 20;
const connection = metrics.registry.counter('persia_metrics_push_failures_total').labels('connection').value;
await metrics.shutdown(2).catch(() => {});
console.log(JSON.stringify({ growthMiB, code: error?.code, message: error?.message, connection }));
`;

describe('a gateway that answers without end (FAKE server)', () => {
  let endless: { server: Server; address: string };

  beforeAll(async () => {
    endless = await startEndlessAnswerServer();
  });
  afterAll(async () => {
    killUserPrograms();
    endless?.server.closeAllConnections();
    await new Promise((resolve) => endless?.server.close(resolve));
  });

  it("costs a training node no memory: each push reads at most a Pushgateway's answer, fails, and is counted", async () => {
    const exit = await runUserProgram(FLUSHING_NODE, {
      env: nodeEnv(endless.address, 'endless_answer', { PERSIA_METRICS_PUSH_INTERVAL_SECONDS: '0.5', PERSIA_METRICS_PUSH_TIMEOUT_SECONDS: '5' }),
      timeoutMs: 60_000,
    });
    expect(exit.code, exit.stderr).toBe(0);
    const report = JSON.parse(exit.stdout.trim().split('\n').pop() ?? '{}') as { growthMiB: number; code?: string; message?: string; connection: number };
    // Read to its end, each answer would have grown the node by the whole 5 s of the push timeout.
    expect(report.growthMiB).toBeLessThan(64);
    expect(report.code).toBe('PERSIA_GATEWAY_ANSWER_TOO_LARGE');
    expect(report.message).toContain('more than a Pushgateway ever sends');
    expect(report.connection).toBeGreaterThanOrEqual(5);
    expect(exit.stderr).toContain('more than a Pushgateway ever sends');
  });

  it('status and expire report it as an unreadable gateway and exit 1', { timeout: 120_000 }, async () => {
    const status = await runCli(['status', '--job', 'j', '--gateway', endless.address, '--timeout', '60'], {}, { timeoutMs: 90_000 });
    expect(status.code, status.stderr).toBe(1);
    expect(status.stderr).toContain(`GET http://${endless.address}/api/v1/metrics answered 200 with more than 256 MiB`);
    const expire = await runCli(['expire', '--gateway', endless.address, '--after', '1m', '--timeout', '60', '--json'], {}, { timeoutMs: 90_000 });
    expect(expire.code, expire.stderr).toBe(1);
    expect(expire.stdout + expire.stderr).toContain('more than 256 MiB, more than a Pushgateway ever sends for it');
  });
});

describe.skipIf(!servers)('one gateway spelt twice (the real Pushgateway)', () => {
  const gateway = usePushgateway();

  it('is read and swept once by status, expire and end-job', { timeout: 60_000 }, async () => {
    const twice = `${gateway.address},localhost:${gateway.port}`;
    const put = await fetch(`${gateway.url}/metrics/job/spelt/role/trainer/instance/rep_0`, { method: 'PUT', body: 'persia_node_push_interval_seconds 0.1\n' });
    expect(put.status).toBe(200);
    await waitFor(async () => ((await gateway.groups()).length === 1 ? true : undefined), { timeoutMs: 5_000, intervalMs: 50, what: 'the group' });

    const status = await runCli(['status', '--job', 'spelt', '--gateway', twice, '--json']);
    expect((JSON.parse(status.stdout) as { gateways: unknown[] }).gateways).toHaveLength(1);

    const expire = await runCli(['expire', '--gateway', twice, '--after', '1s', '--dry-run', '--json']);
    expect(expire.code, expire.stderr).toBe(0);
    expect((JSON.parse(expire.stdout) as { gateways: Array<{ gateway: string }> }).gateways.map((sweep) => sweep.gateway)).toEqual([gateway.url]);

    const endJob = await runCli(['end-job', '--job', 'spelt', '--gateway', twice, '--json']);
    expect(endJob.code, endJob.stderr).toBe(0);
    const sweeps = (JSON.parse(endJob.stdout) as { gateways: Array<{ deletions: unknown[] }> }).gateways;
    expect(sweeps).toHaveLength(1);
    expect(sweeps[0]?.deletions).toHaveLength(1);
  });
});
