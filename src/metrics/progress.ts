/**
 * A node's progress, published with every push: persia_node_progress_age_seconds is how long ago the node
 * last made progress (its step counter or one of its time-cost counts rose). A node whose training hangs
 * while its process keeps pushing (a deadlocked collective, an RPC that never answers) shows a growing age
 * while its pushes stay fresh: the hang alert (src/monitoring/fast-rules.ts), `status` and the view read it.
 *
 * Sampled right before each push, like the runtime metrics: nothing is added to the recording path. The age
 * is measured on the node's own clock, from the push that first saw the rise, so it never depends on the
 * gateway's or Prometheus's clock; it is 0 until the first progress, so a node still starting is not hung.
 */
import { PROGRESS_AGE_METRIC, PROGRESS_METRICS } from './catalog.js';
import { Counter } from './counter.js';
import { Histogram } from './histogram.js';
import type { MetricsRegistry } from './registry.js';

/**
 * The sum of every progress counter of the registry, over the series that exist: it only grows, so any
 * change is progress. Only existing series are read: reading a family's unlabelled value would create that
 * series, and every role would then push every catalog time cost at 0 (histograms whose quantiles are NaN).
 */
function progressTotal(registry: MetricsRegistry): number {
  let total = 0;
  for (const name of PROGRESS_METRICS) {
    const family = registry.get(name);
    if (family instanceof Counter) for (const series of family.seriesValues()) total += series.value;
    else if (family instanceof Histogram) for (const series of family.seriesValues()) total += series.count;
  }
  return total;
}

export function installProgressWatch(registry: MetricsRegistry, nowMs: () => number = () => performance.now()): void {
  if (registry.get(PROGRESS_AGE_METRIC) === undefined) return; // a registry without the catalog entry
  const age = registry.gauge(PROGRESS_AGE_METRIC);
  let lastTotal = progressTotal(registry);
  let lastProgressMs: number | undefined;
  registry.addCollector(() => {
    const total = progressTotal(registry);
    const now = nowMs();
    if (total !== lastTotal) {
      lastTotal = total;
      lastProgressMs = now;
    }
    age.set(lastProgressMs === undefined ? 0 : Math.round(now - lastProgressMs) / 1000);
  });
}
