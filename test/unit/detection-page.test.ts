/**
 * docs/detection.md is generated: rendering it from the committed figures (what
 * `node dist/bench/detection/run.js --render` does) gives the committed page byte for byte, so its figures can
 * only come from a benchmark run (`npm run detection`), and its verdicts on the goals only from those figures.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readDetectionFigures, type DetectionFigures, type KindFigures } from '../../bench/detection/figures.js';
import { GOALS, PUBLISHED, renderDetectionPage, STRAGGLER_GOAL_SLICE, tradeOff } from '../../bench/detection/page.js';
import { FAST_STRAGGLER_EVIDENCE } from '../../src/monitoring/fast-rules.js';
import { DEFAULT_MONITORING_OPTIONS } from '../../src/monitoring/options.js';
import { FAULT_KINDS } from '../../bench/detection/shipped-rules.js';

const ROOT = new URL('../../', import.meta.url);
const figures = readDetectionFigures(ROOT);
const page = readFileSync(new URL('docs/detection.md', ROOT), 'utf8');

function withKind(base: DetectionFigures, kind: KindFigures['kind'], change: Partial<KindFigures>): DetectionFigures {
  return { ...base, kinds: base.kinds.map((row) => (row.kind === kind ? { ...row, ...change } : row)) };
}

describe('docs/detection.md', () => {
  it('is the render of data/detection-figures.json, byte for byte (rerun `npm run detection` or `--render`)', () => {
    expect(renderDetectionPage(figures)).toBe(page);
  });

  it('names its run: a full run has at least 100 scenarios of every fault kind, a quick one says it is not for quoting', () => {
    expect(figures.kinds.map((row) => row.kind)).toEqual([...FAULT_KINDS]);
    if (figures.mode === 'quick') {
      expect(page).toContain('**Quick mode**');
      return;
    }
    for (const row of figures.kinds) expect(row.scenarios, row.kind).toBeGreaterThanOrEqual(100);
    expect(figures.shutdown.scenarios).toBeGreaterThanOrEqual(100);
  });

  it('cites each published figure by its paper or documentation', () => {
    for (const published of PUBLISHED) {
      expect(page).toContain(published.system);
      expect(page).toContain(published.source);
    }
    for (const figure of ['3.6 s', '0.904', '0.893', 'within 15 s in 90 %', '30.3 s', '97.21 %', 'over 99 %', '10 min']) expect(page).toContain(figure);
  });

  it('says met or NOT met for each goal, and why a goal is missed', () => {
    const quick = withKind(figures, 'dead', { medianSeconds: 12, p95Seconds: 20, recall: 1, precision: 1, falseAlertsPer1000NodeHours: 0 });
    const fast = renderDetectionPage(quick);
    expect(fast).toContain(`- Time to alert ≤ ${GOALS.medianSeconds} s median for dead nodes: **met** — median 12 s, p95 20 s`);
    expect(fast).toContain(`- Precision ≥ ${GOALS.precision} for dead nodes: **met** — 1.000.`);
    const stale = { name: 'PersiaNodeStoppedPushing', forSeconds: 60, windowSeconds: 0 };
    const slow = renderDetectionPage(withKind(figures, 'dead', { medianSeconds: 130, alerts: [stale], recall: 1 }));
    expect(slow).toMatch(/Time to alert ≤ 30 s median for dead nodes: \*\*NOT met\*\* — median 2\.2 min.*Why: .*`PersiaNodeStoppedPushing` \(no range window, `for` 60 s\)/);
    const none = renderDetectionPage(withKind(figures, 'hang', { alerts: [], medianSeconds: null, recall: 0, precision: null }));
    expect(none).toMatch(/for hangs: \*\*NOT met\*\* — median never \(missed\).*Why: no shipped rule claims this fault/);
    expect(page).toContain(`for stragglers (${STRAGGLER_GOAL_SLICE}):`);
  });

  it('says what a missed dead-node or straggler goal would cost to meet, in the model’s and the rules’ figures', () => {
    const dead = tradeOff('dead', figures.setup) ?? '';
    // 0.05 % of 10 s pushes start a blip: 180 per 1,000 node-hours, each 2-4 pushes long.
    expect(dead).toContain('180 blips per 1,000 node-hours at 10 s pushes');
    expect(dead).toContain(`older than the ${DEFAULT_MONITORING_OPTIONS.downAfterIntervals} intervals`);
    expect(renderDetectionPage(withKind(figures, 'dead', { precision: 0.5 }))).toContain(`Precision ≥ ${GOALS.precision} for dead nodes: **NOT met** — 0.500.`);
    expect(renderDetectionPage(withKind(figures, 'dead', { precision: 0.5 }))).toContain(`Why: ${dead}`);
    const straggler = tradeOff('straggler', figures.setup) ?? '';
    expect(straggler).toContain(`above ${FAST_STRAGGLER_EVIDENCE.throughput} for the time per batch, ${FAST_STRAGGLER_EVIDENCE.timeCost} for the mean time cost`);
    // 30 s of 0.5 s batches slowed 1.5x: 40 of them, where 1.5 is 0.5 x sqrt(40) = 3.2 wanders.
    expect(straggler).toContain('as few as 40 of a node slowed 1.5×, where that slowdown is 3.2 chance wanders');
    expect(tradeOff('hang', figures.setup)).toBeUndefined();
  });

  it('says when the figures are from a quick run', () => {
    expect(renderDetectionPage({ ...figures, mode: 'quick' })).toContain('**Quick mode**');
    expect(renderDetectionPage({ ...figures, mode: 'full' })).not.toContain('**Quick mode**');
  });

  it('and the README’s table quotes the same run: each row’s median / p95 (live too), precision and false alerts', () => {
    const readme = readFileSync(new URL('README.md', ROOT), 'utf8');
    const rowStarts: Readonly<Record<KindFigures['kind'], string>> = { straggler: '| straggler,', hang: '| hang:', dead: '| dead node:', nan: '| burst of NaN' };
    const s = (value: number | null | undefined): string => (value === null || value === undefined ? 'never' : `${Math.round(value)} s`);
    for (const kind of figures.kinds) {
      const row = readme.split('\n').find((line) => line.startsWith(rowStarts[kind.kind])) ?? '';
      const times = kind.kind === 'straggler' ? (figures.stragglerSlices.find((slice) => slice.label === STRAGGLER_GOAL_SLICE) ?? kind) : kind;
      expect(row, kind.kind).toContain(`| ${s(times.medianSeconds)} / ${s(times.p95Seconds)}, live ${s(times.liveMedianSeconds)} / ${s(times.liveP95Seconds)}`);
      expect(row, kind.kind).toContain(`| ${(kind.precision ?? 0).toFixed(2)}`);
      expect(row, kind.kind).toContain(`| ${Math.round(kind.falseAlertsPer1000NodeHours)} |`);
    }
  });
});
