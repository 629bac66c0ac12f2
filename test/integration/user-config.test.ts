/**
 * Issue 8, item 10 and the config rough edges, as a user meets them: a user's program (a child process
 * importing 'persia-metrics' by name, see test/helpers/user-program.ts) with its own global_config.yaml and
 * environment, pushing to the real Pushgateway.
 * - PersiaML's own example config (`common_config.metrics_config` with `push_interval_sec`) loads, says once
 *   on stderr how it read that key, and the node pushes at that interval;
 * - a misspelt PERSIA_METRICS_* variable is named on stderr with the closest real one;
 * - REPLICA_INDEX accepts decimal integers only;
 * - a push timeout longer than the interval is warned about.
 */
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../src/local-stack/wait-for.js';
import { requireBinary } from '../helpers/binaries.js';
import { usePushgateway } from '../helpers/pushgateway-fixture.js';
import { runUserProgram, startUserProgram } from '../helpers/user-program.js';
import { PERSIAML_EXAMPLE } from '../unit/config/persiaml-example.js';

const servers = requireBinary('prometheus-pushgateway') !== undefined;

const ALIAS_WARNING = 'common_config.metrics_config.push_interval_sec is read as push_interval_seconds';

/** A server node counting index misses for RUN_MS, then shutting down; prints what it loaded. */
const SERVER_NODE = `
import { startNodeMetrics } from 'persia-metrics';
const metrics = startNodeMetrics({ file: 'global_config.yaml', options: { role: 'server' } });
console.log(JSON.stringify({ interval: metrics.config.options.pushIntervalSeconds, instance: metrics.groupingKey.instance }));
const missed = metrics.counter('index_miss_count').labels();
const end = Date.now() + Number(process.env.RUN_MS ?? 0);
while (Date.now() < end) {
  missed.inc(1);
  await new Promise((resolve) => setTimeout(resolve, 50));
}
await metrics.shutdown();
`;

/** Starts node metrics from the environment only and reports the outcome as one JSON line. */
const START_FROM_ENV = `
import { startNodeMetrics } from 'persia-metrics';
try {
  const metrics = startNodeMetrics();
  await metrics.flush();
  console.log(JSON.stringify({ ok: true, instance: metrics.groupingKey.instance }));
  await metrics.shutdown();
} catch (error) {
  console.log(JSON.stringify({ ok: false, code: error.code, message: error.message }));
}
`;

function occurrences(text: string, part: string): number {
  return text.split(part).length - 1;
}

describe.skipIf(!servers)("users' own config files and environment (issue 8 item 10 and rough edges)", () => {
  const gateway = usePushgateway();

  it("PersiaML's example layout with push_interval_sec loads, warns once on stderr, and the node pushes at that interval", async () => {
    const job = 'persiaml_layout_interval';
    // The example with a 1 s interval instead of 10 s, so a few intervals fit in the test.
    const config = PERSIAML_EXAMPLE.replace('push_interval_sec: 10', 'push_interval_sec: 1');
    const program = startUserProgram(SERVER_NODE, {
      files: { 'global_config.yaml': config },
      env: { PERSIA_METRICS_GATEWAY_ADDR: gateway.address, PERSIA_METRICS_JOB_NAME: job, PERSIA_METRICS_PUSH_TIMEOUT_SECONDS: '1', REPLICA_INDEX: '0', RUN_MS: '4500' },
    });
    const pushTimes = new Set<number>();
    let done = false;
    void program.exited.then(() => (done = true));
    // Every push sets the group's push_time_seconds: sample it far more often than the interval.
    await waitFor(
      async () => {
        const group = (await gateway.groups()).find((candidate) => candidate.labels['job'] === job);
        if (group !== undefined && group.pushTimeSeconds > 0) pushTimes.add(group.pushTimeSeconds);
        return done;
      },
      { timeoutMs: 20_000, intervalMs: 50, what: 'the user program to end', details: () => program.stderr() },
    );
    const exit = await program.exited;
    expect(exit.code, exit.stderr).toBe(0);
    expect(JSON.parse(exit.stdout.trim())).toEqual({ interval: 1, instance: 'rep_0' });
    // The last gap ends at the final push of shutdown(), which comes whenever the loop ends: left out.
    const times = [...pushTimes].sort((a, b) => a - b);
    const gaps = times
      .slice(1)
      .map((time, index) => time - (times[index] ?? 0))
      .slice(0, -1);
    expect(gaps.length, `push times ${times.join(', ')}`).toBeGreaterThanOrEqual(3);
    for (const gap of gaps) expect(gap, `push times ${times.join(', ')}`).toBeGreaterThan(0.75);
    for (const gap of gaps) expect(gap, `push times ${times.join(', ')}`).toBeLessThan(1.5);
    // A node logs its config warnings once at start (src/node-metrics.ts).
    expect(occurrences(exit.stderr, ALIAS_WARNING), exit.stderr).toBe(1);
    expect(exit.stderr).toMatch(new RegExp(`global_config\\.yaml:4: ${ALIAS_WARNING}: 1\\b`));
  });

  it("PersiaML's example file, verbatim, loads with its 10 s interval and pushes to the gateway", async () => {
    const job = 'persiaml_example_verbatim';
    const exit = await runUserProgram(SERVER_NODE, {
      files: { 'global_config.yaml': PERSIAML_EXAMPLE },
      env: { PERSIA_METRICS_GATEWAY_ADDR: gateway.address, PERSIA_METRICS_JOB_NAME: job, REPLICA_INDEX: '3', RUN_MS: '200' },
    });
    expect(exit.code, exit.stderr).toBe(0);
    expect(JSON.parse(exit.stdout.trim())).toEqual({ interval: 10, instance: 'rep_3' });
    const group = (await gateway.groups()).find((candidate) => candidate.labels['job'] === job);
    expect(group?.labels).toEqual({ job, role: 'server', instance: 'rep_3' });
    expect(group?.metricNames).toContain('index_miss_count');
    expect(occurrences(exit.stderr, ALIAS_WARNING), exit.stderr).toBe(1);
  });

  it("both spellings in PersiaML's layout are refused at start, naming the file and line", async () => {
    const config = PERSIAML_EXAMPLE.replace('push_interval_sec: 10', 'push_interval_sec: 10\n    push_interval_seconds: 5');
    const exit = await runUserProgram(
      `import { startNodeMetrics } from 'persia-metrics';
try { startNodeMetrics({ file: 'global_config.yaml' }); console.log('started'); }
catch (error) { console.log(JSON.stringify({ code: error.code, message: error.message })); }`,
      { files: { 'global_config.yaml': config }, env: { PERSIA_METRICS_GATEWAY_ADDR: gateway.address } },
    );
    const outcome = JSON.parse(exit.stdout.trim()) as { code: string; message: string };
    expect(outcome.code).toBe('PERSIA_CONFIG_INVALID');
    expect(outcome.message).toMatch(/global_config\.yaml:4: common_config\.metrics_config\.push_interval_sec: expected one of push_interval_seconds and push_interval_sec/);
  });

  it('a misspelt PERSIA_METRICS_* variable is named on stderr once, with the variable meant', async () => {
    const exit = await runUserProgram(START_FROM_ENV, {
      env: {
        PERSIA_METRICS_GATEWAY_ADDR: gateway.address,
        PERSIA_METRICS_JOB_NAME: 'env_typo',
        PERSIA_METRICS_PUSH_INTERVAL: '1',
        PERSIA_METRICS_DEBUG: '1',
      },
    });
    expect(JSON.parse(exit.stdout.trim())).toMatchObject({ ok: true });
    const warning = 'environment variable PERSIA_METRICS_PUSH_INTERVAL is not a persia-metrics option and is ignored (did you mean PERSIA_METRICS_PUSH_INTERVAL_SECONDS?)';
    expect(occurrences(exit.stderr, warning), exit.stderr).toBe(1);
    // Variables persia-metrics reads for other purposes are not typos.
    expect(exit.stderr).not.toContain('PERSIA_METRICS_DEBUG');
  });

  it.each(['0x10', '1e2', ' 1', '1.0'])('REPLICA_INDEX=%j is refused with a ConfigError naming the variable', async (value) => {
    const exit = await runUserProgram(START_FROM_ENV, { env: { PERSIA_METRICS_GATEWAY_ADDR: gateway.address, PERSIA_METRICS_JOB_NAME: 'replica_text', REPLICA_INDEX: value } });
    const outcome = JSON.parse(exit.stdout.trim()) as { ok: boolean; code?: string; message?: string };
    expect(outcome.ok, exit.stdout).toBe(false);
    expect(outcome.code).toBe('PERSIA_CONFIG_INVALID');
    expect(outcome.message).toContain('environment variable REPLICA_INDEX: replica_index: expected a decimal integer');
  });

  it('REPLICA_INDEX=16 is instance rep_16 in the gateway', async () => {
    const exit = await runUserProgram(START_FROM_ENV, { env: { PERSIA_METRICS_GATEWAY_ADDR: gateway.address, PERSIA_METRICS_JOB_NAME: 'replica_decimal', REPLICA_INDEX: '16' } });
    expect(JSON.parse(exit.stdout.trim())).toEqual({ ok: true, instance: 'rep_16' });
    expect((await gateway.groups()).find((group) => group.labels['job'] === 'replica_decimal')?.labels['instance']).toBe('rep_16');
  });

  it('a push timeout with a fraction of a millisecond (0.1234 s) pushes (found by a new-user session: every push failed with ERR_OUT_OF_RANGE)', async () => {
    const exit = await runUserProgram(START_FROM_ENV, {
      env: { PERSIA_METRICS_GATEWAY_ADDR: gateway.address, PERSIA_METRICS_JOB_NAME: 'fraction_timeout', PERSIA_METRICS_PUSH_TIMEOUT_SECONDS: '0.1234' },
    });
    expect(JSON.parse(exit.stdout.trim()), exit.stderr).toMatchObject({ ok: true });
    expect((await gateway.groups()).some((group) => group.labels['job'] === 'fraction_timeout')).toBe(true);
  });

  it('a push timeout longer than the interval starts, with one warning naming both values and where they came from', async () => {
    const exit = await runUserProgram(START_FROM_ENV, {
      env: { PERSIA_METRICS_GATEWAY_ADDR: gateway.address, PERSIA_METRICS_JOB_NAME: 'slow_timeout', PERSIA_METRICS_PUSH_TIMEOUT_SECONDS: '30' },
    });
    expect(JSON.parse(exit.stdout.trim())).toMatchObject({ ok: true });
    const warning = 'push_timeout_seconds 30 (PERSIA_METRICS_PUSH_TIMEOUT_SECONDS) is longer than push_interval_seconds 10 (default)';
    expect(occurrences(exit.stderr, warning), exit.stderr).toBe(1);
  });
});
