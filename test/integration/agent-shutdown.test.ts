/**
 * A node's shutdown with an extra source slower than the push timeout (found by a new user: the agent,
 * scraping an endpoint slower than the 5 s push timeout, exited non-zero on SIGTERM with its last state
 * `running` on the gateway, so PersiaNodeDown fired for a node stopped on purpose). The final push gives the
 * sources a share of what is left of the shutdown deadline and goes without those that have not answered:
 * the `stopping` state reaches the real gateway within the deadline, for the agent (the built CLI, SIGTERM
 * while a regular push's scrape is in flight) and for a library program (its own exit status unchanged).
 */
import { existsSync } from 'node:fs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../src/local-stack/wait-for.js';
import { endpoint, killChildren, startAgent } from '../fixtures/agent/agent-processes.js';
import { requireBinary } from '../helpers/binaries.js';
import { CLI_MAIN } from '../helpers/cli-runner.js';
import { parseExposition, seriesKey } from '../helpers/parse-exposition.js';
import { usePushgateway } from '../helpers/pushgateway-fixture.js';
import { nodeEnv, runUserProgram } from '../helpers/user-program.js';

/** Push timeout and shutdown deadline alike, as their defaults (5 s) are: a scrape could take all of it. */
const DEADLINE_SECONDS = 3;

afterAll(killChildren);

describe.skipIf(requireBinary('prometheus-pushgateway') === undefined || !existsSync(CLI_MAIN))('shutdown with an extra source slower than the push timeout', () => {
  const gateway = usePushgateway();
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    await Promise.all(closers.splice(0).map((close) => close()));
  });

  /** A FAULT endpoint that never answers (a real exporter does so only when it hangs), counting the scrapes it received. */
  async function neverAnswering(): Promise<{ url: string; scrapes: () => number }> {
    let scrapes = 0;
    const slow = await endpoint(() => void (scrapes += 1));
    closers.push(slow.close);
    return { url: slow.url, scrapes: () => scrapes };
  }

  async function groupOf(job: string): Promise<Map<string, number>> {
    const samples = parseExposition(await gateway.metricsText()).samples;
    return new Map([...samples].filter(([series]) => series.includes(`job="${job}"`)));
  }

  it('the agent, sent SIGTERM while a scrape of the slow endpoint is in flight, pushes `stopping` within the deadline and exits 0', async () => {
    const job = 'agent_slow_sigterm';
    const slow = await neverAnswering();
    const good = await endpoint((response) => response.end('# TYPE user_good gauge\nuser_good 4\n'));
    closers.push(good.close);
    const seconds = String(DEADLINE_SECONDS);
    const agent = startAgent(gateway.address, job, [slow.url, good.url], [], {
      PERSIA_METRICS_PUSH_INTERVAL_SECONDS: String(DEADLINE_SECONDS + 1),
      PERSIA_METRICS_PUSH_TIMEOUT_SECONDS: seconds,
      PERSIA_METRICS_SHUTDOWN_TIMEOUT_SECONDS: seconds,
    });
    const node = { job, role: 'trainer', instance: 'rep_0' };
    // The first push went without the slow endpoint; the second push's scrape of it is in flight.
    await waitFor(async () => (await groupOf(job)).get(seriesKey('user_good', node)) === 4, { timeoutMs: 20_000, what: 'the first push', details: agent.output });
    await waitFor(async () => slow.scrapes() >= 2, { timeoutMs: 20_000, what: "the second push's scrape", details: agent.output });
    const signalled = Date.now();
    agent.process.kill('SIGTERM');
    expect(await agent.exited, agent.output()).toBe(0);
    expect(Date.now() - signalled).toBeLessThan(DEADLINE_SECONDS * 1000 + 1500);
    const last = await groupOf(job);
    expect(last.get(seriesKey('persia_node_state', { ...node, state: 'stopping' })), agent.output()).toBe(1);
    expect(last.get(seriesKey('persia_node_state', { ...node, state: 'running' }))).toBe(0);
    expect(last.get(seriesKey('user_good', node))).toBe(4);
    // Left out of each push, counted each time (the final push's count is of the pushes before it), said once.
    expect(last.get(seriesKey('persia_metrics_push_failures_total', { ...node, reason: 'extra_source' }))).toBeGreaterThanOrEqual(2);
    expect(agent.output().match(/warning: extraSources\[0\] \(http:\/\/127\.0\.0\.1:\d+\/metrics\) did not answer within/g), agent.output()).toHaveLength(1);
    expect(agent.output()).not.toMatch(/shutdown did not finish|error/);
  }, 60_000);

  it("a library program's shutdown() with a slow scrapeSource resolves within the deadline, `stopping` arrives, and its own exit status stands", async () => {
    const job = 'library_slow_shutdown';
    const slow = await neverAnswering();
    const program = `
import { startNodeMetrics, scrapeSource } from 'persia-metrics';
const metrics = startNodeMetrics({ extraSources: [scrapeSource(process.argv[2])] });
await metrics.flush().catch((error) => console.log('flush:', error.code));
const started = Date.now();
await metrics.shutdown();
console.log('shutdown took', Date.now() - started, 'ms');
process.exitCode = 3;
`;
    const seconds = String(DEADLINE_SECONDS);
    const exit = await runUserProgram(program, {
      args: [slow.url],
      env: nodeEnv(gateway.address, job, {
        PERSIA_METRICS_PUSH_INTERVAL_SECONDS: '30',
        PERSIA_METRICS_PUSH_TIMEOUT_SECONDS: seconds,
        PERSIA_METRICS_SHUTDOWN_TIMEOUT_SECONDS: seconds,
      }),
    });
    expect(exit.code, exit.stderr).toBe(3);
    expect(exit.stdout).toContain('flush: PERSIA_EXTRA_SOURCE');
    const took = Number(/shutdown took (\d+) ms/.exec(exit.stdout)?.[1]);
    expect(took).toBeLessThan(DEADLINE_SECONDS * 1000);
    expect(slow.scrapes()).toBeGreaterThanOrEqual(2); // the final push asked it again, and went without it
    const last = await groupOf(job);
    expect(last.get(seriesKey('persia_node_state', { job, role: 'trainer', instance: 'rep_0', state: 'stopping' })), exit.stderr).toBe(1);
    expect(exit.stderr).not.toMatch(/shutdown did not finish/);
  }, 60_000);
});
