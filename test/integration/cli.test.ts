/**
 * The `persia-metrics` command as a user runs it: the built binary, real exit codes, real output.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPTION_TABLE } from '../../src/config/options.js';
import { startPushgateway, type RunningPushgateway } from '../../src/local-stack/pushgateway-process.js';
import { waitFor } from '../../src/local-stack/wait-for.js';
import { requireBinary } from '../helpers/binaries.js';

const MAIN = join(import.meta.dirname, '../../dist/src/cli/main.js');
const dir = mkdtempSync(join(tmpdir(), 'persia-cli-'));
const execFileAsync = promisify(execFile);

async function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, [MAIN, ...args], { env: { PATH: process.env['PATH'], ...env }, timeout: 20_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('persia-metrics CLI', () => {
  it('every command answers --help with exit 0 and documents the exit codes', async () => {
    for (const command of ['', 'check', 'explain', 'simulate', 'simulate-node', 'demo', 'init', 'discover', 'status']) {
      const { code, stdout } = await cli(command === '' ? ['--help'] : [command, '--help']);
      expect(code, command).toBe(0);
      expect(stdout, command).toContain('Usage: persia-metrics');
      expect(stdout, command).toContain('Exit codes: 0 success, 1 runtime failure, 2 usage or configuration error');
    }
  });

  it('an unknown command or a bad option value is a usage error (exit 2)', async () => {
    expect((await cli(['bogus'])).code).toBe(2);
    const bad = await cli(['simulate', '--trainers', 'many']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('expected a whole number');
  });

  it('check prints every effective value with its source (default / file / env)', async () => {
    const config = file('ok.yaml', 'PersiaMetricsConfig:\n  enable_metrics: true\n  job_name: cli_job\n');
    const { code, stdout } = await cli(['check', '--config', config], { PERSIA_METRICS_GATEWAY_ADDR: 'gw.example:9091' });
    expect(code).toBe(0);
    expect(stdout).toMatch(new RegExp(`job_name\\s+cli_job\\s+file\\s+${config}:3`));
    expect(stdout).toMatch(/gateway_addr\s+gw\.example:9091\s+env\s+PERSIA_METRICS_GATEWAY_ADDR/);
    expect(stdout).toMatch(/push_interval_seconds\s+10\s+default/);
    const json = JSON.parse((await cli(['check', '--config', config, '--json'])).stdout) as { options: { key: string; source: string }[] };
    expect(json.options.find((option) => option.key === 'job_name')?.source).toBe('file');
  });

  it('check exits 2 with one readable line naming file, line, key, expected and found', async () => {
    const config = file('misspelled.yaml', 'PersiaMetricsConfig:\n  enable_metrics: true\n  push_interval_sec: 10\n');
    const { code, stderr, stdout } = await cli(['check', '--config', config]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toEqual([
      `persia-metrics: error: ${config}:3: PersiaMetricsConfig.push_interval_sec: expected a known option, found unknown key "push_interval_sec" (did you mean "push_interval_seconds"?)`,
    ]);
    const missing = await cli(['check', '--config', join(dir, 'absent.yaml')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('absent.yaml: no such file');
  });

  it('check reads the secret files a node would read, and never prints the secret', async () => {
    const config = file('auth.yaml', 'PersiaMetricsConfig:\n  job_name: auth_job\n');
    const password = file('password.txt', 'hunter2\n');
    const ok = await cli(['check', '--config', config], { PERSIA_METRICS_BASIC_AUTH_USERNAME: 'node', PERSIA_METRICS_BASIC_AUTH_PASSWORD_FILE: password });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('(Basic auth)');
    expect(ok.stdout).not.toContain('hunter2');
    const missing = await cli(['check', '--config', config], { PERSIA_METRICS_BASIC_AUTH_USERNAME: 'node', PERSIA_METRICS_BASIC_AUTH_PASSWORD_FILE: join(dir, 'no-password.txt') });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no-password.txt: secret file cannot be read (ENOENT)');
  });

  it('explain lists every option of the table with its env var', async () => {
    const { code, stdout } = await cli(['explain']);
    expect(code).toBe(0);
    for (const spec of OPTION_TABLE) {
      expect(stdout).toContain(spec.key);
      if (spec.env) expect(stdout).toContain(spec.env);
    }
    const json = JSON.parse((await cli(['explain', '--json'])).stdout) as unknown[];
    expect(json).toHaveLength(OPTION_TABLE.length);
  });
});

const servers = requireBinary('prometheus-pushgateway') !== undefined;

describe.skipIf(!servers)('persia-metrics simulate with a real gateway', () => {
  let gateway: RunningPushgateway;
  beforeAll(async () => {
    gateway = await startPushgateway();
  });
  afterAll(async () => {
    await gateway?.stop();
  });

  it('Ctrl-C once stops every node gracefully: final pushes land, exit 0', async () => {
    const config = file('sim.yaml', 'PersiaMetricsConfig:\n  job_name: ctrl_c\n  push_interval_seconds: 60\n');
    // Interval 60 s: only the first push and the final push on shutdown can land during this test.
    const child = spawn(process.execPath, [MAIN, 'simulate', '--config', config, '--gateway', gateway.address, '--trainers', '1', '--middleware', '1', '--servers', '1'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await waitForGroups(gateway, 'ctrl_c', 3);
    const firstPush = await stepCounts(gateway, 'ctrl_c');
    await new Promise((resolve) => setTimeout(resolve, 500));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(stderr).toContain('stopping nodes gracefully');
    // The final push carries the batches recorded after the first push.
    const finalPush = await stepCounts(gateway, 'ctrl_c');
    expect(finalPush).toBeGreaterThan(firstPush);
  });
});

async function waitForGroups(gateway: RunningPushgateway, job: string, count: number): Promise<void> {
  await waitFor(async () => (await gateway.groups()).filter((group) => group.labels['job'] === job).length >= count, {
    timeoutMs: 10_000,
    intervalMs: 100,
    what: `the gateway to hold ${count} groups of job ${job}`,
  });
}

/** Sum of the lookup_rpc_time_cost observations the middleware has pushed (one per simulated batch). */
async function stepCounts(gateway: RunningPushgateway, job: string): Promise<number> {
  const line = (await gateway.metricsText()).split('\n').find((text) => text.startsWith('lookup_rpc_time_cost_count{') && text.includes(`job="${job}"`));
  return Number(line?.split(' ').pop() ?? 0);
}
