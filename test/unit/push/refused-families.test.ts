import { describe, expect, it } from 'vitest';
import { PushHttpError } from '../../../src/errors.js';
import { RefusedFamilies, withoutFamilies } from '../../../src/push/refused-families.js';

const BODY = [
  '# HELP a_total A.',
  '# TYPE a_total counter',
  'a_total 1',
  '# HELP h_seconds H.',
  '# TYPE h_seconds histogram',
  'h_seconds_bucket{le="+Inf"} 2',
  'h_seconds_sum 0.5',
  'h_seconds_count 2',
  '# TYPE g gauge',
  'g{feature="x"} 3',
  '',
].join('\n');

// The 1.5.1 gateway's own wording, copied from a real 400.
const refusal = (name: string): PushHttpError =>
  new PushHttpError('PUT', 'u', 400, `pushed metrics are invalid or inconsistent with existing metrics: collected metric "${name}" { counter:<value:1 > } is not a GAUGE\n`);

describe('withoutFamilies', () => {
  it('drops a histogram with all its sample lines, and keeps everything else byte for byte', () => {
    expect(withoutFamilies(BODY, new Set(['h_seconds']))).toBe(
      ['# HELP a_total A.', '# TYPE a_total counter', 'a_total 1', '# TYPE g gauge', 'g{feature="x"} 3', ''].join('\n'),
    );
    expect(withoutFamilies(BODY, new Set())).toBe(BODY);
  });

  it('drops headerless samples by their own name', () => {
    expect(withoutFamilies('x 1\ny{a="b"} 2\n', new Set(['y']))).toBe('x 1\n');
  });
});

describe('RefusedFamilies', () => {
  it('holds back the named family, reports it once, and offers it again after the hold', () => {
    const reports: string[] = [];
    const refused = new RefusedFamilies((family) => reports.push(family), 2);
    expect(refused.holdBack(refusal('g'), BODY)).toBe(true);
    expect(refused.filter(BODY)).not.toContain('g{');
    expect(refused.refusal?.statusCode).toBe(400);
    expect(refused.filter(BODY)).not.toContain('g{');
    expect(refused.filter(BODY)).toBe(BODY); // hold over: offered again
    expect(refused.holdBack(refusal('g'), BODY)).toBe(true);
    expect(reports).toEqual(['g']);
  });

  it('does not hold back what the body does not contain, nor on a 5xx or a refusal naming nothing', () => {
    const refused = new RefusedFamilies(() => {});
    expect(refused.holdBack(refusal('not_ours'), BODY)).toBe(false);
    expect(refused.holdBack(new PushHttpError('PUT', 'u', 500, 'collected metric "g"'), BODY)).toBe(false);
    expect(refused.holdBack(new PushHttpError('PUT', 'u', 400, 'text format parsing error in line 3'), BODY)).toBe(false);
    expect(refused.families).toEqual([]);
  });
});
