/**
 * A node whose metrics come from its extra sources (`persia-metrics agent`, startNodeMetrics({ catalog:
 * 'health' })) records none of the catalog's families: before, the agent pushed every family of its role at
 * 0 (update_gradient_time_cost count 0, staleness 0, num_pending_batches 0, persia_node_cpu_seconds_total
 * 0), false zeros for a process that records none of them. It keeps the node's health.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, MetricDefinitionError } from '../../../src/errors.js';
import { startNodeMetrics } from '../../../src/node-metrics.js';

/** The families with a series the node's next push would carry (metrics disabled: nothing leaves the process). */
function pushed(input: Parameters<typeof startNodeMetrics>[0]): string[] {
  const node = startNodeMetrics({ env: {}, ...input, options: { enableMetrics: false, role: 'trainer', ...input?.options } });
  return [...new Set([...node.registry.metrics().matchAll(/^# TYPE (\S+)/gm)].map((match) => match[1] ?? ''))];
}

const HEALTH = ['persia_node_state', 'persia_node_incarnation', 'persia_node_push_interval_seconds', 'persia_metrics_push_failures_total'];

describe("a node of the catalog's health part alone", () => {
  it('pushes its health and no catalog family of work it does not see, nor a runtime, steps or progress of its own', () => {
    const families = pushed({ catalog: 'health', extraSources: [{ metrics: () => '' }] });
    expect(families).toEqual(expect.arrayContaining(HEALTH));
    for (const name of [
      'staleness',
      'num_pending_batches',
      'persia_node_cpu_seconds_total',
      'persia_node_start_time_seconds',
      'persia_node_steps_total',
      'persia_node_progress_age_seconds',
    ]) {
      expect(families, name).not.toContain(name);
    }
    // A library trainer records them, as before; its progress age once its progress is known: it says it counts
    // its steps (or has counted one), src/metrics/progress.ts.
    expect(pushed({})).toEqual(expect.arrayContaining([...HEALTH, 'staleness', 'num_pending_batches', 'persia_node_steps_total']));
    expect(pushed({ progress: 'steps' })).toEqual(
      expect.arrayContaining([...HEALTH, 'staleness', 'num_pending_batches', 'persia_node_steps_total', 'persia_node_progress_age_seconds']),
    );
  });

  it('pushes its progress age when its progress is a family of its sources', () => {
    expect(pushed({ catalog: 'health', extraSources: [{ metrics: () => '' }], progress: { family: 'train_steps_total' } })).toContain('persia_node_progress_age_seconds');
  });

  it('refuses to record a catalog family, saying the node holds part of the catalog', () => {
    const node = startNodeMetrics({ env: {}, catalog: 'health', options: { enableMetrics: false } });
    expect(() => node.histogram('lookup_rpc_time_cost')).toThrow(MetricDefinitionError);
    expect(() => node.histogram('lookup_rpc_time_cost')).toThrow(/no metric named lookup_rpc_time_cost in this registry, which holds part of the catalog/);
  });

  it('a catalog part that is neither is a ConfigError naming catalog', () => {
    const start = (): unknown => startNodeMetrics({ env: {}, catalog: 'none' as never, options: { enableMetrics: false } });
    expect(start).toThrow(ConfigError);
    expect(start).toThrow(/catalog/);
  });
});
