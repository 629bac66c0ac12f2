/**
 * The agent's --progress family as the pages carry it (src/push/progress-family.ts), and what the node says
 * of it (src/metrics/progress.ts): a counter's sum; a histogram's or summary's observations (_count); a
 * gauge named, not summed; a family no page carries said once, only after a push at which every endpoint
 * answered, with the page's counter closest to it; a family left out of the push for a clash said to be
 * there and left out, with why, never missing; the age counts from the start meanwhile.
 * test/integration/agent-progress-family.test.ts runs the same through the built agent and real trainers.
 */
import { describe, expect, it } from 'vitest';
import { PROGRESS_AGE_METRIC } from '../../../src/metrics/catalog.js';
import { installProgressWatch } from '../../../src/metrics/progress.js';
import { MetricsRegistry } from '../../../src/metrics/registry.js';
import { progressFamilyReading } from '../../../src/push/progress-family.js';

const PAGE = [
  '# TYPE train_steps_total counter',
  'train_steps_total{rank="0"} 5.0',
  'train_steps_total{rank="1"} 7.0',
  '# TYPE batch_seconds histogram',
  'batch_seconds_bucket{phase="fwd",le="+Inf"} 3.0',
  'batch_seconds_count{phase="fwd"} 3.0',
  'batch_seconds_sum{phase="fwd"} 0.3',
  'batch_seconds_count{phase="bwd"} 4.0',
  '# TYPE train_loss gauge',
  'train_loss{rank="0"} 0.5',
  'legacy_steps 9',
  '',
].join('\n');

describe('the progress family in the pages', () => {
  it('a counter (by either name), a histogram (its _count), untyped samples: their totals; a gauge: its type, no total', () => {
    expect(progressFamilyReading(PAGE, 'train_steps_total')).toMatchObject({ total: 12, counters: ['train_steps_total'] });
    expect(progressFamilyReading(PAGE, 'train_steps').total).toBe(12);
    expect(progressFamilyReading(PAGE, 'batch_seconds')).toMatchObject({ total: 7, countOf: 'histogram' });
    expect(progressFamilyReading(PAGE, 'batch_seconds_count').total).toBe(7);
    expect(progressFamilyReading(PAGE, 'legacy_steps').total).toBe(9);
    expect(progressFamilyReading(PAGE, 'train_loss')).toMatchObject({ total: undefined, otherType: 'gauge' });
    const typo = progressFamilyReading(PAGE, 'train_step_total');
    expect([typo.total, typo.otherType]).toEqual([undefined, undefined]);
  });

  it('a family in no page is said once, after a push at which every endpoint answered, and the age counts from the start', () => {
    let now = 0;
    const reports: string[] = [];
    const registry = new MetricsRegistry();
    const observe = installProgressWatch(registry, { source: { family: 'train_step_total' }, fromStart: true, report: (message) => reports.push(message), nowMs: () => now });
    const push = (ms: number, complete: boolean): number => {
      now = ms;
      observe?.({ ...progressFamilyReading(complete ? PAGE : '', 'train_step_total'), complete });
      registry.collect();
      return registry.gauge(PROGRESS_AGE_METRIC).value;
    };
    expect(push(10_000, false)).toBe(10); // the endpoint was down: the family may be on its page
    expect(reports).toEqual([]);
    expect(push(20_000, true)).toBe(20);
    expect(push(30_000, true)).toBe(30);
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatch(/^the progress family train_step_total is in none of the pages, although every endpoint answered \(did you mean train_steps_total\?\)/);
  });

  it('a gauge is refused by name, once, and never said to be missing', () => {
    const reports: string[] = [];
    const registry = new MetricsRegistry();
    const observe = installProgressWatch(registry, { source: { family: 'train_loss' }, fromStart: true, report: (message) => reports.push(message) });
    for (let push = 0; push < 3; push += 1) observe?.({ ...progressFamilyReading(PAGE, 'train_loss'), complete: true });
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatch(/^the progress family train_loss is a gauge in the pages, not a counter/);
  });

  it('a family left out of the push for a clash is said to be on a page and left out, with why, once, and never missing', () => {
    const why = new Error("extraSources[0] (http://127.0.0.1:8000/metrics) writes rpc_seconds_bucket with the labels le, peer at line 4, but the catalog's rpc_seconds has le.");
    const leftOut = new Map([['rpc_seconds', why]]);
    expect(progressFamilyReading(PAGE, 'rpc_seconds', leftOut)).toMatchObject({ total: undefined, leftOut: why.message });
    expect(progressFamilyReading(PAGE, 'rpc_seconds_count', leftOut).leftOut).toBe(why.message);
    expect(progressFamilyReading(PAGE, 'train_steps', new Map([['train_steps_total', why]])).total).toBe(12); // on the page as sent: read
    const reports: string[] = [];
    const registry = new MetricsRegistry();
    const observe = installProgressWatch(registry, { source: { family: 'rpc_seconds' }, fromStart: true, report: (message) => reports.push(message) });
    for (let push = 0; push < 3; push += 1) observe?.({ ...progressFamilyReading(PAGE, 'rpc_seconds', leftOut), complete: true });
    expect(reports).toEqual([
      "the progress family rpc_seconds is on a page but left out of the pushes, so it is not read as progress: extraSources[0] (http://127.0.0.1:8000/metrics) writes rpc_seconds_bucket with the labels le, peer at line 4, but the catalog's rpc_seconds has le; " +
        "persia_node_progress_age_seconds counts from the node's start, so the node is called hung once that passes the hang threshold",
    ]);
  });
});
