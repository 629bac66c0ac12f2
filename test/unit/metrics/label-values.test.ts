/**
 * Issue 8 item 3 (and the NUL / lone-surrogate parts of item 8): one label set is one series, and the same
 * labels() call always gets the same answer, whatever was called before.
 */
import { describe, expect, it } from 'vitest';
import { MetricDefinitionError } from '../../../src/errors.js';
import { encodeFamilies } from '../../../src/metrics/protobuf-exposition.js';
import { MetricsRegistry } from '../../../src/metrics/registry.js';

const base = { unit: '1', group: 'accuracy', roles: ['trainer'], help: 'A test metric.' } as const;

function registry(): MetricsRegistry {
  return new MetricsRegistry([
    { ...base, name: 'one_total', type: 'counter', labels: ['feature'] },
    { ...base, name: 'two_total', type: 'counter', labels: ['table', 'feature'] },
    { ...base, name: 'three_total', type: 'counter', labels: ['a', 'b', 'c'] },
    { ...base, name: 'none_total', type: 'counter', labels: [] },
  ]);
}

/** Calls `call` and returns the error's class name and code, or 'ok'. */
function outcome(call: () => unknown): string {
  try {
    call();
    return 'ok';
  } catch (error) {
    return error instanceof MetricDefinitionError ? `MetricDefinitionError ${error.code}` : String(error);
  }
}

describe('label values', () => {
  it('takes numbers and bigints as the same series as their decimal string', () => {
    const counter = registry().counter('one_total');
    counter.labels(42).inc();
    counter.labels('42').inc(2);
    counter.labels(42n).inc(4);
    expect(counter.labels(42)).toBe(counter.labels('42'));
    expect(counter.seriesCount).toBe(1);
    expect(counter.render()).toContain('one_total{feature="42"} 7\n');
    counter.labels(-0).inc();
    expect(counter.labels('0').value).toBe(1);
    const two = registry().counter('two_total');
    expect(two.labels(1, 'x')).toBe(two.labels('1', 'x'));
    expect(two.labels('x', 2.5)).toBe(two.labels('x', '2.5'));
  });

  it('checks the number of values on every call, not only when a series is created', () => {
    const registryWithHistory = registry();
    const one = registryWithHistory.counter('one_total');
    const fresh = outcome(() => one.labels());
    one.labels('').inc();
    expect(outcome(() => one.labels())).toBe(fresh);
    expect(fresh).toBe('MetricDefinitionError PERSIA_METRIC_INVALID');
    expect(outcome(() => one.labels('a', 'b'))).toBe('MetricDefinitionError PERSIA_METRIC_INVALID');
    const two = registryWithHistory.counter('two_total');
    two.labels('a', 'b');
    expect(outcome(() => two.labels('a'))).toBe('MetricDefinitionError PERSIA_METRIC_INVALID');
    expect(outcome(() => two.labels('a', 'b', 'c'))).toBe('MetricDefinitionError PERSIA_METRIC_INVALID');
    expect(outcome(() => registryWithHistory.counter('none_total').labels('x'))).toBe('MetricDefinitionError PERSIA_METRIC_INVALID');
  });

  it('refuses the family-level shortcuts on a family with labels, every time (they mean labels() with none)', () => {
    const one = registry().counter('one_total');
    one.labels('').inc();
    expect(outcome(() => one.inc())).toBe('MetricDefinitionError PERSIA_METRIC_INVALID');
    expect(outcome(() => one.value)).toBe('MetricDefinitionError PERSIA_METRIC_INVALID');
    expect(() => one.inc()).toThrow(/metric one_total has label\(s\) \(feature\): record on a series bound with \.labels/);
    expect(() => one.labels()).toThrow(/metric one_total takes 1 label value\(s\) \(feature\), got 0$/);
  });

  it.each([
    ['undefined', undefined],
    ['null', null],
    ['a boolean', true],
    ['an object', { id: 1 }],
    ['an array', ['x']],
    ['a symbol', Symbol('x')],
  ])('refuses %s as a label value, every time, even after "" and its string form exist', (_, value) => {
    const one = registry().counter('one_total');
    one.labels('').inc();
    // The refused value's string form ('[object Object]', 'Symbol(x)', ...) is bound first on purpose.
    // eslint-disable-next-line @typescript-eslint/no-base-to-string
    one.labels(String(value)).inc();
    const call = () => one.labels(value as never);
    expect(outcome(call)).toBe('MetricDefinitionError PERSIA_METRIC_INVALID');
    expect(outcome(call)).toBe('MetricDefinitionError PERSIA_METRIC_INVALID');
    expect(() => one.labels(value as never)).toThrow(/label "feature" got .*a label value is a string or a number/);
    const two = registry().counter('two_total');
    expect(outcome(() => two.labels('x', value as never))).toBe('MetricDefinitionError PERSIA_METRIC_INVALID');
    expect(outcome(() => two.labels(value as never, 'x'))).toBe('MetricDefinitionError PERSIA_METRIC_INVALID');
  });

  it('keeps label sets apart whatever characters the values hold (a NUL used to be the key separator)', () => {
    const metrics = registry();
    const two = metrics.counter('two_total');
    two.labels('a\u0000b', 'c').inc(1);
    two.labels('a', 'b\u0000c').inc(2);
    two.labels('a\u0000b\u0000c', '').inc(4);
    expect(two.seriesCount).toBe(3);
    expect(two.labels('a', 'b\u0000c').value).toBe(2);
    const text = metrics.metrics();
    expect(text).toContain('two_total{table="a\u0000b",feature="c"} 1\n');
    expect(text).toContain('two_total{table="a",feature="b\u0000c"} 2\n');
    expect(text).toContain('two_total{table="a\u0000b\u0000c",feature=""} 4\n');
    // Protobuf carries the same three label sets (the NUL is an ordinary UTF-8 byte there).
    const body = encodeFamilies([two]);
    expect(body.includes(Buffer.from('a\u0000b'))).toBe(true);
    expect(body.includes(Buffer.from('b\u0000c'))).toBe(true);
    const three = metrics.counter('three_total');
    expect(three.labels('x', 'y', 'z')).toBe(three.labels('x', 'y', 'z'));
    expect(three.labels('x', 'y', 'z')).not.toBe(three.labels('x', 'yz', ''));
    expect(three.seriesCount).toBe(2);
  });

  it('refuses lone UTF-16 surrogates (two of them would both arrive as U+FFFD), keeps real pairs', () => {
    const one = registry().counter('one_total');
    for (const value of ['\uD800', 'a\uDBFFb', '\uDC00', 'x\uDFFF', '\uDE80\uD83D']) {
      expect(outcome(() => one.labels(value))).toBe('MetricDefinitionError PERSIA_METRIC_INVALID');
      expect(outcome(() => one.labels(value))).toBe('MetricDefinitionError PERSIA_METRIC_INVALID');
    }
    expect(outcome(() => registry().counter('two_total').labels('ok', '\uD800'))).toBe('MetricDefinitionError PERSIA_METRIC_INVALID');
    one.labels('rocket \uD83D\uDE80').inc();
    expect(one.render()).toContain('one_total{feature="rocket 🚀"} 1\n');
    expect(one.seriesCount).toBe(1);
  });

  it('finds existing series again after clear() only by creating them anew', () => {
    const two = registry().counter('two_total');
    const before = two.labels('a', 'b');
    before.inc();
    two.clear();
    expect(two.seriesCount).toBe(0);
    const after = two.labels('a', 'b');
    expect(after).not.toBe(before);
    expect(after.value).toBe(0);
    expect(two.render()).toContain('two_total{table="a",feature="b"} 0\n');
  });
});
