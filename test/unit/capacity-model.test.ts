/**
 * The sizing model `init --nodes` and docs/capacity.md use: more nodes or more series never ask for less,
 * there is always at least one gateway, and what it suggests follows from the measured figures module.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { capacityFigures, HEADROOM, SCRAPE_BUDGET_SECONDS, suggestGatewayShards, type CapacityFigures } from '../../src/monitoring/capacity.js';

const CAPACITY_FIGURES = capacityFigures();

const size = fc.record({ nodes: fc.integer({ min: 1, max: 20_000 }), seriesPerNode: fc.integer({ min: 1, max: 50_000 }), intervalSeconds: fc.integer({ min: 1, max: 120 }) });

describe('suggestGatewayShards', () => {
  it('never suggests less for more nodes or more series, and always at least one gateway', () => {
    fc.assert(
      fc.property(size, fc.integer({ min: 0, max: 5_000 }), fc.integer({ min: 0, max: 5_000 }), (job, moreNodes, moreSeries) => {
        const base = suggestGatewayShards(job);
        const bigger = suggestGatewayShards({ ...job, nodes: job.nodes + moreNodes, seriesPerNode: job.seriesPerNode + moreSeries });
        expect(base.shards).toBeGreaterThanOrEqual(1);
        for (const key of ['shards', 'gatewayCores', 'gatewayGiB', 'prometheusCores', 'totalSeries'] as const) expect(bigger[key]).toBeGreaterThanOrEqual(base[key]);
        expect(Number.isInteger(base.shards)).toBe(true);
      }),
    );
  });

  it('follows the committed figures: cores, memory and Prometheus are the measured rates with headroom', () => {
    const f = CAPACITY_FIGURES;
    const job = { nodes: 512, seriesPerNode: 2_000, intervalSeconds: 10 };
    const s = suggestGatewayShards(job);
    const series = 512 * 2_000;
    expect(s.totalSeries).toBe(series);
    expect(s.gatewayCores).toBeCloseTo(Math.ceil(((series / 10 / f.gatewaySeriesPerSecondPerCore) * HEADROOM - 1e-9) * 10) / 10, 6);
    expect(s.prometheusCores).toBeCloseTo(Math.ceil(((series / 15 / f.prometheusSamplesPerSecondPerCore) * HEADROOM - 1e-9) * 10) / 10, 6);
    expect(s.gatewayGiB * 2 ** 30).toBeGreaterThanOrEqual(series * f.gatewayBytesPerSeries * HEADROOM);
    // Each gateway's share of the scrape fits the budget.
    expect(((series / s.shards) * f.scrapeSecondsPerMillionSeries) / 1e6).toBeLessThanOrEqual(SCRAPE_BUDGET_SECONDS);
  });

  it('adds gateways by whichever limit is reached first', () => {
    const figures: CapacityFigures = {
      ...CAPACITY_FIGURES,
      gatewaySeriesPerSecondPerCore: 100_000,
      scrapeSecondsPerMillionSeries: 10, // 500k series per gateway fit the 5 s budget
      gatewayBytesPerSeries: 1_000,
      gatewayBaseBytes: 10 * 2 ** 20,
      prometheusSamplesPerSecondPerCore: 50_000,
    };
    expect(suggestGatewayShards({ nodes: 10, seriesPerNode: 1_000, intervalSeconds: 10 }, figures)).toMatchObject({ shards: 1, limitedBy: 'one gateway is enough' });
    // 2M series every 10 s: 4 gateways for the scrape, 200k series/s = 3 cores with headroom.
    expect(suggestGatewayShards({ nodes: 1_000, seriesPerNode: 2_000, intervalSeconds: 10 }, figures)).toMatchObject({ shards: 4, limitedBy: 'scrape time', gatewayCores: 3 });
    // The same series every second: 30 cores, one each.
    expect(suggestGatewayShards({ nodes: 1_000, seriesPerNode: 2_000, intervalSeconds: 1 }, figures)).toMatchObject({ shards: 30, limitedBy: 'gateway CPU' });
  });

  it.each([
    [{ nodes: 0, seriesPerNode: 1, intervalSeconds: 10 }, 'nodes'],
    [{ nodes: 1, seriesPerNode: -5, intervalSeconds: 10 }, 'seriesPerNode'],
    [{ nodes: 1, seriesPerNode: 1, intervalSeconds: Number.NaN }, 'intervalSeconds'],
  ])('refuses %j', (job, name) => {
    expect(() => suggestGatewayShards(job)).toThrow(new RegExp(`^${name} must be a positive number`));
  });
});
