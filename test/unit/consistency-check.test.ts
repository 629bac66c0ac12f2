/**
 * Where `init --nodes` says to run the gateway with its consistency check on (src/monitoring/consistency-check.ts):
 * for small jobs, where the committed check-cost figure says it adds little to a push and to the gateway's
 * CPU, and never for a bigger job; the figure itself comes from check-on / check-off pairs that kept up.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { capacityFigures, HEADROOM, type CapacityFigures, type CapacityRun } from '../../src/monitoring/capacity.js';
import { CHECK_MAX_CORES, CHECK_MAX_PUSH_SECONDS, CHECK_OFF_FLAG, consistencyCheckAdvice, consistencyCheckFlags, deriveCheckCost } from '../../src/monitoring/consistency-check.js';

const FIGURES = capacityFigures();

function run(checkOff: boolean, nodes: number, seriesPerNode: number, cores: number, pushesOk: number, pushesDue = pushesOk): CapacityRun {
  return {
    label: checkOff ? 'check off' : 'check on',
    gateways: 1,
    checkOff,
    nodes,
    seriesPerNode,
    intervalSeconds: 10,
    scrapeIntervalSeconds: 15,
    windowSeconds: 10,
    pushesOk,
    pushesDue,
    p50Ms: 1,
    p99Ms: 2,
    maxScrapeSeconds: 0.1,
    directScrapeSeconds: 0.1,
    gatewayCpuCores: cores,
    gatewayRssMiB: 20,
    gatewayBaseRssMiB: 12,
    seriesPerSecondPerCore: null,
    pushesPerSecondPerCore: null,
    prometheusCpuCores: 0.01,
    samplesAppendedPerSecond: 100,
  };
}

describe('deriveCheckCost', () => {
  it("is the check's extra CPU per push per stored series over the pairs whose check-on run kept up", () => {
    const cost = deriveCheckCost(
      [
        // 10 pushes/s × 50,000 stored; 0.25 extra cores → 0.5 µs per stored series per push.
        run(false, 100, 500, 0.26, 100),
        run(true, 100, 500, 0.01, 100),
        // A saturated check-on run (no push completed) says nothing of the cost: left out.
        run(false, 500, 500, 0.3, 0, 500),
        run(true, 500, 500, 0.08, 500),
      ],
      { before: 1, max: 2 },
    );
    expect(cost.checkSecondsPerStoredSeries).toBeCloseTo(0.5e-6, 12);
    expect(cost.runs).toHaveLength(4);
  });

  it('is NaN when no pair kept up, and the advice is then off', () => {
    const cost = deriveCheckCost([run(false, 500, 500, 0.3, 0, 500), run(true, 500, 500, 0.08, 500)], { before: 1, max: 2 });
    expect(cost.checkSecondsPerStoredSeries).toBeNaN();
    expect(consistencyCheckAdvice({ nodes: 2, seriesPerNode: 10, intervalSeconds: 10 }, { ...FIGURES, checkCost: cost }).on).toBe(false);
  });
});

describe('consistencyCheckAdvice (committed figures)', () => {
  it('has a measured check cost of the order of a microsecond per stored series', () => {
    const perSeries = FIGURES.checkCost?.checkSecondsPerStoredSeries ?? Number.NaN;
    expect(perSeries).toBeGreaterThan(1e-8);
    expect(perSeries).toBeLessThan(1e-5);
  });

  const { checkCost: _measured, ...unmeasured }: CapacityFigures = FIGURES;

  it('turns the check on for a job of 10 nodes, off for 500 nodes and for one that needs several gateways', () => {
    const small = consistencyCheckAdvice({ nodes: 10, seriesPerNode: 500, intervalSeconds: 10 });
    expect(small.on).toBe(true);
    expect(small.reason).toMatch(/^it adds [\d.]+ ms to a push and [\d.]+ gateway cores$/);
    expect(consistencyCheckFlags(small)).toEqual([]);
    const big = consistencyCheckAdvice({ nodes: 500, seriesPerNode: 500, intervalSeconds: 10 });
    expect(big.on).toBe(false);
    expect(big.reason).toMatch(/^it would add [\d.]+ gateway cores, more than 0\.25$/);
    expect(consistencyCheckFlags(big)).toEqual([CHECK_OFF_FLAG]);
    expect(consistencyCheckAdvice({ nodes: 512, seriesPerNode: 2_000, intervalSeconds: 10 })).toMatchObject({ on: false, reason: 'the job needs more than one gateway' });
    expect(consistencyCheckAdvice({ nodes: 10, seriesPerNode: 500, intervalSeconds: 10 }, unmeasured)).toMatchObject({
      on: false,
      reason: 'its cost was not measured',
    });
  });

  it('is on exactly where the check adds at most its push time and cores, and never for a bigger job than one it refuses', () => {
    const perSeries = FIGURES.checkCost?.checkSecondsPerStoredSeries ?? Number.NaN;
    const size = fc.record({ nodes: fc.integer({ min: 1, max: 2_000 }), seriesPerNode: fc.integer({ min: 1, max: 5_000 }), intervalSeconds: fc.integer({ min: 1, max: 60 }) });
    fc.assert(
      fc.property(size, fc.integer({ min: 0, max: 500 }), fc.integer({ min: 0, max: 500 }), (job, moreNodes, moreSeries) => {
        const advice = consistencyCheckAdvice(job);
        const pushSeconds = job.nodes * job.seriesPerNode * perSeries;
        expect(advice.pushSeconds).toBeCloseTo(pushSeconds, 12);
        expect(advice.cores).toBeCloseTo((job.nodes / job.intervalSeconds) * pushSeconds * HEADROOM, 9);
        if (advice.on) expect(advice.pushSeconds <= CHECK_MAX_PUSH_SECONDS && advice.cores <= CHECK_MAX_CORES).toBe(true);
        if (!advice.on) expect(consistencyCheckAdvice({ ...job, nodes: job.nodes + moreNodes, seriesPerNode: job.seriesPerNode + moreSeries }).on).toBe(false);
      }),
    );
  });
});
