/**
 * `persia-metrics simulate` as a user runs it: bad `--gateway` and `--slow` values are usage errors naming the
 * option (exit 2, no node started), and a run whose every push failed says so and exits 1. Needs
 * `npm run build` first.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/local-stack/free-port.js';
import { runCli } from '../helpers/cli-runner.js';

const dir = mkdtempSync(join(tmpdir(), 'persia-simulate-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

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
    ['a factor that is not a number', 'middleware/rep_0=fast', 'factor "fast"', 'not a number above 0'],
    ['a zero factor', 'middleware/rep_0=0', 'factor "0"', 'not a number above 0'],
    ['a negative factor', 'server/rep_0=-2', 'factor "-2"', 'not a number above 0'],
    ['no factor', 'server/rep_0', 'expected ROLE/INSTANCE=FACTOR', 'found "server/rep_0"'],
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
