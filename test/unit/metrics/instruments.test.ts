import { describe, expect, it } from 'vitest';
import { TIME_COST_BUCKETS } from '../../../src/metrics/catalog.js';
import { MetricsRegistry } from '../../../src/metrics/registry.js';

const base = { unit: '1', group: 'accuracy', roles: ['trainer'] } as const;

describe('instruments after the bench optimisations', () => {
  it('counts histogram observations as the sum of its buckets, without NaN or infinities', () => {
    const registry = new MetricsRegistry([{ ...base, name: 'h', type: 'histogram', help: 'h', labels: [], buckets: TIME_COST_BUCKETS }]);
    const histogram = registry.histogram('h');
    for (const value of [0, -1, 0.0001, 3, 1e9, Number.NaN, Infinity, -Infinity]) histogram.observe(value);
    expect(histogram.count).toBe(5);
    expect(histogram.labels().bucketCounts.at(-1)).toBe(1); // 1e9: the only counted value above 10 s
    expect(histogram.labels().sum).toBe(0 - 1 + 0.0001 + 3 + 1e9);
    expect(registry.rejectedSamples()).toBe(3);
  });

  it('writes exactly the expected text, in definition and creation order, the same on every call', () => {
    const registry = new MetricsRegistry([
      { ...base, name: 'c_total', type: 'counter', help: 'A counter.\nSecond line \\ slash', labels: ['feature'] },
      { ...base, name: 'unused', type: 'gauge', help: 'never recorded', labels: [] },
      { ...base, name: 'h', type: 'histogram', help: 'h', labels: ['feature'], buckets: [0.5, 1] },
    ]);
    registry.counter('c_total').labels('b').inc(2);
    registry.counter('c_total').labels('a"q').inc(0.5);
    registry.histogram('h').labels('x').observe(0.7);
    registry.histogram('h').labels('x').observe(5);
    const expected = [
      '# HELP c_total A counter.\\nSecond line \\\\ slash',
      '# TYPE c_total counter',
      'c_total{feature="b"} 2',
      'c_total{feature="a\\"q"} 0.5',
      '# HELP h h',
      '# TYPE h histogram',
      'h_bucket{feature="x",le="0.5"} 0',
      'h_bucket{feature="x",le="1"} 1',
      'h_bucket{feature="x",le="+Inf"} 2',
      'h_sum{feature="x"} 5.7',
      'h_count{feature="x"} 2',
      '',
    ].join('\n');
    expect(registry.metrics()).toBe(expected);
    expect(registry.metrics()).toBe(expected);
    expect(registry.get('unused')?.render()).toBe('');
  });
});
