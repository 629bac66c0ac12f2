/**
 * The init, discover and status commands run in-process through commander: flags, output, files written and
 * exit codes (0 ok, 1 runtime failure, 2 usage). Discovery is fed a fake engine through DOCKER_HOST pointing
 * at a local HTTP server that answers like the Docker API; status reads a fake gateway on port 0.
 */
import { createServer, type RequestListener, type Server } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { runInProcess, signalsForTest, type InProcessResult } from '../helpers/in-process-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'persia-deploy-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `persia-metrics <args>` in-process; returns exit code and what it printed. */
function cli(...args: string[]): Promise<InProcessResult> {
  return runInProcess(args);
}

function listen(handler: RequestListener): Promise<{ server: Server; port: number }> {
  return new Promise((resolve) => {
    const server = createServer(handler);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve({ server, port: typeof address === 'object' && address !== null ? address.port : 0 });
    });
  });
}

describe('init', () => {
  const target = join(dir, 'deploy');

  it('writes the deployment, then refuses to overwrite (exit 2, nothing changed), then overwrites with --force', async () => {
    const first = await cli('init', '--job', 'dlrm_v1.0', '--dir', target);
    expect(first.code, first.err).toBe(0);
    expect(first.out).toContain('wrote 13 files for job "dlrm_v1.0"');
    // Read back as YAML: the name stays the string it was (a name like 123 must stay a string, see deploy-render.test.ts).
    expect((load(readFileSync(join(target, 'global_config.yaml'), 'utf8')) as { PersiaMetricsConfig: { job_name: unknown } }).PersiaMetricsConfig.job_name).toBe('dlrm_v1.0');
    writeFileSync(join(target, 'global_config.yaml'), 'mine\n');

    const again = await cli('init', '--job', 'other', '--dir', target);
    expect(again.code).toBe(2);
    expect(again.err).toMatch(/refusing to overwrite existing files .*global_config\.yaml.*--force/);
    expect(readFileSync(join(target, 'global_config.yaml'), 'utf8')).toBe('mine\n');
    expect(readFileSync(join(target, 'docker-compose.yml'), 'utf8')).toContain('dlrm_v1.0');

    const forced = await cli('init', '--job', 'other', '--dir', target, '--force', '--push-interval', '20');
    expect(forced.code, forced.err).toBe(0);
    expect(readFileSync(join(target, 'global_config.yaml'), 'utf8')).toContain('push_interval_seconds: 20');
    expect(readFileSync(join(target, 'config/prometheus/rules/persia-alerts.yml'), 'utf8')).toContain("(120s at the job's 20s)");
  });

  it('--json prints the files written, or the error, as one JSON document (every command has --json)', async () => {
    const jsonDir = join(dir, 'json');
    const ok = await cli('init', '--job', 'j_json', '--dir', jsonDir, '--json');
    expect(ok.code, ok.err).toBe(0);
    const parsed = JSON.parse(ok.out) as { job: string; target: string; files: string[]; sizing: string | null };
    expect(parsed).toMatchObject({ job: 'j_json', target: 'compose', sizing: null });
    expect(parsed.files).toContain(join(jsonDir, 'global_config.yaml'));
    expect(parsed.files.every((file) => existsSync(file))).toBe(true);
    const refused = await cli('init', '--job', 'j_json', '--dir', jsonDir, '--json');
    expect(refused.code).toBe(2);
    expect((JSON.parse(refused.out) as { error: { code: string } }).error.code).toBe('PERSIA_INIT_EXISTS');
  });

  it('exits 2 on a bad job name or a missing --job, and writes nothing', async () => {
    const bad = await cli('init', '--job', 'no/slashes', '--dir', join(dir, 'bad'));
    expect(bad.code).toBe(2);
    // One job-name rule: "no/slashes" is a valid job_name for a node, and init says which refinement it fails.
    expect(bad.err).toContain('job name "no/slashes" is a valid job_name for a node, but a deployment also uses it in container and file names');
    expect(existsSync(join(dir, 'bad'))).toBe(false);
    const blank = await cli('init', '--job', '  ', '--dir', join(dir, 'bad'));
    expect(blank.code).toBe(2);
    expect(blank.err).toContain('job name "  " is not a valid job_name (expected string (not empty or blank)'); // found by a new-user session: it said "expected string"
    const interval = await cli('init', '--job', 'ok', '--dir', join(dir, 'bad'), '--push-interval', '0.01');
    expect(interval.code).toBe(2);
    expect(interval.err).toContain('push interval 0.01 is not a valid push_interval_seconds (expected number (s), at least 0.05;');
    expect((await cli('init', '--dir', join(dir, 'bad'))).code).toBe(2);
  });

  it('--remote-write-url adds remote_write to both Prometheus configs; a bad URL exits 2 naming the option and writes nothing', async () => {
    const url = 'https://vm.example:8428/api/v1/write';
    const ok = await cli('init', '--job', 'lts', '--dir', join(dir, 'lts'), '--remote-write-url', url);
    expect(ok.code, ok.err).toBe(0);
    expect(ok.out).toContain(`Prometheus also sends every sample to ${url}`);
    for (const file of ['prometheus.yml', 'prometheus-swarm.yml']) {
      expect((load(readFileSync(join(dir, 'lts/config/prometheus', file), 'utf8')) as { remote_write: unknown }).remote_write).toEqual([{ url }]);
    }
    const cases: Array<[string, string]> = [
      ['ftp://vm.example/api/v1/write', 'expected an http:// or https:// URL'],
      ['vm.example:8428/api/v1/write', 'expected an http:// or https:// URL'],
      ['http://vm example/api/v1/write', 'expected an http:// or https:// URL'],
      ['https://user:secret@vm.example/api/v1/write', 'must not carry credentials'],
      ['http://vm.example/api/v1/write#x', 'has a #fragment'],
      // new URL() repairs these, Prometheus (Go) does not: promtool refuses the escape, and the others post to no host.
      ['http://vm:8428/%zz', 'invalid percent-escape "%zz"'],
      ['http:127.0.0.1:18428/api/v1/write', 'does not start with http:// or https:// exactly'],
      ['http:/vm:8428/api/v1/write', 'does not start with http:// or https:// exactly'],
      ['http:///vm/api/v1/write', 'has no host between // and the path'],
      ['http://vm\\api\\v1\\write', 'contains a backslash'],
      // VictoriaMetrics answers 400 on /.
      ['http://vm:8428', 'has no path'],
      ['http://vm:8428/', 'e.g. /api/v1/write'],
    ];
    for (const [bad, why] of cases) {
      const result = await cli('init', '--job', 'lts', '--dir', join(dir, 'bad'), '--remote-write-url', bad);
      expect(result.code, bad).toBe(2);
      expect(result.err).toContain('--remote-write-url');
      expect(result.err).toContain(why);
      expect(result.err).not.toContain('secret');
    }
    expect(existsSync(join(dir, 'bad'))).toBe(false);
    expect(readFileSync(join(dir, 'lts/config/prometheus/prometheus.yml'), 'utf8')).not.toContain('secret');
  });

  it('documents the files and exit codes in --help', async () => {
    const help = await cli('init', '--help');
    expect(help.out).toContain('--remote-write-url');
    expect(help.out).toContain('docker-compose.swarm.yml');
    expect(help.out).toContain('Exit codes');
  });
});

describe('discover (fake Docker API over DOCKER_HOST)', () => {
  let engine: { server: Server; port: number };
  const previous = process.env['DOCKER_HOST'];
  let listFilters = '';
  const stack = [
    {
      Id: 'a'.repeat(64),
      Names: ['/stack_metrics_gateway_1'],
      Labels: { 'persia.metrics.gateway': 'true', 'persia.metrics.job': 'dlrm' },
      Ports: [{ IP: '127.0.0.1', PrivatePort: 9091, PublicPort: 19091, Type: 'tcp' }],
      NetworkSettings: { Networks: { stack_default: { IPAddress: '10.89.0.5' } } },
    },
    {
      Id: 'b'.repeat(64),
      Names: ['/gw_b'],
      Labels: { 'persia.metrics.gateway': 'true', 'persia.metrics.job': 'ctr/b' },
      Ports: [],
      NetworkSettings: { Networks: { stack_default: { IPAddress: '10.89.0.6' } } },
    },
  ];
  /** What the fake engine lists (a test may swap it and puts `stack` back). */
  let containers: unknown[] = stack;
  /** Container lists answered, and whether the fake engine fails them (500) instead. */
  let lists = 0;
  let failing = false;

  beforeAll(async () => {
    engine = await listen((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      res.setHeader('content-type', 'application/json');
      if (url.pathname.endsWith('/containers/json')) {
        lists += 1;
        listFilters = url.searchParams.get('filters') ?? '';
        if (failing) res.statusCode = 500;
        res.end(JSON.stringify(failing ? { message: 'engine is down' } : containers));
      } else {
        res.statusCode = 404; // Podman: no swarm
        res.end(JSON.stringify({ message: 'no such service endpoint' }));
      }
    });
    process.env['DOCKER_HOST'] = `tcp://127.0.0.1:${engine.port}`;
  });
  afterAll(() => {
    engine.server.close();
    if (previous === undefined) delete process.env['DOCKER_HOST'];
    else process.env['DOCKER_HOST'] = previous;
  });

  it('writes one file_sd file per job with published addresses, skipping gateways without one, and prunes old files', async () => {
    const out = join(dir, 'targets');
    const first = await cli('discover', '--out', out);
    expect(first.code, first.err).toBe(0);
    expect(JSON.parse(listFilters)).toMatchObject({ label: ['persia.metrics.gateway=true'], status: ['running'] });
    expect(first.err).toContain('gateway gw_b (job ctr/b) has no published address; skipped');
    writeFileSync(join(out, 'gateway-gone.json'), '[]');
    writeFileSync(join(out, 'static.json'), '[]');
    const second = await cli('discover', '--out', out, '--address', 'internal');
    expect(second.code, second.err).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['gateway-ctr_b.json', 'gateway-dlrm.json', 'static.json']);
    expect(JSON.parse(readFileSync(join(out, 'gateway-ctr_b.json'), 'utf8'))).toEqual([{ targets: ['10.89.0.6:9091'], labels: { persia_job: 'ctr/b' } }]);
  });

  it('prints the files with --print and the gateways with --json', async () => {
    const printed = await cli('discover', '--print');
    expect(printed.out).toContain('# gateway-dlrm.json');
    expect(printed.out).toContain('"127.0.0.1:19091"');
    const json = JSON.parse((await cli('discover', '--print', '--json')).out.split('\n# ')[0] ?? '') as Array<{ name: string }>;
    expect(json.map((g) => g.name)).toEqual(['gw_b', 'stack_metrics_gateway_1']); // sorted by job
  });

  it('a 300-character job label fails its own file only (exit 1, reported clipped and escaped); the other job is written and a stale file pruned', async () => {
    const out = join(dir, 'hostile-targets');
    mkdirSync(out);
    writeFileSync(join(out, 'gateway-finished.json'), '[]');
    const labelled = (id: string, name: string, job: string, port: number) => ({
      Id: id.repeat(64),
      Names: [`/${name}`],
      Labels: { 'persia.metrics.gateway': 'true', 'persia.metrics.job': job },
      Ports: [{ IP: '127.0.0.1', PrivatePort: 9091, PublicPort: port, Type: 'tcp' }],
      NetworkSettings: { Networks: { n: { IPAddress: '10.0.0.2' } } },
    });
    containers = [labelled('c', 'long_gw', `${'j'.repeat(299)}\u001b`, 19101), labelled('d', 'good\u001b[2J_gw', 'dlrm', 19102)];
    const run = await cli('discover', '--out', out).finally(() => (containers = stack));
    expect(run.code).toBe(1);
    expect(run.err).toContain(`persia-metrics: error: job ${'j'.repeat(79)}… (300 characters): job label cannot name a target file`);
    expect(run.err + run.out).not.toContain('\u001b');
    expect(run.out).toContain('good\\e[2J_gw');
    expect(readdirSync(out)).toEqual(['gateway-dlrm.json']);
  });

  // The compose stack's discovery service runs `discover --every 15s`: its log must show changes, not a table per run.
  it('--every runs until SIGTERM, prints a run only when it differs from the one before, and goes on when the engine fails', async () => {
    const out = join(dir, 'every-targets');
    const signals = signalsForTest();
    /** Resolves once the fake engine answered `count` more container lists (bounded: 20 s). */
    const moreLists = async (count: number): Promise<void> => {
      const until = lists + count;
      const deadline = Date.now() + 20_000;
      while (lists < until) {
        if (Date.now() > deadline) throw new Error(`discover --every did not list containers ${count} more times`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    const running = runInProcess(['discover', '--out', out, '--every', '1s'], { signals });
    await signals.listening();
    // Two container lists per run (readers, then gateways): three runs of the same engine.
    await moreLists(6);
    expect(readdirSync(out)).toEqual(['gateway-dlrm.json']);
    failing = true;
    await moreLists(4);
    failing = false;
    containers = [];
    await moreLists(4);
    containers = stack;
    expect(signals.send('SIGTERM')).toBe(true);
    const result = await running;
    expect(result.code).toBe(0);
    // The first run's report once, however many runs saw the same; the failure once; the emptied engine once.
    expect(result.out.match(/stack_metrics_gateway_1/g)?.length).toBe(1);
    expect(result.err.match(/cannot list containers/g)?.length).toBe(1);
    expect(result.out).toContain('no gateway found');
    expect(result.out).toContain(`removed ${join(out, 'gateway-dlrm.json')}`);
    expect(result.err).toContain('SIGTERM: stopping after the run in progress');
  }, 30_000);

  it('exits 1 when the engine cannot be reached, 2 on a bad --address', async () => {
    process.env['DOCKER_HOST'] = 'unix:///nonexistent/docker.sock';
    const down = await cli('discover', '--print');
    process.env['DOCKER_HOST'] = `tcp://127.0.0.1:${engine.port}`;
    expect(down.code).toBe(1);
    expect(down.err).toContain('cannot list containers');
    expect((await cli('discover', '--address', 'nope')).code).toBe(2);
  });
});

describe('status (fake gateway)', () => {
  let gateway: { server: Server; port: number };
  // The command reads this clock (its context's now), so the ages it prints are exact on any machine.
  const now = 1_800_000_000;
  const status = (...args: string[]): Promise<InProcessResult> => runInProcess(['status', ...args], { now: () => now * 1000 });
  const family = (value: number, labels: Record<string, string> = {}) => ({ metrics: [{ labels, value: String(value) }] });
  const group = (role: string, instance: string, pushAge: number, extra: Record<string, unknown> = {}) => ({
    labels: { job: 'dlrm', role, instance },
    last_push_successful: true,
    push_time_seconds: family(now - pushAge),
    push_failure_time_seconds: family(0),
    ...extra,
  });

  beforeAll(async () => {
    gateway = await listen((req, res) => {
      // status reads the scrape page as Prometheus does: an empty page parses (this fake serves no series).
      if (req.url === '/metrics') return void res.end('');
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          status: 'success',
          data: [
            group('server', 'rep_0', 2, { last_push_successful: false }),
            group('trainer', 'rep_0', 1.5, {
              persia_node_state: {
                metrics: [
                  { labels: { state: 'init' }, value: '0' },
                  { labels: { state: 'running' }, value: '1' },
                ],
              },
              persia_metrics_push_failures_total: {
                metrics: [
                  { labels: { reason: 'timeout' }, value: '2' },
                  { labels: { reason: 'http_5xx' }, value: '1' },
                ],
              },
            }),
            group('trainer', 'rep_1', 600),
            { ...group('trainer', 'x', 1), labels: { job: 'other', role: 'trainer', instance: 'x' } },
          ],
        }),
      );
    });
  });
  afterAll(() => gateway.server.close());
  afterEach(() => vi.restoreAllMocks());

  it('prints one row per node of the job, marks stale and rejected nodes', async () => {
    const result = await status('--job', 'dlrm', '--gateway', `127.0.0.1:${gateway.port}`);
    expect(result.code, result.err).toBe(0);
    const lines = result.out.split('\n');
    // IDENTITY (duplicate identities, issue 8 item 4) was added after PUSH FAILURES; GATEWAY names the replica
    // read (it showed the push result, now under LAST PUSH RESULT: found by a new-user session).
    expect(lines[0]).toMatch(/^ROLE\s+INSTANCE\s+STATE\s+LAST PUSH\s+LAST PUSH RESULT\s+PUSH FAILURES\s+IDENTITY\s+GATEWAY$/);
    // Ages are the command's clock minus the push times the fake gateway answers: 1.5 s, 600 s and 2 s.
    expect(lines[2]).toMatch(new RegExp(`^trainer\\s+rep_0\\s+running\\s+1\\.5s\\s+accepted\\s+3\\s+ok\\s+127\\.0\\.0\\.1:${gateway.port}$`));
    expect(lines[3]).toMatch(/^trainer\s+rep_1\s+-\s+10m00s STALE\s+accepted\s+-\s+ok\s/);
    expect(lines[4]).toMatch(/^server\s+rep_0\s+-\s+2\.0s\s+REJECTED/);
    expect(result.out).toContain('3 nodes of job "dlrm", 1 stale');
  });

  it('prints JSON with --json', async () => {
    const result = await status('--job', 'dlrm', '--gateway', `http://127.0.0.1:${gateway.port}`, '--json');
    const parsed = JSON.parse(result.out) as { nodes: Array<{ instance: string; pushFailures?: number; stale: boolean }> };
    expect(parsed.nodes.map((n) => [n.instance, n.pushFailures, n.stale])).toEqual([
      ['rep_0', 3, false],
      ['rep_1', undefined, true],
      ['rep_0', undefined, false],
    ]);
  });

  it('exits 1 when the job has no node or the gateway is unreachable; 2 on a bad address', async () => {
    const none = await cli('status', '--job', 'absent', '--gateway', `127.0.0.1:${gateway.port}`);
    expect(none.code).toBe(1);
    expect(none.err).toContain('no node of job "absent"');
    const closed = await listen(() => {});
    closed.server.close();
    const down = await cli('status', '--job', 'dlrm', '--gateway', `127.0.0.1:${closed.port}`, '--timeout', '2');
    expect(down.code).toBe(1);
    expect(down.err).toMatch(/cannot read http:\/\/127\.0\.0\.1:\d+\/api\/v1\/metrics/);
    expect((await cli('status', '--job', 'dlrm', '--gateway', 'host:port/path')).code).toBe(2);
  });
});
