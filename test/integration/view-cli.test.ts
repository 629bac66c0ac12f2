/**
 * `persia-metrics view` as a user starts it: bad options are usage errors (exit 2) naming the option and what
 * was expected, a port already taken is a runtime error (exit 1), and with --json stdout holds one JSON
 * document either way. Needs `npm run build` first.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { spawnManaged } from '../../src/local-stack/managed-process.js';
import { waitFor } from '../../src/local-stack/wait-for.js';
import { requireBinary } from '../helpers/binaries.js';
import { CLI_MAIN, runCli } from '../helpers/cli-runner.js';

describe('persia-metrics view: options', () => {
  it('--help documents the command and the exit codes', async () => {
    const { code, stdout } = await runCli(['view', '--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('--prometheus <url>');
    expect(stdout).toContain('Exit codes: 0 success, 1 runtime failure, 2 usage or configuration error');
  });

  // Each run starts node (1-2 s on a loaded machine): a few cases, the JSON form checked on two of them.
  it.each([
    [['--prometheus', 'http://127.0.0.1:9090', '--port', 'abc'], "option '--port <n>' argument 'abc' is invalid. expected a TCP port from 0 to 65535", true],
    [['--prometheus', 'not-a-url'], "option '--prometheus <url>' argument 'not-a-url' is invalid. expected the http:// or https:// URL of Prometheus", true],
    [['--prometheus', 'ftp://127.0.0.1:9090'], 'expected the http:// or https:// URL of Prometheus', false],
    [['--prometheus', 'http://127.0.0.1:9090', '--refresh', '0'], 'expected a positive number of seconds', false],
    // Beyond 2^31 - 1 ms the page's timer would fire at once, refreshing back to back.
    [['--prometheus', 'http://127.0.0.1:9090', '--refresh', '3000000'], "option '--refresh <seconds>' argument '3000000' is invalid. expected 0.5 to 3600 seconds", true],
    [[], "required option '--prometheus <url>' not specified", false],
  ])('view %j is a usage error', async (args, message, checkJson) => {
    const { code, stdout, stderr } = await runCli(['view', ...args]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain(message);
    if (!checkJson) return;
    const json = await runCli(['view', ...args, '--json']);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout)).toMatchObject({ error: { code: 'PERSIA_USAGE' } });
  });

  it('a port already in use is a runtime error naming the address, as JSON too', async () => {
    const taken: Server = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const address = taken.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    try {
      const { code, stderr } = await runCli(['view', '--prometheus', 'http://127.0.0.1:9090', '--port', String(port)]);
      expect(code).toBe(1);
      expect(stderr).toContain(`persia-metrics: error: cannot listen on 127.0.0.1:${port}: the port is in use`);
      const json = await runCli(['view', '--prometheus', 'http://127.0.0.1:9090', '--port', String(port), '--json']);
      expect(json.code).toBe(1);
      expect(JSON.parse(json.stdout)).toMatchObject({ error: { code: 'PERSIA_VIEW_FAILED' } });
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  it.each([
    ['0.0.0.0', /^persia-metrics view: http:\/\/127\.0\.0\.1:\d+\/ /],
    ['::', /^persia-metrics view: http:\/\/\[::1\]:\d+\/ /],
  ])('--host %s warns that the page is reachable from the network and prints a URL to open here', async (host, url) => {
    const view = spawnManaged('view', process.execPath, [CLI_MAIN, 'view', '--prometheus', 'http://alice:s3cret@127.0.0.1:9', '--host', host, '--port', '0']);
    try {
      const line = await waitFor(
        async () =>
          view
            .output()
            .split('\n')
            .find((text) => text.startsWith('persia-metrics view: ')),
        {
          timeoutMs: 15_000,
          intervalMs: 100,
          what: 'the view to print its URL',
          details: () => view.output(),
        },
      );
      expect(line).toMatch(url);
      // The password of --prometheus is never printed.
      expect(line).toContain('(reading http://alice:***@127.0.0.1:9;');
      expect(view.output()).not.toContain('s3cret');
      expect(view.output()).toContain(`persia-metrics: warning: listening on ${host}: the page and the job's metrics are reachable from the network, without a password`);
    } finally {
      await view.stop();
    }
  });

  it.skipIf(requireBinary('prometheus') === undefined || requireBinary('prometheus-pushgateway') === undefined)(
    'demo answers its PromQL questions for a job named with a quote and a backslash, the slowdown scores as the job ran',
    async () => {
      const { code, stdout, stderr } = await runCli(
        ['demo', '--job', 'a"b\\c', '--duration', '15', '--trainers', '1', '--middleware', '2', '--servers', '1'],
        {},
        { timeoutMs: 90_000 },
      );
      expect(stderr).not.toMatch(/error/i);
      expect(code).toBe(0);
      const answer = /nodes reporting per role\n {2}count by \(role\) \(push_time_seconds\{job="a\\"b\\\\c"\}\)\n([\s\S]*?)\n\n/.exec(stdout)?.[1];
      expect(answer, stdout).toBeDefined();
      expect(answer).not.toContain('(no data)');
      expect(answer).toMatch(/role=trainer\s+1/);
      // The shipped scores leave out nodes that stopped cleanly: asked after the stop, this read "(no data)".
      const scores = /slowdown score per node[^\n]*\n[^\n]*\n([\s\S]*?)\n\n/.exec(stdout)?.[1];
      expect(scores, stdout).toMatch(/instance=rep_0 role=server\s+\d/);
      expect(scores).toMatch(/instance=rep_1 role=middleware\s+\d/);
    },
    120_000,
  );

  it('the published package carries the page (its compiled modules) and depends on uplot for the charts', async () => {
    const root = join(import.meta.dirname, '../..');
    const { stdout } = await promisify(execFile)('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, timeout: 60_000 });
    const files = (JSON.parse(stdout) as Array<{ files: Array<{ path: string }> }>)[0]?.files.map((file) => file.path) ?? [];
    for (const module of ['main', 'api', 'charts', 'format', 'node-rows', 'nodes-view']) expect(files).toContain(`dist/src/view/page/${module}.js`);
    expect(files).toContain('dist/src/view/view-server.js');
    // The one module the page shares with the server (src/monitoring/view-contract.ts), served from where it is built.
    expect(files).toContain('dist/src/monitoring/view-contract.js');
    expect(files.filter((file) => file.startsWith('src/'))).toEqual([]);
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(manifest.dependencies).toHaveProperty('uplot');
  });
});
