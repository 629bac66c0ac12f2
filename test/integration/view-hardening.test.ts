/**
 * `persia-metrics view` is a web server on the user's machine, holding Prometheus credentials: it answers
 * only under its own host names and to its own page, takes the password from a file or the environment
 * (never needed on the command line), never prints it, never follows Prometheus elsewhere, and holds a
 * bounded amount of memory however many clients ask at once. Through the built CLI and raw HTTP, against a
 * REAL Prometheus behind basic auth; a fake Prometheus (named so) only for a redirect, a hung answer and a
 * large one. Needs `npm run build` first.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/local-stack/free-port.js';
import { spawnManaged, type ManagedProcess } from '../../src/local-stack/managed-process.js';
import { waitFor } from '../../src/local-stack/wait-for.js';
import { requireBinary } from '../helpers/binaries.js';
import { CLI_MAIN, runCli } from '../helpers/cli-runner.js';

const prometheusBinary = requireBinary('prometheus');
const USER = 'viewer';
/** Every character that breaks a URL or decodeURIComponent: a lone %, a quote, @, /, a space, non-ASCII. */
const PASSWORD = '100% "sec@ret" / ü';
/** bcrypt (cost 4) of PASSWORD, made once with python3's crypt.crypt(PASSWORD, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16)). */
const PASSWORD_BCRYPT = '$2b$04$AbrCmZsli511EHX2QN3Ye.u.sfbIRlN9EpfThbU8ZdNX0.DGkgohK';

interface Answer {
  readonly status: number;
  readonly body: string;
}

/** A GET with exactly these headers (Host included), as a browser or a forger would send it. */
function get(port: number, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host: `127.0.0.1:${port}`, ...headers } }, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

interface RunningView {
  readonly process: ManagedProcess;
  readonly port: number;
}

const views: ManagedProcess[] = [];

/** The built CLI's `view` (through `env` when variables are given: `env` execs it, same pid). */
async function startView(args: readonly string[], env: Record<string, string> = {}): Promise<RunningView> {
  const variables = Object.entries(env).map(([name, value]) => `${name}=${value}`);
  const view = spawnManaged('view', 'env', [...variables, process.execPath, CLI_MAIN, 'view', '--port', '0', ...args]);
  views.push(view);
  const line = await waitFor(async () => view.output().match(/persia-metrics view: http:\/\/127\.0\.0\.1:(\d+)\//)?.[1], {
    timeoutMs: 15_000,
    intervalMs: 100,
    what: 'the view to print its URL',
    details: () => `${view.exitReason() ?? 'running'}\n${view.output()}`,
  });
  return { process: view, port: Number(line) };
}

/** A server answering with `handle`: the fake Prometheus of one test. */
async function fakePrometheus(handle: (request: IncomingMessage, response: ServerResponse) => void): Promise<{ server: Server; port: number }> {
  const server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return { server, port: typeof address === 'object' && address !== null ? address.port : 0 };
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

afterAll(async () => {
  await Promise.all(views.map((view) => view.stop()));
});

describe('view: usage errors never print the Prometheus password', () => {
  it.each([
    ['http://alice:s3cr%et@127.0.0.1:9090/?x=1', 'argument \'http://***@127.0.0.1:9090/?x=1\' is invalid. expected a URL without "?" or "#"'],
    // Not a URL at all (a "/" and a space in the password): still nothing of it is shown.
    ['http://alice:s3cr/et 100%@127.0.0.1:9090', "argument 'http://***@127.0.0.1:9090' is invalid. expected the http:// or https:// URL of Prometheus"],
  ])('--prometheus %s', async (url, message) => {
    const { code, stdout, stderr } = await runCli(['view', '--prometheus', url]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain(message);
    expect(stderr).not.toContain('s3cr');
    const json = await runCli(['view', '--prometheus', url, '--json']);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout)).toMatchObject({ error: { code: 'PERSIA_USAGE' } });
    expect(json.stdout + json.stderr).not.toContain('s3cr');
  });

  it('a password from a file or the environment needs a user, and is given once', async () => {
    const noUser = await runCli(['view', '--prometheus', 'http://127.0.0.1:9090'], { PERSIA_METRICS_PROMETHEUS_PASSWORD: 's3cret' });
    expect(noUser.code).toBe(2);
    expect(noUser.stderr).toContain('a Prometheus password (PERSIA_METRICS_PROMETHEUS_PASSWORD) without a user: give the user in --prometheus, as http://user@host:port');
    const dir = mkdtempSync(join(tmpdir(), 'persia-view-secret-'));
    try {
      writeFileSync(join(dir, 'password'), 's3cret\n');
      const twice = await runCli(['view', '--prometheus', 'http://alice:other@127.0.0.1:9090', '--prometheus-password-file', join(dir, 'password')]);
      expect(twice.code).toBe(2);
      expect(twice.stderr).toContain('the Prometheus password is given twice, in --prometheus and in --prometheus-password-file');
      const missing = await runCli(['view', '--prometheus', 'http://alice@127.0.0.1:9090', '--prometheus-password-file', join(dir, 'missing')]);
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain(`${join(dir, 'missing')}: secret file cannot be read (ENOENT)`);
      expect(`${noUser.stderr}${twice.stderr}${missing.stderr}`).not.toMatch(/s3cret|other/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--help says where else the password may come from', async () => {
    const { stdout } = await runCli(['view', '--help']);
    expect(stdout).toContain('--prometheus-password-file <path>');
    expect(stdout).toContain('PERSIA_METRICS_PROMETHEUS_PASSWORD');
  });
});

describe.skipIf(prometheusBinary === undefined)('view against a real Prometheus behind basic auth', () => {
  const dir = mkdtempSync(join(tmpdir(), 'persia-view-hardening-'));
  let prometheus: ManagedProcess;
  let prometheusPort: number;
  let view: RunningView;

  beforeAll(async () => {
    prometheusPort = await freePort();
    writeFileSync(join(dir, 'prometheus.yml'), 'global:\n  scrape_interval: 15s\n');
    writeFileSync(join(dir, 'web.yml'), `basic_auth_users:\n  ${USER}: ${PASSWORD_BCRYPT}\n`);
    writeFileSync(join(dir, 'password'), `${PASSWORD}\n`);
    prometheus = spawnManaged('prometheus (basic auth)', prometheusBinary ?? 'prometheus', [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'tsdb')}`,
      `--web.listen-address=127.0.0.1:${prometheusPort}`,
      `--web.config.file=${join(dir, 'web.yml')}`,
    ]);
    const authorization = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;
    await waitFor(async () => (await fetch(`http://127.0.0.1:${prometheusPort}/-/ready`, { headers: { authorization } }).catch(() => undefined))?.ok || undefined, {
      timeoutMs: 20_000,
      intervalMs: 250,
      what: 'the secured Prometheus to be ready',
      details: () => prometheus.output(),
    });
    view = await startView(['--prometheus', `http://${USER}@127.0.0.1:${prometheusPort}`, '--prometheus-password-file', join(dir, 'password')]);
  }, 60_000);

  afterAll(async () => {
    await prometheus.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const vectorOne = '/api/v1/query?query=vector(1)';

  it('reads Prometheus with the password of --prometheus-password-file, which is in no command line and no output', async () => {
    const answer = await get(view.port, vectorOne);
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ status: 'success', data: { result: [{ value: [expect.any(Number), '1'] }] } });
    expect(readFileSync(`/proc/${view.process.pid}/cmdline`, 'utf8')).not.toContain('sec@ret');
    expect(view.process.output()).toContain(`(reading http://${USER}@127.0.0.1:${prometheusPort};`);
    expect(view.process.output()).not.toContain('sec@ret');
  });

  it('reads it with the password of PERSIA_METRICS_PROMETHEUS_PASSWORD, or of the URL with a lone % in it', async () => {
    const fromEnv = await startView(['--prometheus', `http://${USER}@127.0.0.1:${prometheusPort}`], { PERSIA_METRICS_PROMETHEUS_PASSWORD: PASSWORD });
    expect((await get(fromEnv.port, vectorOne)).status).toBe(200);
    // "100%" stays a "%" (no escape follows it); the rest percent-encoded as a URL needs it.
    const inUrl = encodeURIComponent(PASSWORD).replace('%25', '%');
    expect(inUrl.startsWith('100%%20')).toBe(true);
    const fromUrl = await startView(['--prometheus', `http://${USER}:${inUrl}@127.0.0.1:${prometheusPort}`]);
    expect((await get(fromUrl.port, vectorOne)).status).toBe(200);
    expect(fromUrl.process.output()).toContain(`(reading http://${USER}:***@127.0.0.1:${prometheusPort};`);
    await Promise.all([fromEnv.process.stop(), fromUrl.process.stop()]);
  });

  it('answers only under its own names and port: a rebound DNS name gets 421', async () => {
    for (const host of ['127.attacker.example', '127.0.0.1.attacker.example', 'localhost.attacker.example', 'evil.example']) {
      expect((await get(view.port, vectorOne, { host: `${host}:${view.port}` })).status, host).toBe(421);
    }
    expect((await get(view.port, vectorOne, { host: '127.0.0.1:1' })).status).toBe(421);
    expect((await get(view.port, '/', { host: `127.attacker.example:${view.port}` })).status).toBe(421);
    for (const host of [`127.0.0.1:${view.port}`, `localhost:${view.port}`, `LocalHost:${view.port}`]) {
      expect((await get(view.port, vectorOne, { host })).status, host).toBe(200);
    }
  });

  it("refuses another site's requests to its API (403), and still opens the page from a link", async () => {
    const own = `http://127.0.0.1:${view.port}`;
    for (const headers of [
      { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors' },
      { 'sec-fetch-site': 'same-site' },
      { origin: 'http://evil.example' },
      { origin: 'null' },
      { origin: `http://localhost:${view.port}` },
    ]) {
      const answer = await get(view.port, vectorOne, headers);
      expect(answer.status, JSON.stringify(headers)).toBe(403);
      expect(JSON.parse(answer.body)).toMatchObject({ errorType: 'cross_site' });
      expect(answer.body).not.toContain('"success"');
    }
    expect((await get(view.port, `/api/panels?job=x&window=15m`, { 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect((await get(view.port, vectorOne, { 'sec-fetch-site': 'same-origin', origin: own })).status).toBe(200);
    expect((await get(view.port, vectorOne, { 'sec-fetch-site': 'none' })).status).toBe(200);
    expect((await get(view.port, '/', { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate' })).status).toBe(200);
  });
});

describe('view and a misbehaving Prometheus (fake servers, for faults a real one does not produce)', () => {
  it('does not follow a redirect: the page gets an error naming the status, and the credentials go nowhere else', async () => {
    const elsewhere: string[] = [];
    const other = await fakePrometheus((req, res) => {
      elsewhere.push(`${req.url ?? ''} ${req.headers.authorization ?? ''}`);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"success","data":{"resultType":"vector","result":[]}}');
    });
    const redirecting = await fakePrometheus((req, res) => res.writeHead(302, { location: `http://127.0.0.1:${other.port}${req.url ?? '/'}` }).end());
    try {
      const view = await startView(['--prometheus', `http://alice:s3cret@127.0.0.1:${redirecting.port}`]);
      const answer = await get(view.port, '/api/v1/query?query=up');
      expect(answer.status).toBe(502);
      expect(JSON.parse(answer.body)).toMatchObject({
        errorType: 'prometheus_refused',
        error: expect.stringContaining('answered 302 (a redirect) for /api/v1/query: the view does not follow redirects') as unknown,
      });
      expect(elsewhere).toEqual([]);
      await view.process.stop();
    } finally {
      await Promise.all([closeServer(redirecting.server), closeServer(other.server)]);
    }
  });

  it('answers 503 past 32 requests in flight, and the rest once Prometheus answers', async () => {
    const held: ServerResponse[] = [];
    const hung = await fakePrometheus((_req, res) => void held.push(res));
    try {
      const view = await startView(['--prometheus', `http://127.0.0.1:${hung.port}`]);
      const answers = Array.from({ length: 40 }, (_, index) => get(view.port, `/api/v1/query?query=vector(${index})`));
      await waitFor(async () => held.length >= 32 || undefined, { timeoutMs: 10_000, intervalMs: 50, what: '32 requests to reach the fake Prometheus' });
      for (const res of held) res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"success","data":{"resultType":"vector","result":[]}}');
      const statuses = (await Promise.all(answers)).map((answer) => answer.status);
      expect(held).toHaveLength(32);
      expect(statuses.filter((status) => status === 200)).toHaveLength(32);
      expect(statuses.filter((status) => status === 503)).toHaveLength(8);
      await view.process.stop();
    } finally {
      await closeServer(hung.server);
    }
  });

  it('stays within a bounded memory with 30 clients that do not read a 16 MB answer (VmHWM of the view process)', async () => {
    const size = 16 * 1024 * 1024;
    const body = Buffer.alloc(size, ' ');
    body.write('{"status":"success","data":{"resultType":"vector","result":[]}}');
    let served = 0;
    const large = await fakePrometheus((_req, res) => {
      res.on('close', () => (served += 1));
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(size) }).end(body);
    });
    const clients: Socket[] = [];
    try {
      const view = await startView(['--prometheus', `http://127.0.0.1:${large.port}`]);
      const received = new Map<Socket, Buffer[]>();
      for (let index = 0; index < 30; index += 1) {
        const socket = connect(view.port, '127.0.0.1');
        socket.write(`GET /api/v1/query?query=vector(${index}) HTTP/1.1\r\nHost: 127.0.0.1:${view.port}\r\nConnection: close\r\n\r\n`);
        socket.pause(); // a slow client: it reads nothing until the end of the test
        received.set(socket, []);
        clients.push(socket);
      }
      await waitFor(async () => served >= 30 || undefined, {
        timeoutMs: 60_000,
        intervalMs: 100,
        what: 'the 30 answers of the fake Prometheus to be read',
        details: () => `${served} served`,
      });
      const peak = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${view.process.pid}/status`, 'utf8'))?.[1];
      // Unbounded, the 30 answers of 16 MB held whole peaked at 713 MiB; the view holds at most 64 MB of them
      // (about 220 MiB in all, with node itself and the garbage of the answers it gave up).
      expect(Number(peak) / 1024).toBeLessThan(350);
      const statuses = await Promise.all(
        clients.map(
          (socket) =>
            new Promise<string>((resolve) => {
              const chunks = received.get(socket) ?? [];
              socket.on('data', (chunk: Buffer) => chunks.push(chunk));
              socket.on('close', () => resolve(Buffer.concat(chunks).subarray(0, 12).toString('latin1')));
              socket.resume();
            }),
        ),
      );
      const ok = statuses.filter((status) => status === 'HTTP/1.1 200').length;
      expect(ok).toBeGreaterThan(0);
      expect(ok).toBeLessThanOrEqual(4);
      expect(statuses.filter((status) => status === 'HTTP/1.1 503')).toHaveLength(30 - ok);
      await view.process.stop();
    } finally {
      for (const socket of clients) socket.destroy();
      await closeServer(large.server);
    }
  }, 90_000);
});
