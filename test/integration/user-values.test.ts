/**
 * Issue 8, items 3, 6, 7 and 8 ("wrong values on the wire"), as a user meets them: small training programs,
 * written the way users write them, importing `persia-metrics` by its package name in a child process and
 * pushing to the real Pushgateway, in both push formats where the wire differs. Each test asserts what the
 * user sees: the values stored in the gateway, the program's output and exit code.
 *
 * Needs `npm run build` first (the programs import dist/ through the package).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { groupingPath } from '../../src/push/grouping-key.js';
import { GatewayClient } from '../../src/gateway/client.js';
import { gatewayEndpoint } from '../../src/gateway/endpoint.js';
import { requireBinary } from '../helpers/binaries.js';
import { parseExposition, seriesKey } from '../helpers/parse-exposition.js';
import { usePushgateway } from '../helpers/pushgateway-fixture.js';
import { runUserProgram, type UserProgramExit } from '../helpers/user-program.js';

const gatewayInstalled = requireBinary('prometheus-pushgateway') !== undefined;
const FORMATS = ['protobuf', 'text'] as const;

/** The program's last stdout line, which every program below prints as JSON. */
function report(exit: UserProgramExit): Record<string, unknown> {
  const lines = exit.stdout.trim().split('\n');
  try {
    return JSON.parse(lines.at(-1) ?? '') as Record<string, unknown>;
  } catch {
    throw new Error(`program printed no JSON report (exit ${exit.code})\nstdout: ${exit.stdout}\nstderr: ${exit.stderr}`);
  }
}

describe.skipIf(!gatewayInstalled)('user values on the wire (issue 8: 3, 6, 7, 8), real Pushgateway', () => {
  const gateway = usePushgateway();

  /** Runs `body` between a node's start and its final flush; the program prints `{ ...out, flush }` as JSON. */
  function runNode(job: string, role: string, format: string, body: string, env: Record<string, string> = {}): Promise<UserProgramExit> {
    return runUserProgram(
      `import { startNodeMetrics } from 'persia-metrics';
const metrics = startNodeMetrics();
const out = {};
const probe = (name, call) => {
  try { call(); out[name] = 'ok'; } catch (error) { out[name] = error.code ?? error.name; }
};
${body}
try { await metrics.flush(); out.flush = 'ok'; } catch (error) { out.flush = error.code ?? error.name; out.flushMessage = error.message; }
await metrics.shutdown();
console.log(JSON.stringify(out));
`,
      {
        env: {
          PERSIA_METRICS_GATEWAY_ADDR: gateway.address,
          PERSIA_METRICS_JOB_NAME: job,
          PERSIA_NODE_ROLE: role,
          PERSIA_METRICS_INSTANCE: 'rep_0',
          PERSIA_METRICS_PUSH_FORMAT: format,
          PERSIA_METRICS_PUSH_INTERVAL_SECONDS: '60',
          PERSIA_METRICS_RUNTIME: 'false',
          ...env,
        },
      },
    );
  }

  /** Sample value in the gateway, by family name and labels beyond job/role/instance. */
  async function stored(job: string, role: string): Promise<(name: string, labels?: Record<string, string>) => number | undefined> {
    const samples = parseExposition(await gateway.metricsText()).samples;
    return (name, labels = {}) => samples.get(seriesKey(name, { ...labels, job, role, instance: 'rep_0' }));
  }

  it.each(FORMATS)('item 3, %s: numeric feature ids are the same series as their strings, and the arity check never depends on history', async (format) => {
    const job = `numeric_ids_${format}`;
    const exit = await runNode(
      job,
      'middleware',
      format,
      `
const skipped = metrics.counter('nan_grad_skipped');
for (const featureId of [42, 7]) skipped.labels(featureId).inc();   // ids from a dataset: numbers
skipped.labels('42').inc(2);                                          // the same feature, by its name elsewhere
const distinct = metrics.gauge('estimated_distinct_id');
probe('labels() on a fresh family', () => distinct.labels());
distinct.labels('').set(1);
probe('labels() after labels("")', () => distinct.labels());
probe('labels(undefined)', () => distinct.labels(undefined));
probe('family.set() without labels', () => distinct.set(3));
`,
    );
    expect(exit.code, exit.stderr).toBe(0);
    expect(report(exit)).toEqual({
      'labels() on a fresh family': 'PERSIA_METRIC_INVALID',
      'labels() after labels("")': 'PERSIA_METRIC_INVALID',
      'labels(undefined)': 'PERSIA_METRIC_INVALID',
      'family.set() without labels': 'PERSIA_METRIC_INVALID',
      flush: 'ok',
    });
    const value = await stored(job, 'middleware');
    expect(value('nan_grad_skipped', { feature: '42' })).toBe(3);
    expect(value('nan_grad_skipped', { feature: '7' })).toBe(1);
    expect(value('estimated_distinct_id', { feature: '' })).toBe(1);
  });

  it.each(FORMATS)('item 6, %s: strings from untyped data are dropped, counted, and the count is pushed', async (format) => {
    const job = `untyped_values_${format}`;
    const exit = await runNode(
      job,
      'server',
      format,
      `
const row = { misses: '5', ratio: '12abc', seconds: '0.004' };      // a CSV row: every field a string
const misses = metrics.counter('index_miss_count').labels();
misses.inc(row.misses);
misses.inc(2);
misses.inc(3);
const ratio = metrics.gauge('index_miss_ratio').labels();
ratio.set(row.ratio);
ratio.set(0.25);
ratio.inc('1');
const lookup = metrics.histogram('lookup_mixed_batch_time_cost').labels();
lookup.observe(row.seconds);
lookup.observe(0.002);
out.rejected = metrics.registry.rejectedSamples();
`,
    );
    expect(exit.code, exit.stderr).toBe(0);
    expect(report(exit)).toEqual({ rejected: 4, flush: 'ok' });
    const value = await stored(job, 'server');
    expect(value('index_miss_count')).toBe(5);
    expect(value('index_miss_ratio')).toBe(0.25);
    expect(value('lookup_mixed_batch_time_cost_count')).toBe(1);
    expect(value('lookup_mixed_batch_time_cost_sum')).toBe(0.002);
    expect(value('persia_metrics_rejected_samples_total', { metric: 'index_miss_count' })).toBe(1);
    expect(value('persia_metrics_rejected_samples_total', { metric: 'index_miss_ratio' })).toBe(2);
    expect(value('persia_metrics_rejected_samples_total', { metric: 'lookup_mixed_batch_time_cost' })).toBe(1);
  });

  it.each(FORMATS)('item 7, %s: impossible time costs (Infinity, negative, NaN) are dropped and counted, _sum stays finite', async (format) => {
    const job = `impossible_durations_${format}`;
    const exit = await runNode(
      job,
      'middleware',
      format,
      `
const rpc = metrics.histogram('lookup_rpc_time_cost').labels();
const started = Date.now();
rpc.observe(0.003);
rpc.observe(Infinity);                 // a timed-out call recorded as "forever"
rpc.observe((started - 5 - Date.now()) / 1000);  // clock stepped back: a negative duration
rpc.observe(0 / 0);                    // an average of no calls
rpc.observe(0.005);
`,
    );
    expect(exit.code, exit.stderr).toBe(0);
    expect(report(exit)).toEqual({ flush: 'ok' });
    const value = await stored(job, 'middleware');
    expect(value('lookup_rpc_time_cost_count')).toBe(2);
    expect(value('lookup_rpc_time_cost_sum')).toBeCloseTo(0.008, 12);
    expect(value('lookup_rpc_time_cost_bucket', { le: '+Inf' })).toBe(2);
    expect(value('lookup_rpc_time_cost_bucket', { le: '0.0001' })).toBe(0);
    expect(value('persia_metrics_rejected_samples_total', { metric: 'lookup_rpc_time_cost' })).toBe(3);
  });

  it('item 8: an instance or job "." or ".." is stored under exactly that name, not moved or refused', async () => {
    const cases = [
      { job: 'dot_segments', instance: '.' },
      { job: 'dot_segments', instance: '..' },
      { job: '..', instance: 'rep_0' },
    ];
    for (const { job, instance } of cases) {
      const exit = await runNode(job, 'trainer', 'protobuf', "metrics.gauge('staleness').set(4);", { PERSIA_METRICS_INSTANCE: instance });
      expect(exit.code, exit.stderr).toBe(0);
      expect(report(exit), `job ${job} instance ${instance}`).toEqual({ flush: 'ok' });
    }
    const groups = (await gateway.groups()).map((group) => group.labels);
    for (const { job, instance } of cases) expect(groups).toContainEqual({ job, role: 'trainer', instance });
    // Nothing landed where URL normalisation would have put it (instance "" or a job named "role").
    expect(groups.filter((labels) => labels['instance'] === '' || labels['job'] === 'role')).toEqual([]);
  });

  it.each(FORMATS)('item 8, %s: definitions the wire cannot carry are refused with typed errors, and the rest keeps flowing', async (format) => {
    const job = `refused_definitions_${format}`;
    const exit = await runNode(
      job,
      'middleware',
      format,
      `
const spec = (name, more = {}) => ({ name, type: 'counter', help: 'A user metric for this test.', unit: '1', group: 'accuracy', roles: ['middleware'], labels: [], ...more });
const define = (name, more) => metrics.registry.define(spec(name, more));
const histogram = (name, buckets, more = {}) => define(name, { type: 'histogram', unit: 'seconds', buckets, ...more });
probe('counter named like a catalog histogram bucket', () => define('lookup_rpc_time_cost_bucket'));
histogram('user_stage_seconds', [0.1, 1]);
probe('counter x_count beside histogram x', () => define('user_stage_seconds_count'));
probe('gateway-owned push_time_seconds', () => define('push_time_seconds', { type: 'gauge' }));
probe('gateway-owned push_failure_time_seconds', () => define('push_failure_time_seconds', { type: 'gauge' }));
probe('duplicate label names', () => define('user_dup_total', { labels: ['feature', 'feature'] }));
probe('NaN bucket bound', () => histogram('user_nan_bound_seconds', [0.1, NaN, 1]));
probe('explicit +Inf bound', () => histogram('user_inf_bound_seconds', [0.1, 1, Infinity]));
probe('help with leading blanks', () => define('user_blank_help_total', { help: '  Indented help.' }));
probe('missing labels field', () => { const { labels, ...rest } = spec('user_no_labels_total'); metrics.registry.define(rest); });
probe('missing help field', () => { const { help, ...rest } = spec('user_no_help_total'); metrics.registry.define(rest); });
const tables = define('user_rows_total', { labels: ['table', 'feature'] });
probe('lone surrogate label value', () => tables.labels('emb\\uD800', 'x'));
probe('another lone surrogate', () => tables.labels('emb\\uDBFF', 'x'));
tables.labels('a\\u0000b', 'c').inc(1);      // a NUL inside a value: two different label sets...
tables.labels('a', 'b\\u0000c').inc(2);      // ...that used to share one key
histogram('user_stage_seconds_total', [0.5]).observe(0.25);
`,
    );
    expect(exit.code, exit.stderr).toBe(0);
    expect(report(exit)).toEqual({
      'counter named like a catalog histogram bucket': 'PERSIA_METRIC_INVALID',
      'counter x_count beside histogram x': 'PERSIA_METRIC_INVALID',
      'gateway-owned push_time_seconds': 'PERSIA_METRIC_INVALID',
      'gateway-owned push_failure_time_seconds': 'PERSIA_METRIC_INVALID',
      'duplicate label names': 'PERSIA_METRIC_INVALID',
      'NaN bucket bound': 'PERSIA_METRIC_INVALID',
      'explicit +Inf bound': 'PERSIA_METRIC_INVALID',
      'help with leading blanks': 'PERSIA_METRIC_INVALID',
      'missing labels field': 'PERSIA_METRIC_INVALID',
      'missing help field': 'PERSIA_METRIC_INVALID',
      'lone surrogate label value': 'PERSIA_METRIC_INVALID',
      'another lone surrogate': 'PERSIA_METRIC_INVALID',
      flush: 'ok',
    });
    const value = await stored(job, 'middleware');
    expect(value('user_rows_total', { table: 'a\u0000b', feature: 'c' })).toBe(1);
    expect(value('user_rows_total', { table: 'a', feature: 'b\u0000c' })).toBe(2);
    expect(value('user_stage_seconds_total_count')).toBe(1);
    expect(value('staleness')).toBeUndefined(); // a trainer metric: not pre-created on a middleware node
    expect(value('lookup_rpc_time_cost_count')).toBe(0);
  });
});

describe.skipIf(!gatewayInstalled)('grouping values through the real gateway (item 8, fuzzed)', () => {
  const gateway = usePushgateway();
  let transport: GatewayClient;

  beforeAll(() => {
    transport = new GatewayClient(gatewayEndpoint(gateway.url, { timeoutSeconds: 10 }));
  });
  afterAll(async () => {
    await transport?.close();
  });

  it('stores every well-formed job and instance value under exactly its own name', async () => {
    const segment = fc.oneof(
      fc.constantFrom('.', '..', '...', '/', '//', '', ' ', '%2e', '%2F', '@base64', '=', '?', '#', '\\', '.%2e', './x', 'x/..'),
      fc.string({ unit: 'grapheme', maxLength: 12 }),
      fc.string({ unit: fc.constantFrom('.', '/', '%', '2', 'e', 'F', '\\', '?', '#', ' ', '@', '=', ';'), maxLength: 8 }),
    );
    await fc.assert(
      fc.asyncProperty(segment, segment, async (job, instance) => {
        const key = { job: `fuzz${job}`, role: 'trainer', instance };
        await transport.send('PUT', groupingPath(key), '# TYPE fuzz_probe gauge\nfuzz_probe 1\n', 'text/plain; version=0.0.4');
        const groups = (await gateway.groups()).map((group) => group.labels);
        expect(groups).toContainEqual(key);
        await transport.send('DELETE', groupingPath(key));
      }),
      { numRuns: 150, seed: 8 },
    );
  });
});
