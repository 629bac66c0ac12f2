/**
 * An option that takes one value, given twice, is a usage error (exit 2) naming the option, on every command:
 * `status --job a --job b` used to watch job b alone without a word (found by a README-only session). The
 * repeatable options (`--slow`, `--hang`, `--scrape`) still add up. Nothing is contacted: the check comes
 * before any action runs (the gateway addresses below have no listener).
 */
import { describe, expect, it } from 'vitest';
import { runInProcess } from '../../helpers/in-process-cli.js';

const NOWHERE = '127.0.0.1:9';

describe('an option given twice', () => {
  it.each([
    ['status', ['status', '--job', 'a', '--job', 'b', '--gateway', NOWHERE], "option '-j, --job <name>'"],
    ['status --gateway', ['status', '--job', 'a', '--gateway', NOWHERE, '--gateway', '127.0.0.1:10'], "option '-g, --gateway <host:port>'"],
    ['simulate --duration', ['simulate', '--duration', '1', '--duration', '2', '--gateway', NOWHERE], "option '--duration <seconds>'"],
    ['check --config', ['check', '--config', 'a.yaml', '--config', 'b.yaml'], "option '-c, --config <file>'"],
    ['explain --json', ['explain', '--json', '--json'], "option '--json'"],
  ])('%s: exit 2 naming the option, nothing run', async (_, args, option) => {
    const { code, err } = await runInProcess(args);
    expect(code, err).toBe(2);
    expect(err).toContain(`${option} given more than once (it is not repeatable)`);
  });

  it('under --json the usage error is the JSON error document too', async () => {
    const { code, out } = await runInProcess(['status', '--job', 'a', '--job', 'b', '--gateway', NOWHERE, '--json']);
    expect(code).toBe(2);
    expect(JSON.parse(out)).toMatchObject({ error: { code: 'PERSIA_USAGE' } });
  });

  it('repeatable options still add up: two --slow values are both checked (the second one here names no simulated node)', async () => {
    const { code, err } = await runInProcess(['simulate', '--middleware', '2', '--slow', 'middleware/rep_0=3', '--slow', 'middleware/rep_5=2', '--gateway', NOWHERE]);
    expect(code).toBe(2);
    expect(err).toContain('--slow middleware/rep_5=2: rep_5 is not a simulated node');
    expect(err).not.toContain('given more than once');
  });
});
