/**
 * What a new user writes in `--scrape` and gets wrong or takes for granted (a README-only session,
 * breaker17b findings 3 and 4), through the built CLI and the real Pushgateway:
 * - one endpoint given twice (a copy-paste slip in a launcher) is a usage error naming --scrape, and a
 *   library program's two scrapeSource()s of one endpoint a typed error naming extraSources[1]: accepted, every family
 *   of the page clashed with itself, one warning each, and push failures rose by their number at every push;
 * - a family that keeps clashing (a trainer exporting a catalog name with another type) is said once and is
 *   no push failure: persia_metrics_push_failures_total stays 0 (status shows none) while every push lands;
 *   persia_metrics_extra_source_families_left_out says 1;
 * - `http://user:password@host/metrics` is scraped with basic auth (the endpoint below refuses anything
 *   else with 401, as a password-protected exporter does) and the password is never printed.
 */
import { existsSync } from 'node:fs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../src/local-stack/wait-for.js';
import { endpoint, killChildren, startAgent, startTrainer } from '../fixtures/agent/agent-processes.js';
import { requireBinary } from '../helpers/binaries.js';
import { CLI_MAIN, runCli } from '../helpers/cli-runner.js';
import { parseExposition, seriesKey } from '../helpers/parse-exposition.js';
import { usePushgateway } from '../helpers/pushgateway-fixture.js';
import { findPython } from '../helpers/python-trainer.js';
import { killUserPrograms, nodeEnv, runUserProgram } from '../helpers/user-program.js';

const python = findPython();
const gatewayBinary = requireBinary('prometheus-pushgateway') !== undefined;

afterAll(() => {
  killChildren();
  killUserPrograms();
});

describe.skipIf(!existsSync(CLI_MAIN))('one endpoint given twice', () => {
  it('agent: a usage error (exit 2) naming --scrape, however the two are spelt, credentials hidden', async () => {
    const twice = await runCli(['agent', '--role', 'trainer', '--scrape', 'http://127.0.0.1:9400/metrics', '--scrape', 'HTTP://alice:s3cret@127.0.0.1:9400/metrics#gpu']);
    expect(twice.code, twice.stderr).toBe(2);
    expect(twice.stderr).toContain("option '--scrape <url>' names one endpoint twice ('http://127.0.0.1:9400/metrics' and 'HTTP://***@127.0.0.1:9400/metrics#gpu')");
    expect(twice.stderr).not.toContain('s3cret');
    // Two endpoints of one host are two: past that check (to the next one, a configuration pushing nothing).
    const two = await runCli(['agent', '--role', 'trainer', '--scrape', 'http://127.0.0.1:9400/metrics', '--scrape', 'http://127.0.0.1:9401/metrics'], {
      PERSIA_METRICS_ENABLED: 'false',
    });
    expect(two.stderr).toContain('enable_metrics is false');
  });

  it('library: startNodeMetrics() refuses two scrapeSource()s of one endpoint with a typed error naming extraSources[1]', async () => {
    const program = `
import { startNodeMetrics, scrapeSource } from 'persia-metrics';
try {
  startNodeMetrics({ extraSources: [scrapeSource('http://127.0.0.1:9400/metrics'), scrapeSource('http://127.0.0.1:9400/metrics#x')] });
  console.log('started');
} catch (error) {
  console.log(error.code, error.message);
}
`;
    const exit = await runUserProgram(program, { env: nodeEnv('127.0.0.1:9', 'twice') });
    expect(exit.stdout.trim(), exit.stderr).toBe(
      'PERSIA_CONFIG_INVALID startNodeMetrics(): extraSources[1]: expected each source once (read twice, every family of it would clash with itself), found the endpoint of extraSources[0] again (http://127.0.0.1:9400/metrics)',
    );
  });
});

describe.skipIf(!gatewayBinary || python === undefined || !existsSync(CLI_MAIN))('scrape sources through the real gateway', () => {
  const gateway = usePushgateway();
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    await Promise.all(closers.splice(0).map((close) => close()));
  });

  it('a family that keeps clashing is said once and is no push failure; the gauge of families left out says 1', async () => {
    const job = 'agent_clash_once';
    const trainer = await startTrainer(true); // serves index_miss_count as a gauge: the catalog has a counter
    const agent = startAgent(gateway.address, job, [trainer.url]);
    const node = { instance: 'rep_0', job, role: 'trainer' };
    const group = async (): Promise<Map<string, number>> => parseExposition(await gateway.metricsText()).samples;
    const first = await waitFor(async () => ((await group()).get(seriesKey('trainer_loss', { ...node, rank: '0' })) === 0.125 ? group() : undefined), {
      timeoutMs: 20_000,
      what: 'the first push',
      details: agent.output,
    });
    const pushedAt = first.get(seriesKey('push_time_seconds', node)) ?? 0;
    // Five more pushes, each with the clash.
    const later = await waitFor(async () => (((await group()).get(seriesKey('push_time_seconds', node)) ?? 0) >= pushedAt + 5 ? group() : undefined), {
      timeoutMs: 20_000,
      what: 'five more pushes',
      details: agent.output,
    });
    expect(later.get(seriesKey('persia_metrics_push_failures_total', { ...node, reason: 'extra_source' })), agent.output()).toBe(0);
    expect(later.get(seriesKey('persia_metrics_extra_source_families_left_out', node))).toBe(1);
    expect(later.get(seriesKey('trainer_loss', { ...node, rank: '0' }))).toBe(0.125); // the rest of the page
    const status = await runCli(['status', '--job', job, '--gateway', gateway.address, '--json']);
    const row = (JSON.parse(status.stdout) as { nodes: { instance: string; pushFailures?: number }[] }).nodes.find((one) => one.instance === 'rep_0');
    expect(row?.pushFailures, status.stdout).toBe(0);
    agent.process.kill('SIGTERM');
    expect(await agent.exited, agent.output()).toBe(0);
    expect(agent.output().match(/warning: extraSources\[0\] /g), agent.output()).toHaveLength(1);
    expect(agent.output()).toContain('counted in persia_metrics_extra_source_families_left_out');
    trainer.child.process.kill('SIGKILL');
  }, 60_000);

  it('user:password in a --scrape URL is sent as basic auth to that endpoint, and never printed', async () => {
    const job = 'agent_scrape_auth';
    const expected = `Basic ${Buffer.from('alice:p@ss word').toString('base64')}`;
    const seen: (string | undefined)[] = [];
    // A password-protected exporter: 401 without the right Authorization, as one behind basic auth answers.
    const secured = await endpoint((response, request) => {
      seen.push(request.headers.authorization);
      if (request.headers.authorization !== expected) response.writeHead(401, { 'www-authenticate': 'Basic realm="metrics"' }).end('Unauthorized\n');
      else response.end('# TYPE secret_steps_total counter\nsecret_steps_total 7\n');
    });
    closers.push(secured.close);
    const url = secured.url.replace('http://', 'http://alice:p%40ss%20word@');
    const agent = startAgent(gateway.address, job, [url]);
    const node = { instance: 'rep_0', job, role: 'trainer' };
    await waitFor(async () => parseExposition(await gateway.metricsText()).samples.get(seriesKey('secret_steps_total', node)) === 7, {
      timeoutMs: 20_000,
      what: 'the protected page on the gateway',
      details: () => `${agent.output()}\nAuthorization seen: ${JSON.stringify(seen)}`,
    });
    expect(seen.every((header) => header === expected)).toBe(true);
    agent.process.kill('SIGTERM');
    expect(await agent.exited, agent.output()).toBe(0);
    expect(agent.output()).toContain(`pushing ${secured.origin.replace('http://', 'http://alice:***@')}/metrics every 1 s`);
    expect(agent.output()).not.toMatch(/p%40ss|p@ss|warning/);
  }, 60_000);
});
