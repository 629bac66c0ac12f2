/**
 * Label values come from whoever pushed to the gateway (issue 19 §4): a pushed instance
 * `\r\e[1A\e[2Kmiddleware  rep_0` must not repaint the STALE row above it as a running node in the
 * operator's terminal. The built CLI against a real Pushgateway: status, expire and end-job print such a
 * value escaped, never raw. Groups whose grouping values differ only in bytes that are not UTF-8 (the
 * gateway's JSON API shows each such byte as U+FFFD) are rows of their own in status, each shown by its
 * bytes (`\xff`), in the table and in --json, with the path that deletes exactly that group.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../src/local-stack/wait-for.js';
import { requireBinary } from '../helpers/binaries.js';
import { runCli } from '../helpers/cli-runner.js';
import { usePushgateway } from '../helpers/pushgateway-fixture.js';

const servers = requireBinary('prometheus-pushgateway') !== undefined;
const HOSTILE = '\r\u001b[1A\u001b[2Kmiddleware  rep_0';
// Anything a terminal would obey: C0 (but the newline that ends a line), DEL, C1.
// eslint-disable-next-line no-control-regex
const STEERING = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

describe.skipIf(!servers)('label values a pusher chose, in the operator terminal', () => {
  const gateway = usePushgateway();

  beforeAll(async () => {
    const put = async (role: string, instance: string): Promise<void> => {
      const encoded = Buffer.from(instance).toString('base64url');
      const response = await fetch(`${gateway.url}/metrics/job/hostile/role/${role}/instance@base64/${encoded}`, {
        method: 'PUT',
        // A 0.1 s interval: expire judges a node by its own pace, so its group is old enough within ~1.2 s.
        body: 'persia_node_incarnation 5\npersia_node_push_interval_seconds 0.1\n',
      });
      expect(response.status).toBe(200);
    };
    await put('middleware', 'rep_0');
    await put('trainer', HOSTILE);
  });

  it('status shows the value escaped, and every row stays where it is', async () => {
    const result = await runCli(['status', '--job', 'hostile', '--gateway', gateway.address, '--stale-after', '0.001']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).not.toMatch(STEERING);
    expect(result.stdout).toContain('\\r\\e[1A\\e[2Kmiddleware  rep_0');
    expect(result.stdout).toMatch(/^middleware\s+rep_0\s.*STALE/m);
    expect(result.stdout).toMatch(/^trainer\s+\\r\\e\[1A.*STALE/m);
  });

  it('expire and end-job name the group escaped', async () => {
    const expire = await waitFor(
      async () => {
        const run = await runCli(['expire', '--gateway', gateway.address, '--after', '1s', '--include-other-pushers', '--dry-run']);
        return run.stdout.includes('would delete job="hostile" role="trainer"') && run;
      },
      { timeoutMs: 15_000, intervalMs: 200, what: 'the groups older than 1 s' },
    );
    expect(expire.stdout).not.toMatch(STEERING);
    expect(expire.stdout).toContain('instance="\\r\\u001b[1A\\u001b[2Kmiddleware  rep_0"');

    const endJob = await runCli(['end-job', '--job', 'hostile', '--gateway', gateway.address, '--dry-run']);
    expect(endJob.code, endJob.stderr).toBe(0);
    expect(endJob.stdout + endJob.stderr).not.toMatch(STEERING);
  });
});

/** Instances that differ only in a byte that is not UTF-8, and one that holds a real U+FFFD (valid UTF-8). */
const NOT_UTF8 = { 'x\\xff': [0x78, 0xff], 'x\\xfe': [0x78, 0xfe], 'x\\xc0': [0x78, 0xc0] } as const;
const REAL_FFFD = 'x\uFFFD';

interface ShownNode {
  instance: string;
  groupingKey: Record<string, string>;
  exactGroupingKey?: Record<string, string>;
  exactPath?: string;
}

describe.skipIf(!servers).each([
  ['with its consistency check (the push is refused, the group stays)', []],
  ['without its consistency check (as shipped)', ['--push.disable-consistency-check']],
])('groups alike but for bytes that are not UTF-8, on a real gateway %s', (_, extraArgs) => {
  const gateway = usePushgateway({ extraArgs });

  beforeAll(async () => {
    const put = async (instance: Uint8Array): Promise<void> => {
      const path = `/metrics/job/utf8j/role/server/instance@base64/${Buffer.from(instance).toString('base64url')}`;
      await fetch(`${gateway.url}${path}`, { method: 'PUT', body: 'persia_node_push_interval_seconds 2\n' });
    };
    for (const bytes of Object.values(NOT_UTF8)) await put(Uint8Array.from(bytes));
    await put(Buffer.from(REAL_FFFD));
  });

  const statusJson = async (): Promise<ShownNode[]> => {
    const result = await runCli(['status', '--job', 'utf8j', '--gateway', gateway.address, '--json']);
    expect(result.code, result.stderr).toBe(1); // the gateway's page fails: Prometheus sees nothing there
    return (JSON.parse(result.stdout) as { nodes: ShownNode[] }).nodes;
  };

  it('the table shows each group once, by its bytes; the real U+FFFD stays as it is', async () => {
    const result = await runCli(['status', '--job', 'utf8j', '--gateway', gateway.address]);
    expect(result.code, result.stderr).toBe(1);
    expect(result.stdout).not.toMatch(STEERING);
    expect(result.stdout).toContain('4 nodes of job "utf8j"');
    for (const shown of Object.keys(NOT_UTF8)) expect(result.stdout.match(new RegExp(`^server\\s+${shown.replace(/\\/g, '\\\\')}\\s`, 'gm')), result.stdout).toHaveLength(1);
    expect(result.stdout.match(/^server\s+x\uFFFD\s/gm), result.stdout).toHaveLength(1);
  });

  it('--json gives each its bytes and the path that deletes exactly that group', async () => {
    const nodes = await statusJson();
    expect(nodes.map((node) => node.groupingKey['instance'])).toEqual([REAL_FFFD, REAL_FFFD, REAL_FFFD, REAL_FFFD]);
    const exact = nodes.filter((node) => node.exactGroupingKey !== undefined);
    expect(exact.map((node) => node.exactGroupingKey?.['instance']).sort()).toEqual(Object.keys(NOT_UTF8).sort());
    expect(nodes.find((node) => node.exactGroupingKey === undefined)?.exactPath).toBeUndefined();
    for (const node of exact) expect(node.exactGroupingKey).toMatchObject({ job: 'utf8j', role: 'server' });
    // The path of x\xfe deletes that group and no other.
    const target = exact.find((node) => node.exactGroupingKey?.['instance'] === 'x\\xfe');
    const answer = await fetch(`${gateway.url}${target?.exactPath ?? '/none'}`, { method: 'DELETE' });
    expect(answer.status).toBeLessThan(300);
    const after = await statusJson();
    expect(after.map((node) => node.exactGroupingKey?.['instance'] ?? node.instance).sort()).toEqual(['x\\xc0', 'x\\xff', REAL_FFFD].sort());
  });
});

/** Instances that print like `n1` unless escaped: format characters, an invisible separator, a bidi mark. */
const INVISIBLE = ['\u200b', '\u200d', '\u2060', '\u00ad', '\ufeff', '\u180e', '\u061c', '\u200e', '\u2028', '\u00a0'];

describe.skipIf(!servers)('instances that look alike unless escaped, in the status table', () => {
  const gateway = usePushgateway();
  const LONG = 'L'.repeat(100_000);

  beforeAll(async () => {
    const put = async (job: string, instance: string): Promise<void> => {
      const path = `/metrics/job/${job}/role/trainer/instance@base64/${Buffer.from(instance).toString('base64url')}`;
      const response = await fetch(`${gateway.url}${path}`, { method: 'PUT', body: 'persia_node_push_interval_seconds 2\n' });
      expect(response.status).toBe(200);
    };
    for (const instance of ['n1', ...INVISIBLE.map((character) => `n1${character}`)]) await put('lookalike', instance);
    await put('backslash', 'n\u001b[2J');
    await put('backslash', 'n\\e[2J');
    await put('long', LONG);
  });

  const instanceCells = async (job: string): Promise<string[]> => {
    const result = await runCli(['status', '--job', job, '--gateway', gateway.address]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).not.toMatch(STEERING);
    expect(result.stdout).not.toMatch(/[\p{Cf}\p{Zl}\p{Zp}\u00a0]/u);
    return result.stdout
      .split('\n')
      .filter((line) => line.startsWith('trainer '))
      .map((line) => line.slice('trainer '.length).trim().split(/\s+/)[0] ?? '');
  };

  it('a format character, a line separator or a no-break space makes an instance that shows differently from n1', async () => {
    const cells = await instanceCells('lookalike');
    expect(cells).toHaveLength(INVISIBLE.length + 1);
    expect(new Set(cells).size).toBe(cells.length);
    expect(cells).toContain('n1');
    expect(cells).toContain('n1\\u200b');
    expect(cells).toContain('n1\\u00ad');
    expect(cells).toContain('n1\\u2028');
  });

  it('a real ESC and the text backslash-e show differently', async () => {
    expect((await instanceCells('backslash')).sort()).toEqual(['n\\\\e[2J', 'n\\e[2J']);
  });

  it('a 100,000-character instance is clipped to its start and its length', async () => {
    const result = await runCli(['status', '--job', 'long', '--gateway', gateway.address]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.length).toBeLessThan(2000);
    expect(result.stdout).toContain(`${'L'.repeat(79)}… (100000 characters)`);
  });
});

/**
 * A fake server, named so: a real Pushgateway never answers its JSON API with an error body of a pusher's
 * choosing, but a proxy or another program on that port can, and the CLI prints what it answered.
 */
describe('an error a server answered, in the operator terminal', () => {
  const BODY = 'proxy error \u001b[2J\u001b[1;1Hall nodes healthy\u200b\u2028.';
  const server = createServer((_request, response) => response.writeHead(502).end(BODY));
  let address = '';
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it.each([
    ['status', ['status', '--job', 'j']],
    ['end-job', ['end-job', '--job', 'j']],
    ['expire', ['expire', '--after', '1m']],
    ['repair', ['repair']],
  ])('%s shows it escaped', async (_, args) => {
    const result = await runCli([...args, '--gateway', address]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('proxy error \\e[2J\\e[1;1Hall nodes healthy\\u200b\\u2028.');
    expect(result.stdout + result.stderr).not.toMatch(STEERING);
    expect(result.stdout + result.stderr).not.toMatch(/[\u200b\u2028]/);
  });
});
