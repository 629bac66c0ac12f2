/**
 * Issue 8, item 2: bad `extraSources` entries, in a user's program (a child process importing
 * 'persia-metrics') pushing to the real Pushgateway. A source whose metrics() throws, returns text that is
 * not exposition format, never settles, or clashes with a catalog name or a grouping label is held back
 * alone: reported once, counted as reason "extra_source", while the catalog, the pusher's health and the
 * good sources keep arriving; flush() settles and says a source was left out; a source that recovers
 * flows again.
 */
import { describe, expect, it } from 'vitest';
import { requireBinary } from '../helpers/binaries.js';
import { parseExposition, seriesKey } from '../helpers/parse-exposition.js';
import { usePushgateway } from '../helpers/pushgateway-fixture.js';
import { runUserProgram, nodeEnv as userNodeEnv } from '../helpers/user-program.js';

const servers = requireBinary('prometheus-pushgateway') !== undefined;

/** A node that pushes only when asked (60 s interval) and gives up a request after 1 s. */
const nodeEnv = (gatewayAddr: string, job: string): Record<string, string> =>
  userNodeEnv(gatewayAddr, job, { PERSIA_NODE_ROLE: 'server', PERSIA_METRICS_PUSH_INTERVAL_SECONDS: '60', PERSIA_METRICS_PUSH_TIMEOUT_SECONDS: '1' });

/** The end of a user's program: flush() COUNT times, printing `flush N ok` or `flush N caught CODE`, then shutdown(). */
const flushesThenShutdown = (count: number): string => `for (let flush = 1; flush <= ${count}; flush += 1) {
  try {
    await metrics.flush();
    console.log(\`flush \${flush} ok\`);
  } catch (error) {
    console.log(\`flush \${flush} caught \${error.code}\`);
  }
}
await metrics.shutdown();`;

const ONE_OF_EACH = `
import { startNodeMetrics } from 'persia-metrics';
const sources = [
  { metrics: () => '# HELP user_epochs_total Epochs done.\\n# TYPE user_epochs_total counter\\nuser_epochs_total 3\\n' },
  { metrics: () => { throw new Error('registry exploded'); } },
  { metrics: async () => '<html><body>502 Bad Gateway</body></html>' },
  { metrics: () => new Promise(() => {}) },
  { metrics: () => '# TYPE index_miss_count counter\\nindex_miss_count 1\\n' },
  { metrics: () => 'user_queue_depth{instance="other"} 4\\n' },
];
const metrics = startNodeMetrics({ extraSources: sources });
metrics.counter('index_miss_count').inc(5);
${flushesThenShutdown(3)}
console.log('done');
`;

/** What a new user's prom-client code produced: each of these made the gateway refuse every push of the node. */
const CLASHES_BY_SAMPLE_NAME = `
import { startNodeMetrics } from 'persia-metrics';
import client from 'prom-client';
const theirs = new client.Registry();
// A histogram "index_miss" writes index_miss_count: the catalog's counter.
new client.Histogram({ name: 'index_miss', help: 'my own histogram', registers: [theirs] }).observe(0.2);
const sources = [
  theirs,
  { metrics: () => '# TYPE user_crlf gauge\\r\\nuser_crlf 7\\r\\n' },
  { metrics: () => '# TYPE user_huge gauge\\nuser_huge 1e400\\n' },
  { metrics: () => '# TYPE user_req histogram\\nuser_req_bucket{le="+Inf"} 1\\nuser_req_sum 1\\nuser_req_count 1\\n' },
  { metrics: () => '# TYPE user_req_sum gauge\\nuser_req_sum 2\\n' },
  { metrics: () => '# TYPE push_failure_time_seconds gauge\\npush_failure_time_seconds 1\\n' },
];
const metrics = startNodeMetrics({ extraSources: sources });
metrics.counter('index_miss_count').inc(5);
try {
  await metrics.flush();
  console.log('flush ok');
} catch (error) {
  console.log(\`flush caught \${error.code}\`);
}
await metrics.shutdown();
console.log(JSON.stringify(metrics.pushStats));
`;

const GOES_BAD_AND_RECOVERS = `
import { startNodeMetrics } from 'persia-metrics';
let mode = 'good';
let epochs = 0;
const flaky = {
  metrics() {
    if (mode === 'throws') throw new Error('scrape failed');
    if (mode === 'garbage') return 'user_epochs_total three\\n';
    return \`# TYPE user_epochs_total counter\\nuser_epochs_total \${epochs}\\n\`;
  },
};
const metrics = startNodeMetrics({ extraSources: [flaky] });
const misses = metrics.counter('index_miss_count').labels();
for (const [flush, next] of ['good', 'throws', 'garbage', 'good'].entries()) {
  mode = next;
  epochs += 1;
  misses.inc();
  try {
    await metrics.flush();
    console.log(\`flush \${flush + 1} ok\`);
  } catch (error) {
    console.log(\`flush \${flush + 1} caught \${error.code}\`);
  }
}
await metrics.shutdown();
`;

describe.skipIf(!servers)('fault: bad extra sources in a user program (real gateway)', () => {
  const gateway = usePushgateway();

  it('throws, not exposition, never settles, catalog name, grouping label: each held back alone, reported once, counted', async () => {
    const exit = await runUserProgram(ONE_OF_EACH, { env: nodeEnv(gateway.address, 'extra_bad'), timeoutMs: 60_000 });
    expect(exit.code, exit.stderr).toBe(0);
    expect(exit.stdout).toContain('done');
    // Every flush settles, and says that something was left out.
    expect(exit.stdout.match(/^flush \d caught PERSIA_EXTRA_SOURCE$/gm), exit.stdout).toHaveLength(3);
    expect(exit.elapsedMs).toBeLessThan(30_000); // did not hang on the source that never settles

    const key = { instance: 'rep_0', job: 'extra_bad', role: 'server' };
    const samples = parseExposition(await gateway.metricsText()).samples;
    expect(samples.get(seriesKey('user_epochs_total', key))).toBe(3); // the good source
    expect(samples.get(seriesKey('index_miss_count', key))).toBe(5); // the catalog's, not the clashing source's
    expect(samples.get(seriesKey('persia_node_state', { ...key, state: 'stopping' }))).toBe(1); // the final push
    expect(samples.get(seriesKey('persia_metrics_push_failures_total', { ...key, reason: 'extra_source' }))).toBeGreaterThanOrEqual(5);
    expect([...samples.keys()].some((series) => series.startsWith('user_queue_depth'))).toBe(false);

    // Each bad source reported once over four pushes (three flushes and the final one); the good one never.
    const warnings = exit.stderr.split('\n').filter((line) => line.includes('extraSources['));
    for (const index of [1, 2, 3, 4, 5])
      expect(
        warnings.filter((line) => line.includes(`extraSources[${index}]`)),
        exit.stderr,
      ).toHaveLength(1);
    expect(warnings.some((line) => line.includes('extraSources[0]'))).toBe(false);
    expect(exit.stderr).toMatch(/extraSources\[1\] metrics\(\) threw: registry exploded/);
    expect(exit.stderr).toMatch(/extraSources\[2\] returned text that is not exposition format/);
    expect(exit.stderr).toMatch(/extraSources\[3\] metrics\(\) did not settle within 1 s/);
    expect(exit.stderr).toMatch(/extraSources\[4\] defines index_miss_count at line 1, which this node's metric index_miss_count writes already/);
    expect(exit.stderr).toMatch(/extraSources\[5\].*grouping key/);
  });

  it("sources whose sample names meet the catalog's, another source's or the gateway's, CRLF and out-of-range values: the node's pushes still go through", async () => {
    const exit = await runUserProgram(CLASHES_BY_SAMPLE_NAME, { env: nodeEnv(gateway.address, 'extra_samples'), timeoutMs: 30_000 });
    expect(exit.code, exit.stderr).toBe(0);
    // flush() rejects with the first left-out source's error (a clash: PERSIA_METRIC_INVALID), never with a
    // refusal of the whole push by the gateway (PERSIA_PUSH_HTTP), which is what these sources caused before.
    expect(exit.stdout).toContain('flush caught PERSIA_METRIC_INVALID');
    const stats = JSON.parse(exit.stdout.trim().split('\n').at(-1) ?? '{}') as { pushes: number };
    expect(stats.pushes).toBeGreaterThanOrEqual(2);
    const key = { instance: 'rep_0', job: 'extra_samples', role: 'server' };
    const samples = parseExposition(await gateway.metricsText()).samples;
    expect(samples.get(seriesKey('index_miss_count', key))).toBe(5); // the catalog's counter, not held back
    expect(samples.get(seriesKey('user_crlf', key))).toBe(7); // CRLF is a line ending
    expect(samples.get(seriesKey('user_req_count', key))).toBe(1); // the first of the two clashing sources
    expect(samples.get(seriesKey('user_req_sum', key))).toBe(1);
    expect(samples.has(seriesKey('user_huge', key))).toBe(false);
    expect(exit.stderr).toMatch(/extraSources\[0\] defines index_miss \(its samples index_miss_count\)/);
    expect(exit.stderr).toMatch(/extraSources\[2\] returned text that is not exposition format .*out of the float64 range/);
    expect(exit.stderr).toMatch(/extraSources\[4\] defines user_req_sum at line 1, which extraSources\[3\]'s user_req writes already/);
    expect(exit.stderr).toMatch(/extraSources\[5\] defines push_failure_time_seconds .*the Pushgateway/);
    expect(exit.stderr).not.toMatch(/gateway refused/);
  });

  it('a source that goes bad (throws, then garbage) and recovers flows again; the rest never stopped', async () => {
    const exit = await runUserProgram(GOES_BAD_AND_RECOVERS, { env: nodeEnv(gateway.address, 'extra_flaky'), timeoutMs: 30_000 });
    expect(exit.code, exit.stderr).toBe(0);
    expect(exit.stdout.split('\n').filter(Boolean)).toEqual(['flush 1 ok', 'flush 2 caught PERSIA_EXTRA_SOURCE', 'flush 3 caught PERSIA_EXTRA_SOURCE', 'flush 4 ok']);
    expect(exit.stderr.match(/extraSources\[0\] metrics\(\) threw: scrape failed/g)).toHaveLength(1);
    expect(exit.stderr.match(/extraSources\[0\] returned text that is not exposition format/g)).toHaveLength(1);
    expect(exit.stderr).toMatch(/extraSources\[0\] is good again/);
    const key = { instance: 'rep_0', job: 'extra_flaky', role: 'server' };
    const samples = parseExposition(await gateway.metricsText()).samples;
    expect(samples.get(seriesKey('user_epochs_total', key))).toBe(4);
    expect(samples.get(seriesKey('index_miss_count', key))).toBe(4);
    expect(samples.get(seriesKey('persia_metrics_push_failures_total', { ...key, reason: 'extra_source' }))).toBe(2);
  });
});

/**
 * A new user's source that writes one series twice (the labels in another order, or the same line again).
 * The shipped gateway (--push.disable-consistency-check) would take it and its /metrics would then answer
 * 500 for every job on it; the node's check leaves the source out instead, reported once and counted.
 */
const DUPLICATE_SERIES = `
import { startNodeMetrics } from 'persia-metrics';
const sources = [
  { metrics: () => '# TYPE my_o gauge\\nmy_o{a="1",b="2"} 1\\nmy_o{b="2",a="1"} 2\\n' },
  { metrics: () => 'my_twice{x="1"} 1\\nmy_twice{x="1"} 1\\n' },
  { metrics: () => '# TYPE my_fine gauge\\nmy_fine{a="1",b="2"} 1\\nmy_fine{a="2",b="1"} 2\\nmy_fine{a="1"} 3\\n' },
];
const metrics = startNodeMetrics({ extraSources: sources });
${flushesThenShutdown(2)}
`;

describe.skipIf(!servers)('fault: an extra source that writes one series twice (real gateway, consistency check off as shipped)', () => {
  const gateway = usePushgateway({ extraArgs: ['--push.disable-consistency-check'] });

  it('is left out of the push, reported once and counted; the gateway keeps answering its /metrics', async () => {
    const exit = await runUserProgram(DUPLICATE_SERIES, { env: nodeEnv(gateway.address, 'extra_dup'), timeoutMs: 30_000 });
    expect(exit.code, exit.stderr).toBe(0);
    expect(exit.stdout.split('\n').filter(Boolean)).toEqual(['flush 1 caught PERSIA_METRIC_INVALID', 'flush 2 caught PERSIA_METRIC_INVALID']);
    const page = await fetch(`${gateway.url}/metrics`);
    expect(page.status, await page.clone().text()).toBe(200);
    const key = { instance: 'rep_0', job: 'extra_dup', role: 'server' };
    const samples = parseExposition(await page.text()).samples;
    expect(samples.get(seriesKey('my_fine', { ...key, a: '2', b: '1' }))).toBe(2); // the good source arrives
    expect([...samples.keys()].some((series) => series.startsWith('my_o') || series.startsWith('my_twice'))).toBe(false);
    // Three pushes (two flushes and the final one), two sources left out of each.
    expect(samples.get(seriesKey('persia_metrics_push_failures_total', { ...key, reason: 'extra_source' }))).toBe(6);
    expect(exit.stderr.match(/extraSources\[0\] writes the series my_o\{b="2",a="1"\} at line 3 again \(first at line 2/g), exit.stderr).toHaveLength(1);
    expect(exit.stderr.match(/extraSources\[1\] writes the series my_twice\{x="1"\} at line 2 again/g), exit.stderr).toHaveLength(1);
    expect(exit.stderr).not.toMatch(/extraSources\[2\]/);
  });
});
