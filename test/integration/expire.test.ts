/**
 * `expire` and `end-job` on real gateways, with real node processes (`persia-metrics simulate-node`, built by
 * `npm run build`): a SIGKILLed node's group goes once it missed 12 of its own pushes, while a live node, a
 * slow one (a long interval, between two pushes older than --after), another job's dead node and another
 * pusher's group stay; a node that comes back re-creates its group; --dry-run deletes nothing; end-job
 * clears one job and no other; several replicas are each swept and one that is down is reported (exit 1);
 * bad options exit 2 naming the option. Short intervals keep the file under ~30 s.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METRIC_CATALOG } from '../../src/metrics/catalog.js';
import { freePort } from '../../src/local-stack/free-port.js';
import { startPushgateway, type RunningPushgateway } from '../../src/local-stack/pushgateway-process.js';
import { waitFor } from '../../src/local-stack/wait-for.js';
import { requireBinary } from '../helpers/binaries.js';
import { CLI_MAIN, runCli } from '../helpers/cli-runner.js';
import { usePushgateway } from '../helpers/pushgateway-fixture.js';
import { hasOpenssl, startSecuredPushgateway, TEST_PASSWORD, TEST_USER, type SecuredPushgateway } from '../helpers/secured-pushgateway.js';

const INTERVAL = METRIC_CATALOG.find((spec) => spec.name === 'persia_node_push_interval_seconds') ?? { name: '', help: '' };
const servers = requireBinary('prometheus-pushgateway') !== undefined;
const dir = mkdtempSync(join(tmpdir(), 'persia-expire-'));
const children: ChildProcess[] = [];

/** One simulated node of `job` pushing every `interval` seconds as role/instance. */
function startNode(gateway: RunningPushgateway, job: string, role: string, instance: string, interval: number): ChildProcess {
  const file = join(dir, `${job}-${role}-${instance}.yaml`);
  writeFileSync(file, `PersiaMetricsConfig:\n  job_name: ${job}\n  push_interval_seconds: ${interval}\n`);
  const child = spawn(process.execPath, [CLI_MAIN, 'simulate-node', '--role', role, '--config', file, '--step-ms', '50'], {
    env: { PATH: process.env['PATH'], PERSIA_METRICS_GATEWAY_ADDR: gateway.address, PERSIA_METRICS_INSTANCE: instance },
    stdio: 'ignore',
  });
  children.push(child);
  return child;
}

/** A group pushed by something that is not a persia-metrics node (no push interval), or a dead node's copy. */
async function putGroup(gateway: RunningPushgateway, path: string, body: string): Promise<void> {
  const response = await request(`${gateway.url}${path}`, { method: 'PUT', body });
  await response.body.text();
  expect(response.statusCode).toBe(200);
}

async function keys(gateway: RunningPushgateway): Promise<string[]> {
  return (await gateway.groups()).map((g) => [g.labels['job'], g.labels['role'] ?? '-', g.labels['instance'] ?? '-'].join('/')).sort();
}

function killed(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

describe.skipIf(!servers)('expire and end-job on real gateways', () => {
  let gateway: RunningPushgateway;
  let second: RunningPushgateway;
  const nodes: Record<string, ChildProcess> = {};

  beforeAll(async () => {
    [gateway, second] = await Promise.all([startPushgateway(), startPushgateway()]);
    nodes['live'] = startNode(gateway, 'exp_a', 'trainer', 'live', 0.4);
    nodes['victim'] = startNode(gateway, 'exp_a', 'trainer', 'victim', 0.4);
    nodes['slow'] = startNode(gateway, 'exp_a', 'server', 'slow', 2);
    nodes['otherJob'] = startNode(gateway, 'exp_b', 'trainer', 'rep_0', 0.4);
    await putGroup(gateway, '/metrics/job/exp_a', 'batch_result 1\n'); // another pusher, in the same job
    await putGroup(gateway, '/metrics/job/exp_keep/instance/x', 'batch_result 2\n'); // a job nobody names
    await waitFor(async () => (await keys(gateway)).length === 6, { timeoutMs: 15_000, intervalMs: 100, what: 'every node pushed' });
  }, 45_000);

  afterAll(async () => {
    await Promise.all(children.map(killed));
    await Promise.all([gateway?.stop(), second?.stop()]);
  });

  it('deletes a SIGKILLed node once it missed 12 pushes, never a live, slow or foreign group; a node back re-creates its group', async () => {
    const janitor = spawn(process.execPath, [CLI_MAIN, 'expire', '--gateway', gateway.address, '--job', 'exp_a', '--after', '1s', '--every', '1s'], {
      env: { PATH: process.env['PATH'] },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(janitor);
    let out = '';
    let err = '';
    janitor.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    janitor.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => janitor.on('exit', (code) => resolve(code)));
    const startedAt = Date.now();

    await killed(nodes['victim'] as ChildProcess);
    await killed(nodes['otherJob'] as ChildProcess);
    const killedAt = Date.now();
    await waitFor(async () => !(await keys(gateway)).includes('exp_a/trainer/victim'), { timeoutMs: 15_000, intervalMs: 100, what: "the killed node's group deleted" });
    // Its threshold is max(1 s, 12 x 0.4 s): not before 4.8 s after its last push (at most 0.4 s before the kill).
    expect(Date.now() - killedAt).toBeGreaterThanOrEqual(4_000);

    // The slow node (2 s interval) is older than --after between two of its pushes for most of this time.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, 6_500 - (Date.now() - startedAt))));
    expect(await keys(gateway)).toEqual(['exp_a/-/-', 'exp_a/server/slow', 'exp_a/trainer/live', 'exp_b/trainer/rep_0', 'exp_keep/-/x']);

    nodes['victim'] = startNode(gateway, 'exp_a', 'trainer', 'victim', 0.4);
    await waitFor(async () => (await keys(gateway)).includes('exp_a/trainer/victim'), { timeoutMs: 15_000, intervalMs: 100, what: 'the node back' });
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await keys(gateway)).toContain('exp_a/trainer/victim');

    janitor.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(err).toContain('SIGTERM: stopping after the sweep in progress');
    const deletions = out.split('\n').filter((line) => / deleted job=/.test(line));
    expect(deletions).toHaveLength(1);
    expect(deletions[0]).toMatch(
      new RegExp(`deleted job="exp_a" role="trainer" instance="victim" on ${gateway.url}: last push [\\d.]+s ago, push interval 0\\.4s, threshold 4\\.8s$`),
    );
    expect(out).toMatch(/swept http:\/\/127\.0\.0\.1:\d+ \(job "exp_a"\): 0 deleted, 4 kept \(1 not a node: no instance, no push interval\)/);
  }, 40_000);

  it('--dry-run deletes nothing and says what would go; without it the group goes', async () => {
    const dry = await runCli(['expire', '--gateway', gateway.address, '--job', 'exp_b', '--after', '1s', '--dry-run', '--json']);
    expect(dry.code).toBe(0);
    const report = JSON.parse(dry.stdout) as {
      dryRun: boolean;
      gateways: Array<{ deletions: Array<{ labels: Record<string, string>; deleted: boolean; pushIntervalSeconds: number }> }>;
    };
    expect(report.dryRun).toBe(true);
    expect(report.gateways[0]?.deletions).toMatchObject([{ labels: { job: 'exp_b', role: 'trainer', instance: 'rep_0' }, deleted: false, pushIntervalSeconds: 0.4 }]);
    expect(await keys(gateway)).toContain('exp_b/trainer/rep_0');

    const real = await runCli(['expire', '--gateway', gateway.address, '--job', 'exp_b', '--after', '1s']);
    expect(real.code).toBe(0);
    expect(real.stdout).toContain('deleted job="exp_b" role="trainer" instance="rep_0"');
    expect(await keys(gateway)).not.toContain('exp_b/trainer/rep_0');
  });

  it('sweeps every replica; one that is down is reported, the others still swept, exit 1', async () => {
    // Groups as a node that died on each replica leaves them (its interval, 0.05 s: threshold max(1 s, 0.6 s)).
    const dead = `# HELP ${INTERVAL.name} ${INTERVAL.help}\n# TYPE ${INTERVAL.name} gauge\n${INTERVAL.name} 0.05\n`; // as nodes push it (the gateway checks)
    await putGroup(gateway, '/metrics/job/exp_r/role/trainer/instance@base64/Lg', dead); // instance ".": only reachable as @base64
    await putGroup(second, '/metrics/job/exp_r/role/trainer/instance/a%20b', dead);
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    const down = `127.0.0.1:${await freePort()}`;
    const result = await runCli(['expire', '--gateway', `${gateway.address},http://${second.address},${down}`, '--job', 'exp_r', '--after', '1s']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`gateway http://${down} not swept: cannot read http://${down}/api/v1/metrics`);
    expect(result.stdout).toContain('deleted job="exp_r" role="trainer" instance="."');
    expect(result.stdout).toContain('deleted job="exp_r" role="trainer" instance="a b"');
    expect((await keys(gateway)).filter((k) => k.startsWith('exp_r'))).toEqual([]);
    expect(await keys(second)).toEqual([]);

    const allDown = await runCli(['expire', '--gateway', down, '--after', '1s', '--json']);
    expect(allDown.code).toBe(1);
    expect(JSON.parse(allDown.stdout)).toMatchObject({ error: { code: 'PERSIA_EXPIRY_FAILED' } });
    expect(allDown.stderr).toContain('no gateway could be read');
  });

  it('end-job deletes every group of that job, live or foreign, and no other job', async () => {
    const dry = await runCli(['end-job', '--job', 'exp_a', '--gateway', gateway.address, '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('4 groups would be deleted');
    expect((await keys(gateway)).filter((k) => k.startsWith('exp_a/'))).toHaveLength(4);

    await Promise.all([nodes['live'], nodes['slow'], nodes['victim']].map((child) => killed(child as ChildProcess)));
    const ended = await runCli(['end-job', '--job', 'exp_a', '--gateway', gateway.address, '--json']);
    expect(ended.code).toBe(0);
    const report = JSON.parse(ended.stdout) as { gateways: Array<{ deletions: Array<{ deleted: boolean }> }> };
    expect(report.gateways[0]?.deletions.map((d) => d.deleted)).toEqual([true, true, true, true]);
    expect(await keys(gateway)).toEqual(['exp_keep/-/x']);

    const again = await runCli(['end-job', '--job', 'exp_a', '--gateway', gateway.address]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('no group of job "exp_a"; nothing to delete (jobs there: "exp_keep")');
  });

  it("end-job's 'still pushing' warning names a pushing node, never one that shut down cleanly (status: stopped)", async () => {
    // A 5 s interval: its last (stopping) push is well within two intervals when end-job runs, as a node
    // of the default 10 s interval is in the minute after it ended.
    const file = join(dir, 'exp-warn.yaml');
    writeFileSync(file, 'PersiaMetricsConfig:\n  job_name: exp_warn\n  push_interval_seconds: 5\n');
    const env = { PERSIA_METRICS_GATEWAY_ADDR: gateway.address };
    const stopped = await runCli(['simulate-node', '--role', 'trainer', '--config', file, '--duration', '1'], { ...env, PERSIA_METRICS_INSTANCE: 'clean' });
    expect(stopped.code).toBe(0);
    const live = startNode(gateway, 'exp_warn', 'trainer', 'pushing', 0.4);
    await waitFor(async () => (await keys(gateway)).includes('exp_warn/trainer/pushing'), { timeoutMs: 15_000, intervalMs: 100, what: 'the live node pushed' });
    const status = JSON.parse((await runCli(['status', '--job', 'exp_warn', '--gateway', gateway.address, '--json'])).stdout) as {
      nodes: Array<{ instance: string; condition: string }>;
    };
    expect(status.nodes.find((node) => node.instance === 'clean')?.condition).toBe('stopped');

    const dry = await runCli(['end-job', '--job', 'exp_warn', '--gateway', gateway.address, '--dry-run']);
    expect(dry.code).toBe(0);
    const warning = dry.stderr.split('\n').find((line) => line.includes('still pushing')) ?? '';
    expect(warning).toContain('instance="pushing"');
    expect(warning).not.toContain('instance="clean"');

    await killed(live);
    expect((await runCli(['end-job', '--job', 'exp_warn', '--gateway', gateway.address])).code).toBe(0);
  });

  it('bad options exit 2 with a message naming the option', { timeout: 60_000 }, async () => {
    // The rest of the option checks (durations, addresses) are unit-tested in test/unit/group-expiry.test.ts.
    const cases: Array<[string[], string]> = [
      [['expire', '--gateway', gateway.address, '--after', 'abc'], "option '--after <duration>' argument 'abc' is invalid. expected a duration such as 90s, 5m"],
      [['expire', '--gateway', gateway.address, '--after', '0', '--json'], 'expected a duration above 0'],
      [['expire', '--after', '5m'], "required option '-g, --gateway <host:port>' not specified"],
      [['end-job', '--gateway', gateway.address], "required option '-j, --job <name>' not specified"],
    ];
    // Two at a time: quicker than one by one, and never a crowd of processes on a busy 2-core machine.
    for (let start = 0; start < cases.length; start += 2) {
      const batch = cases.slice(start, start + 2);
      const results = await Promise.all(batch.map(([args]) => runCli(args, {}, { timeoutMs: 30_000 })));
      batch.forEach(([args, message], index) => {
        expect(results[index]?.code, args.join(' ')).toBe(2);
        expect(results[index]?.stderr, args.join(' ')).toContain(message);
      });
    }
    expect(await keys(gateway)).toEqual(['exp_keep/-/x']);
    for (const help of await Promise.all(['expire', 'end-job'].map((command) => runCli([command, '--help'], {}, { timeoutMs: 30_000 })))) {
      expect(help.code).toBe(0);
      expect(help.stdout).toContain('Exit codes: 0 success, 1 runtime failure, 2 usage or configuration error');
    }
  });
});

/** A dead node's group as it leaves it: its push interval (0.05 s), so its threshold is max(--after, 0.6 s). */
const DEAD_GROUP = `# HELP ${INTERVAL.name} ${INTERVAL.help}\n# TYPE ${INTERVAL.name} gauge\n${INTERVAL.name} 0.05\n`;

/** Runs `expire` in the background as a janitor does; collects its output. */
function startJanitor(args: readonly string[]): { child: ChildProcess; out: () => string; err: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [CLI_MAIN, 'expire', ...args], { env: { PATH: process.env['PATH'] }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, out: () => out, err: () => err, exited };
}

describe.skipIf(!servers)('expire and end-job: what a user running them sees', () => {
  const gateway = usePushgateway();
  afterAll(async () => {
    await Promise.all(children.map(killed));
  });

  it('--every --json with every gateway down still prints one JSON line per sweep, with the error', async () => {
    const down = `127.0.0.1:${await freePort()}`;
    const janitor = startJanitor(['--gateway', down, '--after', '5m', '--every', '1s', '--json']);
    await waitFor(async () => janitor.out().split('\n').filter(Boolean).length >= 2, { timeoutMs: 15_000, intervalMs: 100, what: 'two sweeps reported' });
    janitor.child.kill('SIGINT');
    expect(await janitor.exited).toBe(1);
    const lines = janitor.out().split('\n').filter(Boolean);
    for (const line of lines) {
      expect(JSON.parse(line)).toMatchObject({
        afterSeconds: 300,
        error: { code: 'PERSIA_EXPIRY_FAILED', message: expect.stringContaining(`cannot read http://${down}/api/v1/metrics`) as string },
        gateways: [{ gateway: `http://${down}`, error: { code: 'PERSIA_STATUS_FAILED' } }],
      });
    }
    // The same janitor with a gateway that answers: each sweep's line says error null.
    const up = startJanitor(['--gateway', gateway.address, '--after', '5m', '--every', '1s', '--json']);
    await waitFor(async () => up.out().includes('\n'), { timeoutMs: 15_000, intervalMs: 100, what: 'one sweep reported' });
    up.child.kill('SIGTERM');
    expect(await up.exited).toBe(0);
    expect(JSON.parse(up.out().split('\n')[0] ?? '')).toMatchObject({ error: null, gateways: [{ gateway: gateway.url }] });
  }, 40_000);

  it('a second SIGINT during a sweep that hangs stops at once and says so', async () => {
    // A FAKE gateway that accepts connections and never answers: a real one cannot be made to hang.
    const sockets: Socket[] = [];
    const hung = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve));
    const port = (hung.address() as AddressInfo).port;
    try {
      const janitor = startJanitor(['--gateway', `127.0.0.1:${port}`, '--after', '5m', '--every', '1s', '--timeout', '60']);
      // The sweep is in progress once the fake gateway holds its connection (the janitor handles SIGINT by
      // then); a signal sent earlier, while a loaded machine is still starting node, would end it by default.
      await waitFor(async () => sockets.length > 0, { timeoutMs: 20_000, intervalMs: 50, what: 'the sweep to connect to the hung gateway', details: janitor.err });
      janitor.child.kill('SIGINT');
      await waitFor(async () => janitor.err().includes('stopping after the sweep in progress'), { timeoutMs: 10_000, intervalMs: 50, what: 'the first SIGINT noticed' });
      janitor.child.kill('SIGINT');
      expect(await janitor.exited).toBe(130);
      expect(janitor.err()).toContain('persia-metrics: SIGINT again: stopped at once, without finishing the sweep in progress');
    } finally {
      for (const socket of sockets) socket.destroy();
      hung.close();
    }
  }, 45_000);

  it('a misspelt --job lists the jobs found; 1 group is "1 group"', async () => {
    await putGroup(gateway, '/metrics/job/dlrm_v1.0/instance/x', 'batch_result 1\n');
    const misspelt = await runCli(['expire', '--gateway', gateway.address, '--job', 'dlrm_v1', '--after', '5m']);
    expect(misspelt.code).toBe(0);
    expect(misspelt.stdout).toContain(`swept ${gateway.url} (job "dlrm_v1"): no group of job "dlrm_v1"; nothing to delete (jobs there: "dlrm_v1.0")`);
    const one = await runCli(['end-job', '--job', 'dlrm_v1.0', '--gateway', gateway.address, '--dry-run']);
    expect(one.stdout).toContain(': job "dlrm_v1.0": 1 group would be deleted');
  });

  it('--timeout in fractions of a millisecond is rounded and works; a huge one, or --every / --after below their minimum, exit 2', async () => {
    await putGroup(gateway, '/metrics/job/exp_t/role/trainer/instance/0', DEAD_GROUP);
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    const fraction = await runCli(['expire', '--gateway', gateway.address, '--job', 'exp_t', '--after', '1s', '--timeout', '2.0005']);
    expect(fraction.code, fraction.stderr).toBe(0);
    expect(fraction.stdout).toContain('deleted job="exp_t" role="trainer" instance="0"');
    expect(fraction.stderr).toBe('');
    // What is tested is that a 0.1234 s deadline is taken (it threw ERR_OUT_OF_RANGE before). On a loaded
    // machine one read of the gateway can miss 123 ms: repeated (bounded) while that is the only failure.
    const endJobTiny = () => runCli(['end-job', '--job', 'exp_t', '--gateway', gateway.address, '--timeout', '0.1234']);
    let tiny = await endJobTiny();
    for (let attempt = 1; attempt < 10 && tiny.code !== 0 && tiny.stderr.includes('did not answer within 0.123 s'); attempt += 1) tiny = await endJobTiny();
    expect(tiny.code, tiny.stderr).toBe(0);
    expect(tiny.stderr).not.toContain('ERR_OUT_OF_RANGE');

    const cases: Array<[string[], string]> = [
      [
        ['expire', '--gateway', gateway.address, '--after', '5m', '--timeout', '5000000'],
        "option '--timeout <seconds>' argument '5000000' is invalid. expected a number of seconds from 0.001 to 3600",
      ],
      [['end-job', '--job', 'x', '--gateway', gateway.address, '--timeout', '0.0001'], "option '--timeout <seconds>' argument '0.0001' is invalid"],
      [['expire', '--gateway', gateway.address, '--after', '5m', '--every', '1ms'], "option '--every <duration>' argument '1ms' is invalid. expected a duration of at least 1s"],
      [['expire', '--gateway', gateway.address, '--after', '0.0001ms'], "option '--after <duration>' argument '0.0001ms' is invalid. expected a duration of at least 1s"],
    ];
    for (const [args, message] of cases) {
      const result = await runCli(args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr, args.join(' ')).toContain(message);
    }
    const help = await runCli(['expire', '--help']);
    expect(help.stdout).toContain('--after: 1s to 8760h;');
    expect(help.stdout).toContain('--every: 1s to 576h');
    expect(help.stdout).toContain('--timeout: 0.001 to 3600 seconds');
  }, 60_000);
});

describe.skipIf(!servers || !hasOpenssl())('expire and end-job on a gateway behind TLS and basic auth', () => {
  let gateway: SecuredPushgateway;
  beforeAll(async () => {
    gateway = await startSecuredPushgateway();
  });
  afterAll(async () => {
    await gateway?.stop();
  });

  async function putSecured(path: string, body: string): Promise<void> {
    const agent = new Agent({ connect: { ca: readFileSync(gateway.caFile, 'utf8') } });
    const authorization = `Basic ${Buffer.from(`${TEST_USER}:${TEST_PASSWORD}`).toString('base64')}`;
    const response = await request(`${gateway.address}${path}`, { method: 'PUT', body, dispatcher: agent, headers: { authorization } });
    await response.body.text();
    await agent.close();
    expect(response.statusCode).toBe(200);
  }

  it('uses the nodes’ credentials from the environment, or a password file and CA from --config', async () => {
    await putSecured('/metrics/job/sec_a/role/trainer/instance/0', DEAD_GROUP);
    await putSecured('/metrics/job/sec_b/role/trainer/instance/0', DEAD_GROUP);
    await new Promise((resolve) => setTimeout(resolve, 1_200));

    const without = await runCli(['expire', '--gateway', gateway.address, '--after', '1s']);
    expect(without.code).toBe(1);
    expect(without.stderr).toContain('no gateway could be read');

    const env = { PERSIA_METRICS_BASIC_AUTH_USERNAME: TEST_USER, PERSIA_METRICS_BASIC_AUTH_PASSWORD: TEST_PASSWORD, PERSIA_METRICS_TLS_CA_FILE: gateway.caFile };
    const expired = await runCli(['expire', '--gateway', gateway.address, '--job', 'sec_a', '--after', '1s'], env);
    expect(expired.code, expired.stderr).toBe(0);
    expect(expired.stdout).toContain('deleted job="sec_a" role="trainer" instance="0"');

    const passwordFile = join(dir, 'gateway-password');
    writeFileSync(passwordFile, `${TEST_PASSWORD}\n`);
    const config = join(dir, 'secured.yaml');
    writeFileSync(config, `PersiaMetricsConfig:\n  basic_auth_password_file: ${passwordFile}\n  tls_ca_file: ${gateway.caFile}\n`);
    const ended = await runCli(['end-job', '--job', 'sec_b', '--gateway', gateway.address, '--config', config], { PERSIA_METRICS_BASIC_AUTH_USERNAME: TEST_USER });
    expect(ended.code, ended.stderr).toBe(0);
    expect(ended.stdout).toContain('job "sec_b": 1 of 1 group deleted');

    const groups = JSON.parse((await gateway.get('/api/v1/metrics')).body) as { data: unknown[] };
    expect(groups.data).toEqual([]);
  }, 40_000);

  it('status reads the secured gateway with the same credentials (found by a README-only session: 401)', async () => {
    await putSecured('/metrics/job/sec_status/role/server/instance/rep_0', DEAD_GROUP);
    const without = await runCli(['status', '--job', 'sec_status', '--gateway', gateway.address]);
    expect(without.code).toBe(1);
    const env = { PERSIA_METRICS_BASIC_AUTH_USERNAME: TEST_USER, PERSIA_METRICS_BASIC_AUTH_PASSWORD: TEST_PASSWORD, PERSIA_METRICS_TLS_CA_FILE: gateway.caFile };
    const status = await runCli(['status', '--job', 'sec_status', '--gateway', gateway.address], env);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/server\s+rep_0/);
  }, 40_000);
});
