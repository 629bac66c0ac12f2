import { describe, expect, it } from 'vitest';
import { PushHttpError } from '../../../src/errors.js';
import { MetricsRegistry } from '../../../src/metrics/registry.js';
import { TEXT_CONTENT_TYPE } from '../../../src/metrics/exposition-format.js';
import { bodyComposer, textBody, withoutFamilies, type PushBody } from '../../../src/push/push-body.js';
import { RefusedFamilies } from '../../../src/push/refused-families.js';

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
    expect(withoutFamilies(BODY, new Set(['h_seconds']))).toBe(['# HELP a_total A.', '# TYPE a_total counter', 'a_total 1', '# TYPE g gauge', 'g{feature="x"} 3', ''].join('\n'));
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
    expect(refused.holdBack(refusal('g'), textBody(BODY))).toBe(true);
    expect([...refused.forNextPush()]).toEqual(['g']);
    expect(refused.refusal?.statusCode).toBe(400);
    expect([...refused.forNextPush()]).toEqual(['g']);
    expect([...refused.forNextPush()]).toEqual([]); // hold over: offered again
    expect(refused.holdBack(refusal('g'), textBody(BODY))).toBe(true);
    expect(reports).toEqual(['g']);
  });

  it('does not hold back what the body does not contain, nor on a 5xx or a refusal naming nothing', () => {
    const refused = new RefusedFamilies(() => {});
    expect(refused.holdBack(refusal('not_ours'), textBody(BODY))).toBe(false);
    expect(refused.holdBack(new PushHttpError('PUT', 'u', 500, 'collected metric "g"'), textBody(BODY))).toBe(false);
    expect(refused.holdBack(new PushHttpError('PUT', 'u', 400, 'text format parsing error in line 3'), textBody(BODY))).toBe(false);
    expect(refused.families).toEqual([]);
  });
});

describe('held-back families in built bodies', () => {
  it('a text body without the held families, which then does not contain them', () => {
    const body = textBody(BODY, new Set(['h_seconds']));
    expect(body.data).not.toContain('h_seconds');
    expect(body.contains('h_seconds')).toBe(false);
    expect(body.contains('g')).toBe(true);
    expect(body.contains('a_total')).toBe(true);
  });

  it('the composer leaves a held family out by name, in protobuf and in text', async () => {
    const registry = new MetricsRegistry();
    registry.counter('index_miss_count').inc(2);
    registry.gauge('num_pending_batches').set(3);
    for (const format of ['protobuf', 'text'] as const) {
      const all = (await bodyComposer(registry, [], format)(new Set())) as PushBody;
      const held = (await bodyComposer(registry, [], format)(new Set(['index_miss_count']))) as PushBody;
      expect(all.contains('index_miss_count')).toBe(true);
      expect(held.contains('index_miss_count')).toBe(false);
      expect(held.contains('num_pending_batches')).toBe(true);
      expect(Buffer.from(held.data).includes('index_miss_count')).toBe(false);
      expect(Buffer.from(held.data).includes('num_pending_batches')).toBe(true);
    }
  });

  it('extra text sources make the body text, and held families are filtered out of them too', async () => {
    const registry = new MetricsRegistry();
    registry.gauge('num_pending_batches').set(3);
    const extra = { metrics: () => '# TYPE user_total counter\nuser_total 1\n# TYPE user_gauge gauge\nuser_gauge 2\n' };
    const body = (await bodyComposer(registry, [extra], 'protobuf')(new Set(['user_total']))) as PushBody;
    expect(body.contentType).toBe(TEXT_CONTENT_TYPE);
    expect(body.data).toContain('num_pending_batches');
    expect(body.data).toContain('user_gauge 2');
    expect(body.data).not.toContain('user_total');
    expect(body.contains('user_gauge')).toBe(true);
    expect(body.contains('user_total')).toBe(false);
  });
});
