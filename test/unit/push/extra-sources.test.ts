/**
 * Extra exposition sources: the line-level check of their text (what prom-client writes passes, what the
 * gateway would refuse does not), and their isolation (a hung source is waited for once, never called twice
 * at once; trouble is reported once per kind until the source is good again).
 */
import client from 'prom-client';
import { describe, expect, it } from 'vitest';
import { ExtraSourceError, LabelClashError, MetricDefinitionError } from '../../../src/errors.js';
import { catalogPart } from '../../../src/metrics/catalog.js';
import { MetricsRegistry } from '../../../src/metrics/registry.js';
import { checkExtraExposition, ExpositionSyntaxProblem, registrySampleOwners } from '../../../src/push/exposition-check.js';

const owners = (registry = new MetricsRegistry()) => registrySampleOwners(registry);
import { ExtraSources } from '../../../src/push/extra-sources.js';

function logger(): { warn: (message: string) => void; info: (message: string) => void; warnings: string[]; infos: string[] } {
  const warnings: string[] = [];
  const infos: string[] = [];
  return { warn: (message) => warnings.push(message), info: (message) => infos.push(message), warnings, infos };
}

describe('checkExtraExposition', () => {
  it('accepts what prom-client writes: default metrics, labels with escapes, histograms, summaries', async () => {
    const own = new client.Registry();
    client.collectDefaultMetrics({ register: own });
    new client.Counter({ name: 'user_items_total', help: 'Items with "quotes" and \\ and\nnewline.', labelNames: ['path'], registers: [own] }).inc({ path: 'a\\b"c"\nd' }, 2);
    new client.Histogram({ name: 'user_step_seconds', help: 'Steps.', registers: [own] }).observe(0.2);
    new client.Summary({ name: 'user_batch_size', help: 'Batches.', registers: [own] }).observe(12);
    new client.Gauge({ name: 'user_temperature', help: 'Temp.', registers: [own] }).set(-Infinity);
    const text = await own.metrics();
    const samples = [...checkExtraExposition(text, owners()).keys()];
    expect(samples).toContain('user_items_total');
    expect(samples).toContain('user_step_seconds_count');
    expect(samples).toContain('user_batch_size_sum');
    expect(samples).toContain('process_cpu_user_seconds_total');
  });

  it.each([
    ['an HTML error page', '<html><body>502</body></html>'],
    ['an unclosed label set', 'x{a="1" 2'],
    ['a value that is no number', 'x three'],
    ['a timestamp (the gateway refuses pushed timestamps)', 'x 1 1700000000000'],
    ['an invalid escape', 'x{a="\\q"} 1'],
    ['an unknown type', '# TYPE x countr'],
    ['a label given twice', 'x{a="1",a="2"} 1'],
    ['a family typed twice', '# TYPE x counter\nx 1\n# TYPE x counter\nx 2'],
    ['a label name with a dash', 'x{a-b="1"} 1'],
    ['a hex value', 'x 0x1p-2'],
    ['a value with an underscore', 'x 1_000'],
    // Found by a new user's programs: each made the gateway answer 400 to every push of the node.
    ['a value beyond float64 (Go refuses it)', '# TYPE my_hv gauge\nmy_hv 1e400'],
    ['a negative value beyond float64', 'my_hv -1e400'],
    ['a stray carriage return', 'x 1\r'],
  ])('refuses %s as not exposition format', (_what, text) => {
    expect(() => checkExtraExposition(text, owners())).toThrow(ExpositionSyntaxProblem);
  });

  it('accepts the number forms of the format, comments and blank lines', () => {
    // Each form tried against the real gateway (200), as were the refusals above (400).
    const text = '# a comment\n\nx_a Nan\nx_b +Inf\nx_c -1.5e-3\nx_d{a="1",} 2\n  x_e 0\nx_f {a="b"  ,  c="d"}\t.5\n';
    expect([...checkExtraExposition(text, owners()).keys()]).toEqual(['x_a', 'x_b', 'x_c', 'x_d', 'x_e', 'x_f']);
  });

  it('refuses a catalog family (and a catalog histogram series), a grouping label, and a family an earlier source defined', () => {
    expect(() => checkExtraExposition('# TYPE index_miss_count gauge\nindex_miss_count 1\n', owners())).toThrow(MetricDefinitionError);
    expect(() => checkExtraExposition('lookup_rpc_time_cost_count 3\n', owners())).toThrow(MetricDefinitionError);
    expect(() => checkExtraExposition('user_x{job="j"} 1\n', owners())).toThrow(LabelClashError);
    const earlier = new Map([['user_x', "extraSources[0]'s user_x"]]);
    expect(() => checkExtraExposition('user_x 1\n', earlier)).toThrow(/extraSources\[0\]'s user_x writes already/);
  });

  it('compares sample names, as the gateway does: a histogram whose _count is a catalog counter, a name the gateway owns, x beside x_count', () => {
    // prom-client's Histogram "index_miss" writes index_miss_count, the catalog's counter.
    expect(() => checkExtraExposition('# TYPE index_miss histogram\nindex_miss_bucket{le="+Inf"} 1\nindex_miss_sum 0.2\nindex_miss_count 1\n', owners())).toThrow(
      /index_miss \(its samples index_miss_count\) at line 1, which this node's metric index_miss_count writes already/,
    );
    expect(() => checkExtraExposition('# TYPE push_failure_time_seconds gauge\npush_failure_time_seconds 1\n', owners())).toThrow(/the Pushgateway/);
    expect(() => checkExtraExposition('# TYPE req histogram\nreq_bucket{le="+Inf"} 1\nreq_sum 1\nreq_count 1\n# TYPE req_count gauge\nreq_count 2\n', owners())).toThrow(
      MetricDefinitionError,
    );
    // A user-defined family of the node is named as such, not as the catalog's.
    const registry = new MetricsRegistry();
    registry.define({ name: 'my_own', type: 'gauge', help: 'h', unit: '1', group: 'accuracy', roles: ['trainer'], labels: [] });
    expect(() => checkExtraExposition('my_own 1\n', owners(registry))).toThrow(/this node's metric my_own/);
  });
});

describe("checkExtraExposition on a node of the catalog's health part alone (the agent)", () => {
  const health = (): Map<string, string> => owners(new MetricsRegistry(catalogPart('health')));
  const rpc =
    '# HELP lookup_rpc_time_cost RPC.\n# TYPE lookup_rpc_time_cost histogram\nlookup_rpc_time_cost_bucket{le="0.1"} 2\nlookup_rpc_time_cost_bucket{le="+Inf"} 3\nlookup_rpc_time_cost_sum 0.4\nlookup_rpc_time_cost_count 3\n';

  it("accepts a source's catalog family with the catalog's type and labels: the source feeds it", () => {
    expect([...checkExtraExposition(rpc, health()).keys()]).toEqual([
      'lookup_rpc_time_cost',
      'lookup_rpc_time_cost_bucket',
      'lookup_rpc_time_cost_sum',
      'lookup_rpc_time_cost_count',
    ]);
    expect([...checkExtraExposition('# TYPE batch_unique_indices_rate gauge\nbatch_unique_indices_rate{feature="user"} 0.5\n', health()).keys()]).toEqual([
      'batch_unique_indices_rate',
    ]);
    // The node's own health families stay its own.
    expect(() => checkExtraExposition('# TYPE persia_node_state gauge\npersia_node_state{state="running"} 1\n', health())).toThrow(
      /this node's metric persia_node_state writes already/,
    );
  });

  it('refuses one with another type, another family writing its samples, or other labels, naming what the catalog has', () => {
    expect(() => checkExtraExposition('# TYPE index_miss_count gauge\nindex_miss_count 1\n', health())).toThrow(
      /defines index_miss_count at line 1 as a gauge, but the catalog's counter index_miss_count writes that name/,
    );
    expect(() => checkExtraExposition('staleness 1\n', health())).toThrow(/as an untyped family \(no TYPE line\), but the catalog's gauge staleness/);
    expect(() => checkExtraExposition('lookup_rpc_time_cost_count 3\n', health())).toThrow(/the catalog's histogram lookup_rpc_time_cost writes that name/);
    expect(() => checkExtraExposition(rpc.replace('lookup_rpc_time_cost_sum 0.4', 'lookup_rpc_time_cost_sum{rank="0"} 0.4'), health())).toThrow(
      /writes lookup_rpc_time_cost_sum with the labels rank at line 5, but the catalog's lookup_rpc_time_cost has none/,
    );
    expect(() => checkExtraExposition('# TYPE batch_unique_indices_rate gauge\nbatch_unique_indices_rate 0.5\n', health())).toThrow(/with no labels at line 2, but .* has feature/);
  });

  it('in a scraped page, leaves out only the family that does not fit, and claims none of its names', () => {
    const dropped: string[] = [];
    const text = `${rpc.replace('lookup_rpc_time_cost_count 3', 'lookup_rpc_time_cost_count{rank="0"} 3')}# TYPE user_x gauge\nuser_x 1\n`;
    const claimed = checkExtraExposition(text, health(), 'extraSources[0]', (family) => dropped.push(family));
    expect(dropped).toEqual(['lookup_rpc_time_cost']);
    expect([...claimed.keys()]).toEqual(['user_x']);
  });
});

describe('ExtraSources', () => {
  it('leaves out only the bad source, and the later of two sources defining one family', async () => {
    const log = logger();
    const extras = new ExtraSources(
      [
        { metrics: () => 'user_a 1\n' },
        {
          metrics: () => {
            throw new Error('boom');
          },
        },
        { metrics: () => 'user_a 2\nuser_b 3' },
        { metrics: () => 'user_c 4' },
      ],
      new MetricsRegistry(),
      { timeoutSeconds: 1, logger: log },
    );
    const collected = await extras.collect();
    expect(collected.text).toBe('user_a 1\nuser_c 4\n');
    expect(collected.heldBack.map((error) => (error instanceof ExtraSourceError ? error.problem : error.constructor.name))).toEqual(['threw', 'MetricDefinitionError']);
    expect(log.warnings).toHaveLength(2);
  });

  it('stops waiting for every source when the push is cut short (shutdown near), saying why, and Node warns of no listener leak', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning.name);
    process.on('warning', onWarning);
    try {
      const hung = Array.from({ length: 12 }, () => ({ sourceName: 'http://127.0.0.1:1/metrics', metrics: () => new Promise<string>(() => {}) }));
      const log = logger();
      const extras = new ExtraSources([{ metrics: () => 'user_quick 1\n' }, ...hung], new MetricsRegistry(), { timeoutSeconds: 60, logger: log });
      const cut = new AbortController();
      setTimeout(() => cut.abort('within 0.05 s (a test share)'), 50);
      const started = performance.now();
      const collected = await extras.collect(cut.signal);
      expect(performance.now() - started).toBeLessThan(2000);
      expect(collected.text).toBe('user_quick 1\n');
      expect(collected.heldBack).toHaveLength(12);
      expect(log.warnings[0]).toMatch(/^extraSources\[1\] \(http:\/\/127\.0\.0\.1:1\/metrics\) did not answer within 0\.05 s \(a test share\)/);
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings).not.toContain('MaxListenersExceededWarning');
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('waits for a hung source once, never calls it again while it hangs, and takes it back once it answers', async () => {
    const log = logger();
    let calls = 0;
    let answer: (text: string) => void = () => {};
    const hung = { metrics: () => new Promise<string>((resolve) => ((calls += 1), (answer = resolve))) };
    const extras = new ExtraSources([hung], new MetricsRegistry(), { timeoutSeconds: 0.1, logger: log });
    const started = Date.now();
    expect((await extras.collect()).heldBack[0]).toMatchObject({ code: 'PERSIA_EXTRA_SOURCE', problem: 'timeout' });
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(90);
    // Not waited for a second time: it settles before a timer of the source's timeout set beside it (a race
    // decided by the event loop's order, not by how fast a loaded machine runs).
    const again = extras.collect();
    const waitedAgain = new Promise<string>((resolve) => setTimeout(() => resolve('waited'), 90));
    expect(await Promise.race([again.then(() => 'collected'), waitedAgain])).toBe('collected');
    expect((await again).heldBack).toHaveLength(1);
    expect(calls).toBe(1);
    expect(log.warnings).toHaveLength(1); // one kind of trouble, reported once

    answer('user_late 1\n'); // settles at last: its next push calls it again
    await new Promise((resolve) => setTimeout(resolve, 0));
    const next = extras.collect();
    answer('user_late 2\n');
    expect((await next).text).toBe('user_late 2\n');
    expect(calls).toBe(2);
    expect(log.infos).toEqual(['extraSources[0] is good again: its metrics are pushed again']);
  });
});
