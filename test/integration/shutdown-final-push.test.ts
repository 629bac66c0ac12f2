/**
 * shutdown()'s final push against a gateway that is down when the job ends: a user's program (by package
 * name) and a real Pushgateway that restarts during the shutdown, or never comes back. The final push
 * retries within the shutdown deadline, so a restarting gateway still gets the `stopping` state (before:
 * one refused connection ended shutdown within milliseconds, and a clean exit looked like a dead node);
 * and a gateway that never comes back still costs no more than the deadline.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../src/local-stack/free-port.js';
import { waitFor } from '../../src/local-stack/wait-for.js';
import { requireBinary } from '../helpers/binaries.js';
import { parseExposition, seriesKey } from '../helpers/parse-exposition.js';
import { usePushgateway } from '../helpers/pushgateway-fixture.js';
import { runUserProgram, startUserProgram, nodeEnv } from '../helpers/user-program.js';

const servers = requireBinary('prometheus-pushgateway') !== undefined;

/**
 * Pushes once, waits for the file `go`, then shuts down; says when shutdown's first attempt has failed (its
 * failures count grows), so the test restarts the gateway only after that, and how shutdown ended.
 */
const SHUT_DOWN_ON_GO = `
import { existsSync } from 'node:fs';
import { startNodeMetrics } from 'persia-metrics';
const metrics = startNodeMetrics();
metrics.step(); metrics.step(); metrics.step();
await metrics.flush();
console.log('flushed');
while (!existsSync('go')) await new Promise((resolve) => setTimeout(resolve, 20));
const failuresBefore = metrics.pushStats.failures;
const attemptsBefore = metrics.pushStats.attempts;
const started = Date.now();
const done = metrics.shutdown().then(() => 'resolved', (error) => \`rejected \${error.code}\`);
while (metrics.pushStats.failures === failuresBefore) await new Promise((resolve) => setTimeout(resolve, 5));
console.log('first final push failed');
const outcome = await done;
console.log(\`shutdown \${outcome} after \${Date.now() - started} ms, \${metrics.pushStats.attempts - attemptsBefore} attempts\`);
`;

describe.skipIf(!servers)('shutdown against a gateway that is down as the job ends', () => {
  const gateway = usePushgateway();

  it('a gateway restarting during shutdown still gets the last values and the `stopping` state', async () => {
    const job = 'final_push_restart';
    // A long interval: only the first flush and shutdown push; a deadline with room for a slow restart.
    const env = nodeEnv(gateway.address, job, { PERSIA_METRICS_PUSH_INTERVAL_SECONDS: '60', PERSIA_METRICS_SHUTDOWN_TIMEOUT_SECONDS: '15' });
    const program = startUserProgram(SHUT_DOWN_ON_GO, { env });
    const said = (line: string) => () =>
      waitFor(async () => program.stdout().includes(line) || program.child.exitCode !== null, { timeoutMs: 15_000, intervalMs: 20, what: line, details: () => program.stderr() });
    await said('flushed')();
    await gateway.stop();
    writeFileSync(join(program.dir, 'go'), '');
    await said('first final push failed')();
    await gateway.restart();
    const exit = await program.exited;
    expect(exit.code, exit.stderr).toBe(0);
    expect(exit.stdout).toMatch(/shutdown resolved after \d+ ms, ([2-9]|\d\d+) attempts/);
    expect(exit.stderr).not.toMatch(/final push failed/);
    const samples = parseExposition(await gateway.metricsText()).samples;
    const node = { instance: 'rep_0', job, role: 'trainer' };
    expect(samples.get(seriesKey('persia_node_state', { ...node, state: 'stopping' }))).toBe(1);
    expect(samples.get(seriesKey('persia_node_steps_total', node))).toBe(3);
  });

  it('a gateway that never comes back: retried, then reported, within the deadline', async () => {
    const down = `127.0.0.1:${await freePort()}`;
    const program = startUserProgram(SHUT_DOWN_ON_GO.replace('await metrics.flush();', 'await metrics.flush().catch(() => {});'), {
      env: nodeEnv(down, 'final_push_never', { PERSIA_METRICS_PUSH_INTERVAL_SECONDS: '60', PERSIA_METRICS_SHUTDOWN_TIMEOUT_SECONDS: '2' }),
      files: { go: '' },
    });
    const exit = await program.exited;
    expect(exit.code, exit.stderr).toBe(0);
    const [, outcome, ms, attempts] = /shutdown (.*) after (\d+) ms, (\d+) attempts/.exec(exit.stdout) ?? [];
    expect(outcome, exit.stdout).toBe('rejected PERSIA_PUSH_NETWORK');
    expect(Number(attempts)).toBeGreaterThan(1);
    expect(Number(ms)).toBeLessThan(2_000 + 500);
    expect(exit.stderr).toMatch(/final push failed: .*ECONNREFUSED.*; giving up \(shutdown\)/);
  });

  it('shutdown(Infinity), no deadline, against a gateway that never comes back: retried for shutdown_timeout_seconds, then reported (it never stalls the program)', async () => {
    const program = SHUT_DOWN_ON_GO.replace('await metrics.flush();', 'await metrics.flush().catch(() => {});').replace('metrics.shutdown()', 'metrics.shutdown(Infinity)');
    const exit = await runUserProgram(program, {
      env: nodeEnv(`127.0.0.1:${await freePort()}`, 'final_push_no_deadline', { PERSIA_METRICS_PUSH_INTERVAL_SECONDS: '60', PERSIA_METRICS_SHUTDOWN_TIMEOUT_SECONDS: '2' }),
      files: { go: '' },
      timeoutMs: 30_000,
    });
    expect(exit.code, exit.stderr).toBe(0);
    const [, ms, attempts] = /shutdown rejected PERSIA_PUSH_NETWORK after (\d+) ms, (\d+) attempts/.exec(exit.stdout) ?? [];
    expect(Number(attempts), exit.stdout).toBeGreaterThan(1);
    expect(Number(ms)).toBeLessThan(2_000 + 500);
  });

  it("push_retries 0 turns the final push's retries off as well", async () => {
    const exit = await runUserProgram(SHUT_DOWN_ON_GO.replace('await metrics.flush();', 'await metrics.flush().catch(() => {});'), {
      env: nodeEnv(`127.0.0.1:${await freePort()}`, 'final_push_no_retries', { PERSIA_METRICS_PUSH_RETRIES: '0' }),
      files: { go: '' },
    });
    expect(exit.code, exit.stderr).toBe(0);
    expect(exit.stdout).toMatch(/shutdown rejected PERSIA_PUSH_NETWORK after \d+ ms, 1 attempts/);
  });
});
