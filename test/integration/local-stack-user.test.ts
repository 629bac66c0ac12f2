/**
 * `persia-metrics/local-stack` called from a user's plain JavaScript, options left out or mistyped (found by
 * a README-only session: `waitFor(fn)` without options spun without pause and without end, and its
 * timeout error said "waiting for undefined"; `startPrometheus()` without scrapeTargets failed on
 * `.length` of undefined).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { requireBinary } from '../helpers/binaries.js';
import { killUserPrograms, runUserProgram } from '../helpers/user-program.js';

const prometheusInstalled = requireBinary('prometheus') !== undefined;
const pushgatewayInstalled = requireBinary('prometheus-pushgateway') !== undefined;

describe("persia-metrics/local-stack's waitFor in a user's program", () => {
  afterAll(() => killUserPrograms());

  it('has defaults, names what it waited for, and refuses a timeout that is not a number', async () => {
    const exit = await runUserProgram(
      `
import { waitFor } from 'persia-metrics/local-stack';
let calls = 0;
console.log('value', await waitFor(async () => (++calls >= 3 ? 'ready' : undefined)));
const started = Date.now();
try {
  await waitFor(async function gatewayHasMyGroup() { calls += 1; return false; }, { timeoutMs: 300 });
} catch (error) {
  console.log('timeout', error.message.split('\\n')[0], Date.now() - started < 2000);
}
console.log('calls', calls < 20); // default pause 100 ms between attempts: a handful in 300 ms, not thousands
for (const bad of [{ timeoutMs: '5s' }, { intervalMs: NaN }, { timeoutMs: -1 }]) {
  try {
    await waitFor(async () => false, bad);
  } catch (error) {
    console.log(error.name, error.message);
  }
}
`,
      { timeoutMs: 15_000 },
    );
    expect(exit.code, exit.stderr).toBe(0);
    expect(exit.stdout).toContain('value ready');
    expect(exit.stdout).toMatch(/timeout Timed out after \d+ ms \(\d+ attempts\) waiting for gatewayHasMyGroup to hold true/);
    expect(exit.stdout).toContain('calls true');
    expect(exit.stdout).toContain('TypeError waitFor: options.timeoutMs must be a positive number of milliseconds, got string');
    expect(exit.stdout).toContain('TypeError waitFor: options.intervalMs must be a positive number of milliseconds, got NaN');
    expect(exit.stdout).toContain('TypeError waitFor: options.timeoutMs must be a positive number of milliseconds, got -1');
  });

  it.skipIf(!prometheusInstalled)('startPrometheus() needs no options, and names a mistyped one', async () => {
    const exit = await runUserProgram(
      `
import { startPrometheus } from 'persia-metrics/local-stack';
const prometheus = await startPrometheus();
console.log('ready', (await fetch(prometheus.url + '/-/ready')).status);
await prometheus.stop();
for (const bad of [{ scrapeTargets: '127.0.0.1:9091' }, { scrapeTargets: ['http://127.0.0.1:9091'] }, { scrapeIntervalSeconds: '1s' }]) {
  try {
    await startPrometheus(bad);
    console.log('started with', JSON.stringify(bad));
  } catch (error) {
    console.log(error.name, error.message);
  }
}
`,
      { timeoutMs: 40_000 },
    );
    expect(exit.code, exit.stderr).toBe(0);
    expect(exit.stdout).toContain('ready 200');
    expect(exit.stdout).toContain('TypeError startPrometheus: scrapeTargets must be an array of "host:port" strings (e.g. [gateway.address]), got "127.0.0.1:9091"');
    expect(exit.stdout).toContain('got ["http://127.0.0.1:9091"]');
    expect(exit.stdout).toContain('TypeError startPrometheus: scrapeIntervalSeconds must be a positive number of seconds, got "1s"');
    expect(exit.stdout).not.toContain('started with');
  });

  it.skipIf(!pushgatewayInstalled)('startPushgateway takes port 0 as "any free port" and names a mistyped option before starting anything', async () => {
    const exit = await runUserProgram(
      `
import { startPushgateway } from 'persia-metrics/local-stack';
const gateway = await startPushgateway({ port: 0 });
console.log('ready', gateway.port > 0, (await fetch(gateway.url + '/-/ready')).status);
await gateway.stop();
for (const bad of [null, { port: '0' }, { port: -1 }, { port: 70000 }, { extraArgs: '--x' }]) {
  const started = Date.now();
  try {
    await startPushgateway(bad);
    console.log('started with', JSON.stringify(bad));
  } catch (error) {
    console.log(error.name, error.message, Date.now() - started < 1000);
  }
}
`,
      { timeoutMs: 30_000 },
    );
    expect(exit.code, exit.stderr).toBe(0);
    expect(exit.stdout).toContain('ready true 200');
    expect(exit.stdout).toContain('TypeError startPushgateway: options must be an object { port, extraArgs }, got null true');
    expect(exit.stdout).toContain('TypeError startPushgateway: port must be an integer from 0 (pick a free one) to 65535, got "0" true');
    expect(exit.stdout).toContain('got -1 true');
    expect(exit.stdout).toContain('got 70000 true');
    expect(exit.stdout).toContain('TypeError startPushgateway: extraArgs must be an array of strings (one flag each), got "--x" true');
    expect(exit.stdout).not.toContain('started with');
  });
});
