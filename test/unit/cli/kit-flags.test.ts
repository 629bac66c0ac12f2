/**
 * The CLI's flag parsers (src/cli/kit/flags.ts), through the commands that use them, in-process: numbers
 * are read in decimal only (`0x200` is not 512, `1e1` is not 10), and a bad value is a usage error (exit 2,
 * the README's exit-code contract) naming the option, writing nothing.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseDuration, parseSeconds, parseTimeoutSeconds } from '../../../src/cli/kit/flags.js';
import { runInProcess } from '../../helpers/in-process-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'persia-kit-flags-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('whole numbers are decimal digits only', () => {
  it.each([
    ['--nodes', '0x200'],
    ['--nodes', '1e3'],
    ['--nodes', ' 512'],
    ['--series-per-node', '0b11'],
  ])('init %s %s is a usage error, and nothing is written', async (flag, value) => {
    const target = join(dir, `init-${flag}-${value.trim()}`);
    const pair = flag === '--nodes' ? ['--series-per-node', '10'] : ['--nodes', '4'];
    const result = await runInProcess(['init', '--job', 'j', '--dir', target, flag, value, ...pair]);
    expect(result.code, result.err).toBe(2);
    expect(result.err).toContain(`option '${flag} <n>' argument '${value}' is invalid. expected a whole number of at least 1, found "${value}"`);
    expect(existsSync(target)).toBe(false);
  });

  it.each([
    ['--trainers', '1e1'],
    ['--middleware', '0x2'],
    ['--servers', '2.0'],
    ['--step-ms', '-1'],
  ])('simulate %s %s is a usage error before any node starts', async (flag, value) => {
    const result = await runInProcess(['simulate', flag, value, '--gateway', '127.0.0.1:1']);
    expect(result.code, result.err).toBe(2);
    expect(result.err).toContain(`argument '${value}' is invalid. expected a whole number from 0 to 100000, found "${value}"`);
    expect(result.err).not.toContain('node');
  });

  it('under --json a usage error is also the JSON error document on stdout', async () => {
    const result = await runInProcess(['init', '--job', 'j', '--dir', join(dir, 'json'), '--nodes', '0x200', '--series-per-node', '10', '--json']);
    expect(result.code).toBe(2);
    const document = JSON.parse(result.out) as { error: { code: string; message: string } };
    expect(document.error.code).toBe('PERSIA_USAGE');
    expect(document.error.message).toContain('expected a whole number of at least 1');
  });
});

describe('seconds and durations: one rule each', () => {
  it('seconds are decimal numbers above 0', () => {
    expect([parseSeconds('10'), parseSeconds('0.5'), parseSeconds('.5')]).toEqual([10, 0.5, 0.5]);
    for (const text of ['0', '1e1', '0x10', ' 5', '', 'Infinity', '-1']) expect(() => parseSeconds(text), text).toThrow('expected a positive number of seconds');
  });

  it('a request timeout is rounded to whole milliseconds and read by the same rule', () => {
    expect(parseTimeoutSeconds('0.1234')).toBe(0.123);
    expect(() => parseTimeoutSeconds('1e1')).toThrow('expected a number of seconds from 0.001 to 3600');
  });

  it('a flag that sets an option takes what the option table takes (demo --interval is push_interval_seconds)', async () => {
    const result = await runInProcess(['demo', '--interval', '0.01']);
    expect(result.code).toBe(2);
    expect(result.err).toContain("option '--interval <seconds>' argument '0.01' is invalid. expected number (s), at least 0.05");
  });

  it('durations keep their own spelling (90s, 1h30m) and limits', () => {
    expect(parseDuration('1h30m')).toBe(5400);
    expect(() => parseDuration('1e1')).toThrow('expected a duration such as');
  });

  it('simulate-node --role is checked against the role option before the node starts', async () => {
    const result = await runInProcess(['simulate-node', '--role', 'worker', '--gateway', '127.0.0.1:1']);
    expect(result.code).toBe(2);
    expect(result.err).toContain("argument 'worker' is invalid. expected");
    expect(result.err).toContain('trainer');
  });
});
