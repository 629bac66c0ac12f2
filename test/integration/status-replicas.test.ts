/**
 * `persia-metrics status` over replicated gateways, as an operator runs it while one replica is in trouble
 * (found by a README-only session: one replica down or hung made status fail outright, its GATEWAY column
 * showed the push result, and a group a failover left behind looked like a running node).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPushgateway, type RunningPushgateway } from '../../src/local-stack/pushgateway-process.js';
import { freePort } from '../../src/local-stack/free-port.js';
import { requireBinary } from '../helpers/binaries.js';
import { runCli } from '../helpers/cli-runner.js';
import { startFakeFaultyGateway, type FakeFaultyGateway } from '../helpers/fake-faulty-gateway.js';

const servers = requireBinary('prometheus-pushgateway') !== undefined;

interface StatusJson {
  job: string;
  gateways: { gateway: string; ok: boolean; nodes: number; error?: string }[];
  nodes: { role: string; instance: string; gateway: string; movedTo?: string }[];
}

describe.skipIf(!servers)('persia-metrics status with several replicas', () => {
  let first: RunningPushgateway;
  let second: RunningPushgateway;
  let hung: FakeFaultyGateway;
  let dead: string;

  beforeAll(async () => {
    [first, second, hung] = await Promise.all([startPushgateway(), startPushgateway(), startFakeFaultyGateway('hang')]);
    dead = `127.0.0.1:${await freePort()}`;
  });
  afterAll(async () => {
    await Promise.all([first?.stop(), second?.stop(), hung?.close()]);
  });

  async function push(gateway: RunningPushgateway, job: string, role: string, instance: string): Promise<void> {
    const response = await fetch(`${gateway.url}/metrics/job/${job}/role/${role}/instance/${instance}`, { method: 'PUT', body: 'persia_node_incarnation 5\n' });
    expect(response.status).toBe(200);
  }

  it('shows the nodes of the replicas it can read, names the one down and the one hung, and exits 1', async () => {
    await push(first, 'rs_part', 'trainer', 'rep_0');
    await push(second, 'rs_part', 'server', 'rep_1');
    const gateways = [first.address, dead, second.address, hung.address].join(',');
    const started = Date.now();
    const text = await runCli(['status', '--job', 'rs_part', '--gateway', gateways, '--timeout', '1']);
    expect(Date.now() - started).toBeLessThan(10_000); // the replicas are read at once, each within --timeout
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(new RegExp(`trainer\\s+rep_0\\s.*${first.address}`));
    expect(text.stdout).toMatch(new RegExp(`server\\s+rep_1\\s.*${second.address}`));
    expect(text.stdout).toContain('2 nodes of job "rs_part"');
    expect(text.stdout).toContain(`${dead} (NOT READ)`);
    expect(text.stderr).toContain(`gateway ${dead} not read`);
    expect(text.stderr).toContain('ECONNREFUSED');
    expect(text.stderr).toContain(`gateway ${hung.address} not read (cannot read http://${hung.address}/api/v1/metrics: no answer within 1 s)`);

    const json = await runCli(['status', '--job', 'rs_part', '--gateway', gateways, '--timeout', '1', '--json']);
    expect(json.code).toBe(1);
    const parsed = JSON.parse(json.stdout) as StatusJson;
    expect(parsed.gateways.map((g) => [g.gateway, g.ok, g.nodes])).toEqual([
      [first.address, true, 1],
      [dead, false, 0],
      [second.address, true, 1],
      [hung.address, false, 0],
    ]);
    expect(parsed.nodes.map((n) => [n.role, n.instance, n.gateway])).toEqual([
      ['trainer', 'rep_0', first.address],
      ['server', 'rep_1', second.address],
    ]);
  });

  it('names a replica answering JSON of another shape, and still shows the others (a FAKE server answers it)', async () => {
    await push(first, 'rs_shape', 'trainer', 'rep_0');
    const odd = createServer((_request, response) => response.end(JSON.stringify({ status: 'success', data: [{ labels: {} }, null, 5] })));
    await new Promise<void>((resolve) => odd.listen(0, '127.0.0.1', resolve));
    const oddAddress = `127.0.0.1:${(odd.address() as AddressInfo).port}`;
    try {
      const result = await runCli(['status', '--job', 'rs_shape', '--gateway', `${first.address},${oddAddress}`, '--timeout', '2']);
      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(/trainer\s+rep_0/);
      expect(result.stderr).toContain(`gateway ${oddAddress} not read (GET http://${oddAddress}/api/v1/metrics: not a Pushgateway API answer (data[1] is null, not a group))`);
    } finally {
      odd.close();
    }
  });

  it('fails with every reason when no replica can be read', async () => {
    const result = await runCli(['status', '--job', 'rs_none', '--gateway', `${dead},${hung.address}`, '--timeout', '1', '--json']);
    expect(result.code).toBe(1);
    const error = (JSON.parse(result.stdout) as { error: { code: string; message: string } }).error;
    expect(error.code).toBe('PERSIA_STATUS_FAILED');
    expect(error.message).toContain('ECONNREFUSED');
    expect(error.message).toContain('no answer within 1 s');
  });

  it('marks the group a node left behind on a replica it moved away from', async () => {
    await push(first, 'rs_moved', 'middleware', 'rep_2');
    await new Promise((resolve) => setTimeout(resolve, 1100)); // push_time_seconds has millisecond precision; be plain about which is newer
    await push(second, 'rs_moved', 'middleware', 'rep_2');
    const text = await runCli(['status', '--job', 'rs_moved', '--gateway', `${first.address},${second.address}`]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain(`${first.address} (LEFT: now on ${second.address})`);
    expect(text.stdout).toContain('1 node of job "rs_moved"');
    expect(text.stdout).toContain('1 group left behind on a replica the node moved away from');
    const json = JSON.parse((await runCli(['status', '--job', 'rs_moved', '--gateway', `${first.address},${second.address}`, '--json'])).stdout) as StatusJson;
    expect(json.nodes.map((n) => [n.gateway, n.movedTo])).toEqual([
      [first.address, second.address],
      [second.address, undefined],
    ]);
  });

  it('warns about a misspelt PERSIA_METRICS_* variable, as a node does', async () => {
    await push(first, 'rs_typo', 'trainer', 'rep_0');
    const result = await runCli(['status', '--job', 'rs_typo'], { PERSIA_METRICS_GATEWAY_ADDR: first.address, PERSIA_METRICS_JOBNAME: 'x' });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('PERSIA_METRICS_JOBNAME');
  });
});
