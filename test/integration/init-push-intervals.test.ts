/**
 * `persia-metrics init --push-interval S` for awkward intervals (fractions of a second, floats whose products
 * are not exact, a minute, the longest accepted): what it writes passes `promtool check config`, `promtool
 * check rules` and its own `promtool test rules` cases, every duration is one Prometheus reads, and no number
 * shows float noise. An interval beyond the accepted range is refused. Found by a new user: 0.9 wrote "5.4s",
 * 1.3 wrote "7.800000000000001s", 0.5 and 60 failed their cases. Through the built CLI (`npm run build` first).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_PUSH_INTERVAL_SECONDS } from '../../src/monitoring/options.js';
import { requireBinary } from '../helpers/binaries.js';
import { runCli } from '../helpers/cli-runner.js';

const run = promisify(execFile);
const INTERVALS = [0.05, 0.5, 0.9, 1.3, 7, 60, MAX_PUSH_INTERVAL_SECONDS];
/** A float's noise as JavaScript prints it: 7.800000000000001, 0.30000000000000004, 2.9999999999999996. */
const FLOAT_NOISE = /\d\.\d*(0{6,}|9{6,})\d/;

describe('init --push-interval at awkward intervals', () => {
  const dir = mkdtempSync(join(tmpdir(), 'persia-init-intervals-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const promtool = requireBinary('promtool');

  const promtoolOk = async (args: string[], cwd: string): Promise<void> => {
    // Bounded, and generous for a loaded machine: each run takes a few seconds of CPU.
    const result = await run(promtool ?? '', args, { cwd, timeout: 300_000 }).then(
      (out) => ({ code: 0, text: `${out.stdout}${out.stderr}` }),
      (error: { code?: number; stdout?: string; stderr?: string }) => ({ code: error.code ?? -1, text: `${error.stdout ?? ''}${error.stderr ?? ''}` }),
    );
    expect(result.code, `promtool ${args.join(' ')} in ${cwd}\n${result.text.slice(0, 4000)}`).toBe(0);
  };

  it.skipIf(promtool === undefined)(
    'writes rules, cases and prometheus.yml that promtool accepts and whose cases pass, with valid durations and no float noise',
    async () => {
      await Promise.all(
        INTERVALS.map(async (interval) => {
          const target = join(dir, String(interval));
          const init = await runCli(['init', '--job', 'dlrm', '--dir', target, '--push-interval', String(interval)], {}, { timeoutMs: 60_000 });
          expect(init.code, init.stderr).toBe(0);
          expect(init.stdout).toContain(`nodes are stale after ${Math.round(interval * 6 * 1000) / 1000} s without a push`);
          expect(init.stdout).not.toMatch(FLOAT_NOISE);
          const rules = join(target, 'config/prometheus/rules');
          const written = ['config/prometheus/prometheus.yml', 'config/prometheus/rules/persia-alerts.yml', 'config/prometheus/rules/persia-alerts.test.yml'];
          for (const file of written) expect(readFileSync(join(target, file), 'utf8'), `${file} at ${interval}`).not.toMatch(FLOAT_NOISE);
          const cases = readFileSync(join(rules, 'persia-alerts.test.yml'), 'utf8');
          const durations = [...cases.matchAll(/^\s*-?\s*(?:eval_time|interval|evaluation_interval): (.*)$/gm)].map((match) => match[1] ?? '');
          expect(durations.length).toBeGreaterThan(50);
          expect(durations.filter((text) => !/^\d+(ms|s|m|h)$/.test(text))).toEqual([]);
          await promtoolOk(['check', 'config', 'prometheus.yml'], join(target, 'config/prometheus'));
          await promtoolOk(['check', 'rules', 'persia-alerts.yml', 'persia-recording.yml'], rules);
          await promtoolOk(['test', 'rules', 'persia-alerts.test.yml'], rules);
        }),
      );
    },
    900_000,
  );

  it('refuses an interval the rules cannot follow, naming the range, and writes nothing', async () => {
    for (const interval of [MAX_PUSH_INTERVAL_SECONDS + 0.5, 86_400]) {
      const target = join(dir, `refused-${interval}`);
      const init = await runCli(['init', '--job', 'dlrm', '--dir', target, '--push-interval', String(interval)]);
      expect(init.code).toBe(2);
      expect(init.stderr).toContain(`push interval ${interval} is longer than the alert rules follow (expected 0.05 to ${MAX_PUSH_INTERVAL_SECONDS} seconds`);
      expect(existsSync(target)).toBe(false);
    }
    const help = await runCli(['init', '--help']);
    expect(help.stdout).toContain(`0.05 to ${MAX_PUSH_INTERVAL_SECONDS}`);
  });
});
