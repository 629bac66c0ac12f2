import { describe, expect, it } from 'vitest';
import { METRIC_CATALOG, PERSIA_METRIC_NAMES } from '../../../src/metrics/catalog.js';

// The two tables of the PersiaML monitoring spec (shared/seeds/persiaml-monitoring.md), by name.
const SEED_ACCURACY = [
  'index_miss_count',
  'index_miss_ratio',
  'gradient_id_miss_count',
  'estimated_distinct_id',
  'batch_unique_indices_rate',
  'staleness',
  'nan_count',
  'nan_grad_skipped',
];
const SEED_EFFICIENCY = [
  'lookup_mixed_batch_time_cost',
  'num_pending_batches',
  'lookup_create_requests_time_cost',
  'lookup_rpc_time_cost',
  'update_gradient_time_cost',
  'summation_time_cost',
  'lookup_batched_time_cost',
];

describe('metric catalog', () => {
  it('holds exactly the 15 metrics of the seed tables under their names', () => {
    expect([...PERSIA_METRIC_NAMES].sort()).toEqual([...SEED_ACCURACY, ...SEED_EFFICIENCY].sort());
  });

  it('publishes every *_time_cost as a histogram in seconds, so percentiles work', () => {
    const timeCosts = METRIC_CATALOG.filter((spec) => spec.name.endsWith('_time_cost'));
    expect(timeCosts).toHaveLength(6);
    for (const spec of timeCosts) {
      expect(spec.type).toBe('histogram');
      expect(spec.unit).toBe('seconds');
      expect(spec.buckets?.length).toBeGreaterThan(8);
    }
  });

  it('uses counters for counts and gauges for ratios, estimates, pending batches and staleness', () => {
    const typeOf = (name: string) => METRIC_CATALOG.find((spec) => spec.name === name)?.type;
    for (const name of ['index_miss_count', 'gradient_id_miss_count', 'nan_count', 'nan_grad_skipped']) expect(typeOf(name)).toBe('counter');
    for (const name of ['index_miss_ratio', 'batch_unique_indices_rate', 'estimated_distinct_id', 'staleness', 'num_pending_batches']) expect(typeOf(name)).toBe('gauge');
  });

  it('labels per feature where PersiaML does', () => {
    for (const name of ['nan_count', 'nan_grad_skipped', 'batch_unique_indices_rate', 'estimated_distinct_id']) {
      expect(METRIC_CATALOG.find((spec) => spec.name === name)?.labels).toEqual(['feature']);
    }
  });

  it('gives every metric a real help text, a unit and at least one role', () => {
    for (const spec of METRIC_CATALOG) {
      expect(spec.help.length, spec.name).toBeGreaterThan(30);
      expect(spec.unit, spec.name).not.toBe('');
      expect(spec.roles.length, spec.name).toBeGreaterThan(0);
    }
  });

  it("keeps runtime series clear of the gateway's own process_* and go_* names, and names unique", () => {
    const names = METRIC_CATALOG.map((spec) => spec.name);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).not.toMatch(/^(process_|go_|push_time_seconds|push_failure_time_seconds|pushgateway_)/);
  });
});
