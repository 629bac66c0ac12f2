/**
 * Issue 8 item 8: what the wire cannot carry is refused when the metric is defined, with a typed error that
 * says what is wrong, or normalised so both push formats carry the same thing.
 */
import { describe, expect, it } from 'vitest';
import { LabelClashError, MetricDefinitionError } from '../../../src/errors.js';
import type { MetricSpec } from '../../../src/metrics/catalog.js';
import { encodeFamilies } from '../../../src/metrics/protobuf-exposition.js';
import { MetricsRegistry } from '../../../src/metrics/registry.js';

const counter = { name: 'user_rows_total', type: 'counter', help: 'Rows read.', unit: '1', group: 'accuracy', roles: ['trainer'], labels: [] } as const;
const histogram = { ...counter, name: 'user_stage_seconds', type: 'histogram', unit: 'seconds', buckets: [0.1, 1] } as const;

/** The error `define(spec)` throws on a fresh catalog registry. */
function defineError(spec: unknown, registry = new MetricsRegistry()): unknown {
  try {
    registry.define(spec as MetricSpec);
  } catch (error) {
    return error;
  }
  return undefined;
}

function expectRefused(spec: unknown, message: RegExp, registry?: MetricsRegistry): void {
  const error = defineError(spec, registry);
  expect(error, `define(${JSON.stringify(spec)})`).toBeInstanceOf(MetricDefinitionError);
  expect((error as MetricDefinitionError).code).toBe('PERSIA_METRIC_INVALID');
  expect((error as Error).message).toMatch(message);
}

describe('define() checks every field', () => {
  it.each(['name', 'type', 'help', 'unit', 'group', 'roles', 'labels'])('names a missing %s instead of throwing a TypeError', (field) => {
    const spec: Record<string, unknown> = { ...counter };
    delete spec[field];
    expectRefused(spec, new RegExp(`field "${field}" is missing`));
  });

  it('names a histogram without buckets', () => {
    const { buckets: _, ...spec } = histogram;
    expectRefused(spec, /field "buckets" is missing/);
  });

  it.each([
    ['name', 42, /field "name" must be a string, got 42/],
    ['type', 'summary', /field "type" must be counter \| gauge \| histogram, got "summary"/],
    ['help', null, /field "help" must be a string, got null/],
    ['group', 'misc', /field "group" must be/],
    ['roles', ['trainer', 'worker'], /field "roles" must be an array of roles/],
    ['roles', 'trainer', /field "roles"/],
    ['labels', 'feature', /field "labels" must be an array of label names/],
    ['labels', ['feature', 3], /field "labels"/],
  ])('refuses %s = %j', (field, value, message) => {
    expectRefused({ ...counter, [field]: value }, message);
  });

  it('refuses something that is not a spec at all', () => {
    for (const value of [undefined, null, 'user_rows_total', []]) expectRefused(value, /a metric definition is an object/);
  });

  it('refuses duplicate label names, grouping labels and le on histograms', () => {
    expectRefused({ ...counter, labels: ['feature', 'feature'] }, /label "feature" is listed twice/);
    expect(defineError({ ...counter, labels: ['instance'] })).toBeInstanceOf(LabelClashError);
    expectRefused({ ...histogram, labels: ['le'] }, /cannot use the label "le"/);
  });

  it("keeps its own frozen copy: changing the caller's arrays afterwards changes nothing", () => {
    const labels = ['feature'];
    const buckets = [0.1, 1];
    const registry = new MetricsRegistry([]);
    const family = registry.define({ ...histogram, labels, buckets });
    labels.push('extra');
    buckets.push(0.5);
    expect(family.spec.labels).toEqual(['feature']);
    expect(family.spec.buckets).toEqual([0.1, 1]);
    expect(Object.isFrozen(family.spec)).toBe(true);
    family.labels('x').observe(0.5);
    expect(family.render()).toContain('user_stage_seconds_bucket{feature="x",le="1"} 1\n');
  });
});

describe('define() refuses families whose samples another family writes', () => {
  it("a counter named like a catalog histogram's samples", () => {
    for (const suffix of ['_bucket', '_sum', '_count', '']) {
      expectRefused({ ...counter, name: `lookup_rpc_time_cost${suffix}` }, suffix === '' ? /already defined/ : /writes already/);
    }
  });

  it('x_count beside a histogram x, whichever comes first', () => {
    const histogramFirst = new MetricsRegistry([]);
    histogramFirst.define(histogram);
    expectRefused({ ...counter, name: 'user_stage_seconds_count' }, /samples named user_stage_seconds_count, which metric user_stage_seconds writes already/, histogramFirst);
    const counterFirst = new MetricsRegistry([]);
    counterFirst.define({ ...counter, name: 'user_stage_seconds_sum', type: 'gauge' });
    expectRefused(histogram, /histogram user_stage_seconds would write samples named user_stage_seconds_sum, which metric user_stage_seconds_sum writes already/, counterFirst);
  });

  it('names the gateway adds to every group', () => {
    for (const name of ['push_time_seconds', 'push_failure_time_seconds']) {
      expectRefused({ ...counter, name, type: 'gauge' }, /which the Pushgateway writes already/, new MetricsRegistry([]));
    }
    // A histogram whose derived names are the gateway's is refused as well; a prefix alone is fine.
    expectRefused({ ...histogram, name: 'push_time_seconds' }, /Pushgateway/, new MetricsRegistry([]));
    expect(defineError({ ...counter, name: 'push_time_seconds_total' }, new MetricsRegistry([]))).toBeUndefined();
  });

  it('leaves a refused family out entirely: the registry can still define a good one under another name', () => {
    const registry = new MetricsRegistry();
    expect(defineError({ ...counter, name: 'lookup_rpc_time_cost_bucket' }, registry)).toBeInstanceOf(MetricDefinitionError);
    expect(registry.get('lookup_rpc_time_cost_bucket')).toBeUndefined();
    expect(defineError({ ...counter, name: 'lookup_rpc_calls_total' }, registry)).toBeUndefined();
  });
});

describe('define() refuses bucket bounds the wire cannot carry the same way', () => {
  it.each([
    [[0.1, NaN, 1], /bucket bound 1 \(NaN\) is not a finite number/],
    [[0.1, 1, Infinity], /leave \+Inf out/],
    [[-Infinity, 1], /bucket bound 0 \(-Infinity\) is not a finite number/],
    [[0.1, '1'], /bucket bound 1 \("1"\) is not a number/],
    [[1, 0.1], /strictly ascending/],
    [[0.1, 0.1], /strictly ascending/],
    [[], /field "buckets" must be a non-empty array/],
    ['0.1,1', /field "buckets"/],
  ])('%j', (buckets, message) => {
    expectRefused({ ...histogram, buckets }, message, new MetricsRegistry([]));
  });

  it('a negative bound on a histogram of seconds (durations are never negative), not on others', () => {
    expectRefused({ ...histogram, buckets: [-1, 1] }, /in seconds cannot have a negative bound/, new MetricsRegistry([]));
    expect(defineError({ ...histogram, unit: '1', buckets: [-1, 1] }, new MetricsRegistry([]))).toBeUndefined();
  });

  it('writes a -0 bound as 0 in both formats', () => {
    const registry = new MetricsRegistry([]);
    const family = registry.define({ ...histogram, unit: '1', buckets: [-1, -0, 1] });
    expect(Object.is(family.spec.buckets?.[1], 0)).toBe(true);
    family.labels().observe(-0.5);
    expect(registry.metrics()).toContain('user_stage_seconds_bucket{le="0"} 1\n');
    const body = encodeFamilies([family]);
    const negativeZero = Buffer.from([0x11, 0, 0, 0, 0, 0, 0, 0, 0x80]); // upper_bound tag, -0 little-endian
    const zero = Buffer.from([0x11, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(body.includes(negativeZero)).toBe(false);
    expect(body.includes(zero)).toBe(true);
  });
});

describe('define() refuses help text one format would change', () => {
  it.each([' Leading space.', '\tLeading tab.', '  '])('%j (the text parser drops leading blanks, protobuf keeps them)', (help) => {
    expectRefused({ ...counter, help }, /help must not start with a space or tab/, new MetricsRegistry([]));
  });

  it('lone surrogates', () => {
    expectRefused({ ...counter, help: 'half a pair \uD800' }, /lone UTF-16 surrogate/, new MetricsRegistry([]));
  });

  it('keeps what both formats carry: trailing blanks, newlines, backslashes, NUL, empty help', () => {
    for (const [index, help] of ['Trailing.  ', 'Two\nlines \\ slash', 'a\u0000b', '', 'rocket \uD83D\uDE80'].entries()) {
      expect(defineError({ ...counter, name: `user_help_${index}_total`, help }, new MetricsRegistry([]))).toBeUndefined();
    }
  });
});
