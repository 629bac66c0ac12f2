/**
 * The `persia-metrics` command as a user runs it: the built binary, real exit codes, real output.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OPTION_TABLE } from '../../src/config/options.js';
import { PERSIAML_EXAMPLE } from '../unit/config/persiaml-example.js';
import type { RunningPushgateway } from '../../src/local-stack/pushgateway-process.js';
import { waitFor } from '../../src/local-stack/wait-for.js';
import { requireBinary } from '../helpers/binaries.js';
import { CLI_MAIN as MAIN, type CliResult, runCli } from '../helpers/cli-runner.js';
import { usePushgateway } from '../helpers/pushgateway-fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'persia-cli-'));

function cli(args: string[], env: NodeJS.ProcessEnv = {}, cwd = dir): Promise<CliResult> {
  return runCli(args, env, { cwd });
}

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('persia-metrics CLI', () => {
  it('every command answers --help with exit 0 and documents the exit codes', async () => {
    for (const command of ['', 'check', 'explain', 'simulate', 'simulate-node', 'demo', 'init', 'discover', 'status', 'expire', 'end-job', 'view']) {
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

interface CheckJson {
  file: string | null;
  fileFrom: string | null;
  options: { key: string; value: unknown; source: string; from: string | null }[];
  instance: { value: string; from: string };
  groupingPath: string;
  warnings: string[];
}

function jsonOf<T>(stdout: string): T {
  return JSON.parse(stdout) as T;
}

describe('persia-metrics CLI: usage and --json (issue 8 rough edges)', () => {
  it('with no command: a usage error, exit 2, the help on stderr and nothing on stdout', async () => {
    const { code, stdout, stderr } = await cli([]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain('Usage: persia-metrics');
    expect(stderr).toContain('persia-metrics: error: no command given');
  });

  it('help with a misspelt command names it and the closest command, exit 2 (found by a README-only session)', async () => {
    const { code, stderr } = await cli(['help', 'stauts']);
    expect(code).toBe(2);
    expect(stderr).toContain("persia-metrics: error: unknown command 'stauts' (did you mean status?)");
    expect(stderr).not.toContain('no command given');
    const json = await cli(['help', 'stauts', '--json']);
    expect(json.code).toBe(2);
    expect(jsonOf<{ error: { message: string } }>(json.stdout).error.message).toBe("unknown command 'stauts' (did you mean status?)");
    expect((await cli(['help', 'status'])).code).toBe(0);
  });

  it('check --json: typed values, null for unset, where each came from, and the warnings', async () => {
    const config = file('typed.yaml', 'PersiaMetricsConfig:\n  job_name: typed_job\n  push_interval_seconds: 15\n');
    const { code, stdout, stderr } = await cli(['check', '--config', config, '--json'], { PERSIA_METRICS_GATEWAY_ADR: 'typo:9091' });
    expect(code, stderr).toBe(0);
    const json = jsonOf<CheckJson>(stdout);
    const value = (key: string): unknown => json.options.find((option) => option.key === key)?.value;
    expect(value('enable_metrics')).toBe(true);
    expect(value('push_interval_seconds')).toBe(15);
    expect(value('push_retries')).toBe(2);
    expect(value('gzip')).toBe(false);
    expect(value('replica_index')).toBeNull();
    expect(value('job_name')).toBe('typed_job');
    expect(json.options.find((option) => option.key === 'gzip')?.from).toBeNull();
    expect(json.file).toBe(config);
    expect(json.fileFrom).toBe('--config');
    expect(json.warnings).toEqual(['environment variable PERSIA_METRICS_GATEWAY_ADR is not a persia-metrics option and is ignored (did you mean PERSIA_METRICS_GATEWAY_ADDR?)']);
    expect(stderr).toBe(''); // under --json the warnings are in the document
  });

  it('explain --json: typed defaults and null where there is no default or variable', async () => {
    const json = jsonOf<{ key: string; default: unknown; env: string | null }[]>((await cli(['explain', '--json'])).stdout);
    expect(json.find((row) => row.key === 'enable_metrics')?.default).toBe(true);
    expect(json.find((row) => row.key === 'push_interval_seconds')?.default).toBe(10);
    expect(json.find((row) => row.key === 'replica_index')?.default).toBeNull();
  });

  it.each([
    ['check, bad config file', ['check', '--config', 'MISSPELT'], {}, 2, 'PERSIA_CONFIG_INVALID', 'did you mean "push_interval_seconds"'],
    ['check, bad variable', ['check'], { REPLICA_INDEX: '0x10' }, 2, 'PERSIA_CONFIG_INVALID', 'environment variable REPLICA_INDEX'],
    ['status, gateway down', ['status', '--job', 'j', '--gateway', '127.0.0.1:1'], {}, 1, 'PERSIA_STATUS_FAILED', 'ECONNREFUSED'],
    ['status, bad address', ['status', '--job', 'j', '--gateway', 'ftp://gw:1'], {}, 2, 'PERSIA_USAGE', 'scheme "ftp"'],
    ['status, empty gateway', ['status', '--job', 'j', '--gateway', ''], {}, 2, 'PERSIA_USAGE', 'an empty address'],
    ['status, empty job', ['status', '--job', ' ', '--gateway', '127.0.0.1:1'], {}, 2, 'PERSIA_DEPLOY_USAGE', '--job is empty'],
    // One --gateway parser for every command: the same bad value is the same error (expire, end-job and repair said PERSIA_DEPLOY_USAGE).
    ['expire, bad address', ['expire', '--gateway', 'ftp://gw:1', '--after', '5m'], {}, 2, 'PERSIA_USAGE', 'scheme "ftp"'],
    ['end-job, bad address', ['end-job', '--job', 'j', '--gateway', 'ftp://gw:1'], {}, 2, 'PERSIA_USAGE', 'scheme "ftp"'],
    ['repair, bad address', ['repair', '--gateway', 'ftp://gw:1'], {}, 2, 'PERSIA_USAGE', 'scheme "ftp"'],
    ['view, bad address', ['view', '--job', 'j', '--gateway', 'ftp://gw:1'], {}, 2, 'PERSIA_USAGE', 'scheme "ftp"'],
    ['init, empty dir', ['init', '--job', 'j', '--dir', ''], {}, 2, 'PERSIA_USAGE', 'expected a path, found an empty value'],
    ['status, bad config file', ['status', '--config', 'MISSPELT'], {}, 2, 'PERSIA_CONFIG_INVALID', 'did you mean "push_interval_seconds"'],
    ['discover, no engine', ['discover', '--print'], { DOCKER_HOST: 'unix:///nonexistent/docker.sock' }, 1, 'PERSIA_DISCOVERY_FAILED', 'cannot list containers'],
    ['explain, unknown option', ['explain', '--bogus'], {}, 2, 'PERSIA_USAGE', "unknown option '--bogus'"],
    // `check --config --json`: the flag is not taken as the file's path (found by a new-user session).
    ['check, --config without its path', ['check', '--config'], {}, 2, 'PERSIA_USAGE', 'expected a path, found the option "--json"'],
  ])('--json error (%s): {"error":{code,message}} on stdout, the one line on stderr, exit code unchanged', async (_name, args, env, exit, errorCode, part) => {
    const misspelt = file('json-misspelt.yaml', 'PersiaMetricsConfig:\n  push_interval_sec: 10\n');
    const { code, stdout, stderr } = await cli([...args.map((arg) => (arg === 'MISSPELT' ? misspelt : arg)), '--json'], env);
    expect(code, stderr).toBe(exit);
    const json = jsonOf<{ error: { code: string; message: string } }>(stdout);
    expect(Object.keys(json)).toEqual(['error']);
    expect(json.error.code).toBe(errorCode);
    expect(json.error.message).toContain(part);
    expect(stderr).toContain(part);
  });
});

describe('persia-metrics check resolves what a node would (issue 8 item 10 and rough edges)', () => {
  it('without --config and without $PERSIA_GLOBAL_CONFIG: no file needed, defaults + environment, and says so', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'persia-cli-nofile-'));
    const { code, stdout, stderr } = await cli(['check'], { PERSIA_METRICS_JOB_NAME: 'env_only' }, empty);
    expect(code, stderr).toBe(0);
    expect(stdout).toContain('no config file (no --config, $PERSIA_GLOBAL_CONFIG unset): defaults + environment');
    expect(stdout).toMatch(/job_name\s+env_only\s+env\s+PERSIA_METRICS_JOB_NAME/);
    // The node's pid is not check's: the instance is shown with a placeholder, never a pid.
    expect(stdout).toContain(`instance: ${hostname()}_<pid of the node>`);
    expect(stdout).toContain(`/metrics/job/env_only/role/trainer/instance/${hostname()}_<pid of the node>`);
    expect(stdout).not.toMatch(new RegExp(`${hostname()}_\\d+`));
    const json = jsonOf<CheckJson>((await cli(['check', '--json'], {}, empty)).stdout);
    expect(json.file).toBeNull();
    expect(json.fileFrom).toBeNull();
    expect(json.instance).toEqual({ value: `${hostname()}_<pid of the node>`, from: 'hostname_pid' });
  });

  it('reads $PERSIA_GLOBAL_CONFIG like a node, and says that is where the file came from', async () => {
    const config = file('from-env.yaml', 'PersiaMetricsConfig:\n  job_name: via_variable\n');
    const { code, stdout } = await cli(['check'], { PERSIA_GLOBAL_CONFIG: config, REPLICA_INDEX: '2' });
    expect(code).toBe(0);
    expect(stdout).toContain(`${config} (from $PERSIA_GLOBAL_CONFIG): OK`);
    expect(stdout).toContain('/metrics/job/via_variable/role/trainer/instance/rep_2');
    expect(jsonOf<CheckJson>((await cli(['check', '--json'], { PERSIA_GLOBAL_CONFIG: config })).stdout).fileFrom).toBe('PERSIA_GLOBAL_CONFIG');
  });

  it("PersiaML's example global_config.yaml passes, with one warning saying how push_interval_sec was read", async () => {
    const config = file('persiaml_example.yaml', PERSIAML_EXAMPLE);
    const { code, stdout, stderr } = await cli(['check', '--config', config]);
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(new RegExp(`push_interval_seconds\\s+10\\s+file\\s+${config}:4`));
    expect(stderr.trim().split('\n')).toEqual([
      `persia-metrics: warning: ${config}:4: common_config.metrics_config.push_interval_sec is read as push_interval_seconds: 10 ` +
        "(PersiaML's example spelling, which PersiaML itself ignores); rename it to push_interval_seconds to silence this warning",
    ]);
  });

  it('warns about a misspelt variable and a push timeout longer than the interval, on stderr', async () => {
    const { code, stderr } = await cli(['check'], { PERSIA_METRICS_PUSH_INTERVAL: '2', PERSIA_METRICS_PUSH_TIMEOUT_SECONDS: '30' });
    expect(code).toBe(0);
    expect(stderr).toContain(
      'persia-metrics: warning: environment variable PERSIA_METRICS_PUSH_INTERVAL is not a persia-metrics option and is ignored (did you mean PERSIA_METRICS_PUSH_INTERVAL_SECONDS?)',
    );
    expect(stderr).toContain('persia-metrics: warning: push_timeout_seconds 30 (PERSIA_METRICS_PUSH_TIMEOUT_SECONDS) is longer than push_interval_seconds 10 (default)');
  });

  it.each(['0x10', '1e2', ' 1'])('REPLICA_INDEX=%j: exit 2, one line naming the variable', async (value) => {
    const { code, stdout, stderr } = await cli(['check'], { REPLICA_INDEX: value });
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toEqual([
      `persia-metrics: error: environment variable REPLICA_INDEX: replica_index: expected a decimal integer (digits only, no spaces, hex or exponent), found string ${JSON.stringify(value)}`,
    ]);
  });
});

const servers = requireBinary('prometheus-pushgateway') !== undefined;

describe.skipIf(!servers)('persia-metrics simulate with a real gateway', () => {
  const gateway = usePushgateway();

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

describe.skipIf(!servers)('persia-metrics status resolves job and gateway as a node would', () => {
  const gateway = usePushgateway();

  it('reads a gateway listed twice once (found by a new-user session: every node was counted twice)', async () => {
    await fetch(`${gateway.url}/metrics/job/status_twice/role/server/instance/rep_1`, { method: 'PUT', body: 'persia_node_incarnation 5\n' });
    await waitForGroups(gateway, 'status_twice', 1);
    const { code, stdout, stderr } = await cli(['status', '--job', 'status_twice', '--gateway', `${gateway.address},${gateway.address}`]);
    expect(code, stderr).toBe(0);
    expect(stdout).toContain('1 node of job "status_twice"');
  });

  it('init writes a global_config.yaml a node reads back, whatever the job name looks like in YAML (123, 1.10, true, a date)', async () => {
    for (const job of ['123', '1.10', 'true', '2024-01-01']) {
      const target = mkdtempSync(join(tmpdir(), 'persia-init-job-'));
      expect((await cli(['init', '--job', job, '--dir', target])).code).toBe(0);
      const checked = await cli(['check', '--config', join(target, 'global_config.yaml'), '--json']);
      expect(checked.code, checked.stderr).toBe(0);
      const options = (JSON.parse(checked.stdout) as { options: { key: string; value: unknown }[] }).options;
      expect(options.find((option) => option.key === 'job_name')?.value).toBe(job);
    }
  });

  it('takes job_name from the file and the gateway from PERSIA_METRICS_GATEWAY_ADDR; --job still wins', async () => {
    await fetch(`${gateway.url}/metrics/job/status_cfg/role/server/instance/rep_7`, { method: 'PUT', body: 'persia_node_incarnation 5\n' });
    await waitForGroups(gateway, 'status_cfg', 1);
    const config = file('status.yaml', 'PersiaMetricsConfig:\n  job_name: status_cfg\n');
    const { code, stdout, stderr } = await cli(['status', '--config', config], { PERSIA_METRICS_GATEWAY_ADDR: gateway.address });
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/server\s+rep_7/);
    expect(stdout).toContain('1 node of job "status_cfg"');
    const other = await cli(['status', '--config', config, '--job', 'absent'], { PERSIA_METRICS_GATEWAY_ADDR: gateway.address });
    expect(other.code).toBe(1);
    expect(other.stderr).toContain('no node of job "absent"');
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

describe('output piped into a reader that stops early (`persia-metrics check | head -1`)', () => {
  /** Runs the built CLI with its stdout pipe closed by the reader before the CLI writes. */
  function withReaderGone(args: string[]): Promise<{ code: number | null; stderr: string }> {
    const child = spawn(process.execPath, [MAIN, ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    return new Promise((resolve) => child.on('close', (code) => resolve({ code, stderr })));
  }

  it.each([[['--help']], [['explain']], [['check']]])('persia-metrics %j exits 0 without a stack trace', async (args) => {
    const { code, stderr } = await withReaderGone(args);
    expect(stderr).not.toMatch(/EPIPE|Unhandled 'error' event|at /);
    expect(code).toBe(0);
  });
});
