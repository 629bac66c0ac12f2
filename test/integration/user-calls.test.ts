/**
 * Explicit calls made the way users make them by mistake (found by a new-user session), against the real
 * Pushgateway: `shutdown(Infinity)` ("wait as long as it takes") and other deadlines a timer cannot hold,
 * arguments that are not deadlines at all, and `flush()` / `shutdown()` from inside an extra source's
 * `metrics()`. Each settles with the final push sent, or rejects with a typed error and stops nothing.
 */
import { describe, expect, it } from 'vitest';
import { requireBinary } from '../helpers/binaries.js';
import { parseExposition, seriesKey } from '../helpers/parse-exposition.js';
import { usePushgateway } from '../helpers/pushgateway-fixture.js';
import { runUserProgram, startUserProgram, nodeEnv as userNodeEnv } from '../helpers/user-program.js';
import { waitFor } from '../../src/local-stack/wait-for.js';

const servers = requireBinary('prometheus-pushgateway') !== undefined;

/** A node that pushes only when asked (60 s interval) and gives up a request after 1 s. */
const nodeEnv = (gatewayAddr: string, job: string): Record<string, string> =>
  userNodeEnv(gatewayAddr, job, { PERSIA_METRICS_PUSH_INTERVAL_SECONDS: '60', PERSIA_METRICS_PUSH_TIMEOUT_SECONDS: '1' });

describe.skipIf(!servers)('explicit calls as users get them wrong (real gateway)', () => {
  const gateway = usePushgateway();

  const nanCount = async (job: string) =>
    parseExposition(await gateway.metricsText()).samples.get(seriesKey('nan_count', { feature: 'f', instance: 'rep_0', job, role: 'trainer' }));

  it.each([['Infinity'], ['1e9'], ['3000000']])('shutdown(%s) waits as long as it takes: the final push arrives', async (deadline) => {
    const job = `calls_deadline_${deadline.replace(/\W/g, '_')}`;
    const exit = await runUserProgram(
      `
import { startNodeMetrics } from 'persia-metrics';
const metrics = startNodeMetrics();
metrics.counter('nan_count').labels('f').inc(7);
await metrics.shutdown(${deadline});
console.log('shut down');
`,
      { env: nodeEnv(gateway.address, job) },
    );
    expect(exit.code, exit.stderr).toBe(0);
    expect(exit.stdout).toContain('shut down');
    expect(exit.stderr).not.toMatch(/TimeoutOverflowWarning/);
    expect(await nanCount(job)).toBe(7);
  });

  it('shutdown(NaN | 0 | -1 | null | "5") rejects with a ConfigError and stops nothing; shutdown() then pushes', async () => {
    const job = 'calls_bad_deadline';
    const exit = await runUserProgram(
      `
import { startNodeMetrics } from 'persia-metrics';
const metrics = startNodeMetrics();
metrics.counter('nan_count').labels('f').inc(3);
for (const deadline of [NaN, 0, -1, null, '5']) {
  try {
    await metrics.shutdown(deadline);
    console.log('accepted', String(deadline));
  } catch (error) {
    console.log('refused', error.code, error.path);
  }
}
metrics.counter('nan_count').labels('f').inc(1);
await metrics.flush();
await metrics.shutdown();
console.log('shut down');
`,
      { env: nodeEnv(gateway.address, job) },
    );
    expect(exit.code, exit.stderr).toBe(0);
    expect(exit.stdout.match(/^refused PERSIA_CONFIG_INVALID timeoutSeconds$/gm)).toHaveLength(5);
    expect(exit.stdout).not.toContain('accepted');
    expect(exit.stdout).toContain('shut down');
    expect(await nanCount(job)).toBe(4);
  });

  it('handleShutdownSignals with a wrong argument throws at the call, not at SIGTERM; a right one still pushes and exits 143 (found by a new-user session)', async () => {
    const job = 'calls_bad_signals';
    const program = startUserProgram(
      `
import { startNodeMetrics, handleShutdownSignals } from 'persia-metrics';
const metrics = startNodeMetrics();
metrics.counter('nan_count').labels('f').inc(2);
for (const [target, options] of [[undefined], [{}], [metrics, { signals: 'SIGTERM' }], [metrics, { signals: ['SIGFOO'] }], [metrics, { signals: ['SIGKILL'] }], [metrics, { exit: 'no' }], [metrics, null]]) {
  try {
    handleShutdownSignals(target, options);
    console.log('accepted');
  } catch (error) {
    console.log('refused', error.code, error.path);
  }
}
handleShutdownSignals(metrics);
console.log('ready');
setInterval(() => undefined, 1000);
`,
      { env: nodeEnv(gateway.address, job) },
    );
    await waitFor(async () => program.stdout().includes('ready'), { timeoutMs: 15_000, intervalMs: 20, what: 'the program to install its handler' });
    program.child.kill('SIGTERM');
    const exit = await program.exited;
    expect(exit.code, exit.stderr).toBe(143);
    expect(exit.stdout).not.toContain('accepted');
    expect(exit.stdout.match(/^refused PERSIA_CONFIG_INVALID \S+$/gm)?.map((line) => line.split(' ')[2])).toEqual([
      'target',
      'target',
      'options.signals',
      'options.signals',
      'options.signals',
      'options.exit',
      'options',
    ]);
    expect(await nanCount(job)).toBe(2);
  });

  it('a misspelt key (option, fil, signal) is refused with the closest key named, and nothing is pushed (found by a new-user session)', async () => {
    const job = 'calls_typo_keys';
    const exit = await runUserProgram(
      `
import { startNodeMetrics, handleShutdownSignals } from 'persia-metrics';
const tries = [
  () => startNodeMetrics({ option: { role: 'server', instance: 's0' }, options: { gatewayAddr: '${gateway.address}' } }),
  () => startNodeMetrics({ fil: 'does-not-exist.yaml' }),
  () => startNodeMetrics({ optionz: {}, zzzzzzzz: 1 }),
];
for (const attempt of tries) {
  try {
    await attempt().shutdown();
    console.log('accepted');
  } catch (error) {
    console.log(\`refused \${error.code} \${error.path} | \${error.message}\`);
  }
}
const metrics = startNodeMetrics({ options: { pushIntervalSeconds: 60 } });
try {
  handleShutdownSignals(metrics, { signal: ['SIGTERM'] });
  console.log('accepted');
} catch (error) {
  console.log(\`refused \${error.code} \${error.path} | \${error.message}\`);
}
await metrics.shutdown();
`,
      { env: nodeEnv(gateway.address, job) },
    );
    expect(exit.code, exit.stderr).toBe(0);
    expect(exit.stdout).not.toContain('accepted');
    const refused = exit.stdout.trim().split('\n');
    expect(refused.map((line) => line.split(' | ')[0])).toEqual([
      'refused PERSIA_CONFIG_INVALID option',
      'refused PERSIA_CONFIG_INVALID fil',
      'refused PERSIA_CONFIG_INVALID optionz',
      'refused PERSIA_CONFIG_INVALID options.signal',
    ]);
    expect(refused[0]).toMatch(/startNodeMetrics\(\): option: expected one of the keys file, .*found unknown key "option" \(did you mean options\?\)/);
    expect(refused[1]).toMatch(/\(did you mean file\?\)/);
    expect(refused[3]).toMatch(/handleShutdownSignals\(\): options\.signal: .*\(did you mean signals\?\)/);
    // Only the one node started right reached the gateway: none with the misspelt option's role.
    const groups = (await gateway.groups()).filter((group) => group.labels['job'] === job);
    expect(groups.map((group) => group.labels['role'])).toEqual(['trainer']);
  });

  it('flush() and shutdown() from inside an extra source reject with PERSIA_REENTRANT_CALL at once; the outer calls settle', async () => {
    const job = 'calls_reentrant';
    const exit = await runUserProgram(
      `
import { startNodeMetrics } from 'persia-metrics';
let metrics;
const inner = [];
const source = {
  async metrics() {
    if (metrics === undefined) return ''; // the first push starts inside startNodeMetrics()
    for (const call of ['flush', 'shutdown']) {
      try {
        await metrics[call]();
        inner.push(call + ' resolved');
      } catch (error) {
        inner.push(call + ' ' + error.code);
      }
    }
    return '# TYPE user_steps gauge\\nuser_steps 2\\n';
  },
};
metrics = startNodeMetrics({ extraSources: [source] });
metrics.counter('nan_count').labels('f').inc(2);
try {
  await metrics.flush();
  console.log('outer flush ok');
} catch (error) {
  console.log('outer flush', error.code);
}
await metrics.shutdown();
console.log(JSON.stringify([...new Set(inner)]));
`,
      { env: nodeEnv(gateway.address, job), timeoutMs: 20_000 },
    );
    expect(exit.code, exit.stderr).toBe(0);
    expect(exit.stdout).toContain('outer flush ok');
    expect(JSON.parse(exit.stdout.trim().split('\n').at(-1) ?? '[]')).toEqual(['flush PERSIA_REENTRANT_CALL', 'shutdown PERSIA_REENTRANT_CALL']);
    expect(exit.stderr).not.toMatch(/RangeError|Maximum call stack|MaxListenersExceeded|did not answer/);
    expect(exit.elapsedMs).toBeLessThan(10_000); // no push waited for its own source
    expect(await nanCount(job)).toBe(2);
  });
});
