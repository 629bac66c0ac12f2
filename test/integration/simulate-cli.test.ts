/**
 * `persia-metrics simulate` as a user runs it: bad `--gateway`, `--slow` and `--hang` values are usage errors naming the
 * option (exit 2, no node started), and a run whose every push failed says so and exits 1. Needs
 * `npm run build` first.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/local-stack/free-port.js';
import { execFileSync } from 'node:child_process';
import { startPushgateway } from '../../src/local-stack/pushgateway-process.js';
import { requireBinary } from '../helpers/binaries.js';
import { CLI_MAIN, runCli } from '../helpers/cli-runner.js';
import { parseExposition } from '../helpers/parse-exposition.js';
import { waitFor } from '../../src/local-stack/wait-for.js';

const dir = mkdtempSync(join(tmpdir(), 'persia-simulate-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `simulate ARGS` of `job` pushing every second, in the background: its process, its stderr so far, its exit code. */
function spawnSimulate(job: string, args: readonly string[]): { child: ReturnType<typeof spawn>; stderr: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [CLI_MAIN, 'simulate', ...args], {
    cwd: dir,
    env: { PATH: process.env['PATH'], PERSIA_METRICS_JOB_NAME: job, PERSIA_METRICS_PUSH_INTERVAL_SECONDS: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stderr: () => err, exited };
}

const simulate = (args: string[], timeoutMs?: number) => runCli(['simulate', ...args], {}, { cwd: dir, ...(timeoutMs === undefined ? {} : { timeoutMs }) });

describe('simulate: option errors name the option', () => {
  it('--gateway "" is an error about --gateway, not about a config key', async () => {
    const { code, stderr } = await simulate(['--gateway', '', '--duration', '1']);
    expect(code).toBe(2);
    expect(stderr).toContain("option '--gateway <host:port>' argument '' is invalid");
    expect(stderr).toContain('expected host:port');
    expect(stderr).not.toContain('gatewayAddr');
  });

  it('--gateway with a path is refused the same way', async () => {
    const { code, stderr } = await simulate(['--gateway', '127.0.0.1:9091/metrics', '--duration', '1']);
    expect(code).toBe(2);
    expect(stderr).toContain("option '--gateway <host:port>'");
  });

  it.each([
    ['an unknown role', 'worker/rep_0=3', 'unknown role "worker"', 'expected one of trainer, middleware, server'],
    ['a factor that is not a number', 'middleware/rep_0=fast', 'factor "fast"', 'not a number above 1'],
    ['a zero factor', 'middleware/rep_0=0', 'factor "0"', 'not a number above 1'],
    ['a negative factor', 'server/rep_0=-2', 'factor "-2"', 'not a number above 1'],
    ['no factor', 'server/rep_0', 'expected ROLE/INSTANCE=FACTOR', 'found "server/rep_0"'],
    // 1e9 x the 20 ms step overflowed Node's timer, which then fired at once: the "slow" node ran faster.
    ['a factor above 1000', 'middleware/rep_0=1e9', 'factor "1e9"', 'at most 1000'],
    // A straggler is slower than its peers: 0.5 made the node faster, 1 made it a peer.
    ['a factor below 1 (a faster node)', 'middleware/rep_0=0.5', 'factor "0.5"', 'not a number above 1'],
    ['a factor of 1 (no slowdown)', 'middleware/rep_0=1', 'factor "1"', 'not a number above 1'],
    // One number reading for --slow and --hang (decimal notation): --hang refused 1e1, --slow took it.
    ['exponent notation', 'middleware/rep_0=1e1', 'factor "1e1"', 'not a number above 1'],
  ])('--slow with %s exits 2', async (_, value, first, second) => {
    const { code, stderr } = await simulate(['--slow', value, '--duration', '1']);
    expect(code).toBe(2);
    expect(stderr).toContain("option '--slow <spec>'");
    expect(stderr).toContain(first);
    expect(stderr).toContain(second);
  });

  it('--slow naming a node that is not simulated exits 2 before any node starts, listing the simulated ones', async () => {
    const { code, stderr } = await simulate(['--middleware', '2', '--slow', 'middleware/rep_2=3', '--duration', '1']);
    expect(code).toBe(2);
    expect(stderr).toContain('--slow middleware/rep_2=3: rep_2 is not a simulated node (the simulated middleware nodes are rep_0, rep_1)');
    expect(stderr).not.toContain('nodes of job');
    const none = await simulate(['--servers', '0', '--slow', 'server/rep_0=3', '--duration', '1']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('no server node is simulated');
  });

  it.each([
    ['an unknown role', 'worker/rep_0@3', 'unknown role "worker"', 'expected one of trainer, middleware, server'],
    ['seconds that are not a number', 'middleware/rep_0@soon', '"soon" in "middleware/rep_0@soon"', 'not a number of seconds from 0 to 2147483'],
    ['negative seconds', 'middleware/rep_0@-1', '"-1"', 'not a number of seconds'],
    ['seconds past the timer limit', 'middleware/rep_0@3000000', '"3000000"', 'from 0 to 2147483'],
    ['no instance', 'server/@3', 'no instance in "server/@3"', 'ROLE/INSTANCE[@SECONDS]'],
    ['exponent notation', 'middleware/rep_0@1e1', '"1e1" in "middleware/rep_0@1e1"', 'not a number of seconds'],
  ])('--hang with %s exits 2', async (_, value, first, second) => {
    const { code, stderr } = await simulate(['--hang', value, '--duration', '1']);
    expect(code).toBe(2);
    expect(stderr).toContain("option '--hang <spec>'");
    expect(stderr).toContain(first);
    expect(stderr).toContain(second);
  });

  it('--hang naming a node that is not simulated exits 2 before any node starts, as does the same node twice', async () => {
    const { code, stderr } = await simulate(['--middleware', '2', '--hang', 'middleware/rep_2@5', '--duration', '1']);
    expect(code).toBe(2);
    expect(stderr).toContain('--hang middleware/rep_2: rep_2 is not a simulated node (the simulated middleware nodes are rep_0, rep_1)');
    expect(stderr).not.toContain('nodes of job');
    const twice = await simulate(['--hang', 'server/rep_0', '--hang', 'server/rep_0@9', '--duration', '1']);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toContain('--hang server/rep_0 is given twice');
  });
});

describe('simulate and demo: usage errors before anything starts', () => {
  it('--duration above the timer limit exits 2 with the maximum (it used to stop at once and exit 0)', async () => {
    const { code, stderr } = await simulate(['--duration', '3000000']);
    expect(code).toBe(2);
    expect(stderr).toContain("option '--duration <seconds>' argument '3000000' is invalid. expected at most 2147483 seconds");
  });

  it('no node at all is a usage error', async () => {
    const { code, stderr } = await simulate(['--trainers', '0', '--middleware', '0', '--servers', '0', '--duration', '1']);
    expect(code).toBe(2);
    expect(stderr).toContain('expected at least one node to simulate');
  });

  it('demo refuses a --hang node that is not simulated before starting any server', async () => {
    const { code, stdout, stderr } = await runCli(['demo', '--hang', 'server/rep_7@10', '--duration', '5'], {}, { cwd: dir });
    expect(code).toBe(2);
    expect(stderr).toContain('--hang server/rep_7: rep_7 is not a simulated node (the simulated server nodes are rep_0, rep_1)');
    expect(stdout).not.toContain('View:');
  });

  it('demo refuses a --slow node that is not simulated before starting any server', async () => {
    const { code, stdout, stderr } = await runCli(['demo', '--slow', 'middleware/rep_5=3', '--duration', '5'], {}, { cwd: dir });
    expect(code).toBe(2);
    expect(stderr).toContain('--slow middleware/rep_5=3: rep_5 is not a simulated node (the simulated middleware nodes are rep_0, rep_1)');
    expect(stdout).not.toContain('View:');
    expect(stdout).not.toContain('Pushgateway:');
  });

  it('--help states the limits', async () => {
    const { stdout } = await simulate(['--help']);
    expect(stdout.replace(/\s+/g, ' ')).toContain('FACTOR at most 1000');
    expect(stdout.replace(/\s+/g, ' ')).toContain('at most 2147483');
    expect(stdout).toContain('At least one node');
    expect(stdout).toContain('trainers record no time cost');
  });
});

describe.skipIf(requireBinary('prometheus-pushgateway') === undefined)('simulate: a slow trainer', () => {
  it('runs, with a warning (even under --quiet) that no slowdown score will show it', async () => {
    const gateway = await startPushgateway();
    try {
      const { code, stderr } = await simulate(
        ['--gateway', gateway.address, '--trainers', '1', '--middleware', '0', '--servers', '0', '--slow', 'trainer/rep_0=3', '--duration', '3', '--quiet'],
        40_000,
      );
      expect(code, stderr).toBe(0);
      expect(stderr).toContain('simulate: warning: --slow trainer/rep_0: trainers record no time cost, so no slowdown score shows a slow trainer');
      expect((await gateway.groups()).map((group) => group.labels['role'])).toEqual(['trainer']);
    } finally {
      await gateway.stop();
    }
  }, 50_000);
});

describe('simulate: a gateway down for the whole run', () => {
  it('exits 1 and says that no push reached the gateway, even with --quiet', async () => {
    // Nothing listens there. A few seconds: each node must be up (and have tried) before the stop reaches it.
    const port = await freePort();
    const { code, stderr } = await simulate(['--gateway', `127.0.0.1:${port}`, '--trainers', '1', '--middleware', '1', '--servers', '0', '--duration', '6', '--quiet'], 40_000);
    expect(code, stderr).toBe(1);
    expect(stderr).toContain(`simulate: error: no push reached the gateway 127.0.0.1:${port}`);
    expect(stderr).toContain('ECONNREFUSED');
  }, 50_000);
});

describe('simulate: no push reached the gateway, however the run ended', () => {
  it('--duration 1 against a closed port exits 1 (it said "0 pushes ok, 0 failed" and exited 0)', async () => {
    const port = await freePort();
    const { code, stderr } = await simulate(['--gateway', `127.0.0.1:${port}`, '--trainers', '1', '--middleware', '0', '--servers', '0', '--duration', '1'], 40_000);
    expect(code, stderr).toBe(1);
    expect(stderr).toContain(`simulate: error: no push reached the gateway 127.0.0.1:${port}`);
  }, 50_000);

  it('Ctrl-C twice against a gateway that never answers: the push cut short is a failure, exit 1', async () => {
    // A FAKE gateway that accepts connections and never answers: a real one cannot be made to hang.
    const sockets: Socket[] = [];
    const hung = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve));
    const port = (hung.address() as AddressInfo).port;
    const child = spawn(process.execPath, [CLI_MAIN, 'simulate', '--gateway', `127.0.0.1:${port}`, '--trainers', '1', '--middleware', '0', '--servers', '0'], {
      cwd: dir,
      env: { PATH: process.env['PATH'] },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      // The node has told the supervisor of its attempt (the 5 s progress line), which hangs: it is not up,
      // since no push of it lands.
      await waitFor(async () => sockets.length > 0 && err.includes('0/1 nodes up') && err.includes('1 in flight'), {
        timeoutMs: 30_000,
        intervalMs: 50,
        what: 'the node reporting its hung push',
        details: () => err,
      });
      child.kill('SIGINT');
      await waitFor(async () => err.includes('again to force'), { timeoutMs: 10_000, intervalMs: 50, what: 'the first Ctrl-C noticed', details: () => err });
      child.kill('SIGINT');
      expect(await exited, err).toBe(1);
      expect(err).toMatch(/all nodes stopped\. 1\/1 nodes stopped as asked, \d+ batches, 0 pushes ok, [1-9]\d* failed/);
      expect(err).toContain(`simulate: error: no push reached the gateway 127.0.0.1:${port}`);
    } finally {
      child.kill('SIGKILL');
      for (const socket of sockets) socket.destroy();
      hung.close();
    }
  }, 60_000);
});

describe.skipIf(requireBinary('prometheus-pushgateway') === undefined)('simulate: a node killed while the job runs', () => {
  it('is no longer counted up, the progress and final lines say it died, and healthy nodes push no NaN', async () => {
    // Found by a README-only session: after a SIGKILL of one server node, every line still said "4/4 nodes up".
    // Pushes every second, so a node is up (its pushes land) within the first progress line.
    const gateway = await startPushgateway();
    const { child, stderr, exited } = spawnSimulate('sim_killed', ['--gateway', gateway.address, '--trainers', '1', '--middleware', '1', '--servers', '2', '--duration', '60']);
    try {
      await waitFor(async () => stderr().includes('4/4 nodes up'), { timeoutMs: 30_000, intervalMs: 100, what: 'every node up', details: stderr });
      // Healthy simulated nodes record no NaN gradient (the NaN alerts fired on every one of them in the demo).
      const samples = [...parseExposition(await gateway.metricsText()).samples].filter(([key]) => /^(nan_count|nan_grad_skipped)\{/.test(key));
      expect(samples.length, 'the NaN series exist, at 0').toBeGreaterThanOrEqual(8);
      expect(samples.filter(([, value]) => value !== 0)).toEqual([]);

      const server =
        execFileSync('pgrep', ['-P', String(child.pid), '-f', 'simulate-node --role server'], { encoding: 'utf8' })
          .trim()
          .split('\n')[0] ?? '';
      const instance = /rep_\d+/.exec(
        readFileSync(`/proc/${server}/environ`, 'utf8')
          .split('\0')
          .find((entry) => entry.startsWith('PERSIA_METRICS_INSTANCE=')) ?? '',
      )?.[0];
      process.kill(Number(server), 'SIGKILL');
      const mark = stderr().length;
      await waitFor(async () => stderr().slice(mark).includes(`3/4 nodes up`), { timeoutMs: 20_000, intervalMs: 100, what: 'the killed node no longer up', details: stderr });
      expect(stderr().slice(mark)).toContain(`; died: server/${instance} (SIGKILL)`);
      child.kill('SIGINT');
      expect(await exited, stderr()).toBe(1);
      expect(stderr()).toMatch(new RegExp(`all nodes stopped\\. 3/4 nodes stopped as asked, .*; died: server/${instance} \\(SIGKILL\\)`));
      expect(stderr()).not.toMatch(/all nodes stopped\. .*4\/4/);
    } finally {
      child.kill('SIGKILL');
      await gateway.stop();
    }
  }, 80_000);
});

describe.skipIf(requireBinary('prometheus-pushgateway') === undefined)('simulate: replayed PersiaML nodes are nodes of the cluster', () => {
  it('are counted and up while their pushes land, and one killed is said to have died', async () => {
    // Found by a breaker: `--persiaml-workers 3 --persiaml-servers 2` said "4 nodes … 4/4 nodes up" while 9 pushed.
    const gateway = await startPushgateway();
    const { child, stderr, exited } = spawnSimulate('sim_persiaml', [
      '--gateway',
      gateway.address,
      '--trainers',
      '1',
      '--middleware',
      '1',
      '--servers',
      '1',
      '--persiaml-workers',
      '2',
      '--persiaml-servers',
      '1',
      '--duration',
      '60',
    ]);
    try {
      await waitFor(async () => stderr().includes('6/6 nodes up'), { timeoutMs: 30_000, intervalMs: 100, what: 'every node up', details: stderr });
      expect(stderr()).toContain('simulate: 6 nodes of job "sim_persiaml"');
      const groups = (await gateway.metricsText()).match(/^push_time_seconds\{[^}]*job="sim_persiaml"[^}]*\}/gm) ?? [];
      expect(groups.length, 'six groups push').toBe(6);

      const worker =
        execFileSync('pgrep', ['-P', String(child.pid), '-f', 'simulate-node --persiaml embedding-worker'], { encoding: 'utf8' })
          .trim()
          .split('\n')[0] ?? '';
      const replica = /REPLICA_INDEX=(\d+)/.exec(readFileSync(`/proc/${worker}/environ`, 'utf8').split('\0').join('\n'))?.[1];
      process.kill(Number(worker), 'SIGKILL');
      const mark = stderr().length;
      await waitFor(async () => stderr().slice(mark).includes('5/6 nodes up'), { timeoutMs: 20_000, intervalMs: 100, what: 'the killed node no longer up', details: stderr });
      expect(stderr().slice(mark)).toContain(`; died: embedding-worker/rep_${replica} (SIGKILL)`);
      child.kill('SIGINT');
      expect(await exited, stderr()).toBe(1);
      expect(stderr()).toMatch(new RegExp(`all nodes stopped\\. 5/6 nodes stopped as asked, .*; died: embedding-worker/rep_${replica} \\(SIGKILL\\)`));
    } finally {
      child.kill('SIGKILL');
      await gateway.stop();
    }
  }, 80_000);
});
