/**
 * docs/capacity.md is generated: rendering it from the committed figures module (what
 * `node dist/bench/capacity.js --render` does) gives the committed page byte for byte, so its tables can
 * only come from a bench run and its sizing table only from the model `init --nodes` uses.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderCapacityPage, SIZING_NODES } from '../../bench/capacity-page.js';
import { capacityFigures, suggestGatewayShards } from '../../src/monitoring/capacity.js';

const CAPACITY_FIGURES = capacityFigures();

const page = readFileSync(new URL('../../docs/capacity.md', import.meta.url), 'utf8');

describe('docs/capacity.md', () => {
  it('is the render of data/capacity-figures.json, byte for byte (rerun `npm run capacity` or `--render`)', () => {
    expect(renderCapacityPage(CAPACITY_FIGURES)).toBe(page);
  });

  it('shows each measured run and the sizing rows of the model', () => {
    const runs = [...CAPACITY_FIGURES.runs.checkOnOff, ...CAPACITY_FIGURES.runs.matrix, ...CAPACITY_FIGURES.runs.shards];
    expect(runs.length).toBeGreaterThanOrEqual(4);
    expect(page).toContain(`Measured ${CAPACITY_FIGURES.measuredAt}`);
    for (const nodes of SIZING_NODES) {
      const s = suggestGatewayShards({ nodes, seriesPerNode: 2_000, intervalSeconds: 10 });
      expect(page).toContain(`| ${nodes.toLocaleString('en-US')} nodes × 2,000 series every 10 s | ${s.totalSeries.toLocaleString('en-US')} | ${s.shards} | ${s.limitedBy} |`);
    }
    expect(page).toContain('[the sizing table](#sizing)');
  });

  it('says when the figures were taken on a busy machine or in quick mode', () => {
    // The main runs' note (the check-cost section, below, says its own).
    const { checkCost, ...MAIN } = CAPACITY_FIGURES;
    expect(checkCost).toBeDefined();
    const quiet = renderCapacityPage({ ...MAIN, mode: 'full', loadAverage: { before: 0.4, max: 2.5 } });
    expect(quiet).toContain('The machine was otherwise quiet: load average 0.400 before the run, at most 2.50 between its steps');
    expect(quiet).not.toContain('Taken under load');
    const ownLoad = renderCapacityPage({ ...MAIN, mode: 'full', loadAverage: { before: 0.9, max: 3.45 } });
    expect(ownLoad).not.toContain('Taken under load');
    expect(ownLoad).toContain("It rose to 3.45 between steps, from the bench's own processes");
    expect(quiet).not.toContain('**Quick mode**');
    const busy = renderCapacityPage({ ...MAIN, mode: 'quick', loadAverage: { before: 2.25, max: 7.5 } });
    expect(busy).toContain('**Taken under load**: the machine was shared with other work; the 1-minute load average read 2.25 before the run and up to 7.50');
    expect(busy).toContain('**Quick mode**');
  });

  it('shows the consistency-check runs, the cost derived from them and where init turns the check on', () => {
    const cost = CAPACITY_FIGURES.checkCost!;
    const page = renderCapacityPage(CAPACITY_FIGURES);
    expect(page).toContain('## The consistency check for small jobs');
    expect(page).toContain(`measured ${cost.measuredAt} (\`npm run capacity -- --check-cost\`)`);
    for (const row of cost.runs) expect(page).toContain(`| ${row.label} | ${row.nodes} | ${row.seriesPerNode.toLocaleString('en-US')} |`);
    expect(page).toContain(`the check costs **${Number((cost.checkSecondsPerStoredSeries * 1e6).toPrecision(3))} µs of gateway CPU per series stored, at every push**`);
    expect(page).toMatch(/\| 8 \| \*\*on\*\* \(/);
    expect(page).toMatch(/\| 512 \| off \(/);
    expect(renderCapacityPage({ ...CAPACITY_FIGURES, checkCost: { ...cost, loadAverage: { before: 0.3, max: 1 } } })).not.toContain('Taken under load');
  });
});
