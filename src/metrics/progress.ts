/**
 * A node's progress, published with every push: persia_node_progress_age_seconds is how long ago the node
 * last made progress. A node whose training hangs while its process keeps pushing (a deadlocked collective,
 * an RPC that never answers) shows a growing age while its pushes stay fresh: the hang alert
 * (src/monitoring/fast-rules.ts), `status` and the view read it.
 *
 * Where the progress is read (StartNodeMetricsInput.progress, `persia-metrics agent --progress`):
 * - by default, the catalog's counters: the node's step counter and its time-cost counts (PROGRESS_METRICS);
 * - `{ family }`: the sum of that counter family's samples in the node's extra sources (a scraped trainer's
 *   step counter, src/push/exposition-check.ts sums it at each push), for a node whose work another
 *   process does (the agent);
 * - `false`: nowhere. Neither the age nor persia_node_steps_total is pushed: a node that cannot know its
 *   progress must not claim any (an agent without --progress pushed an age of 0 for ever, so a hung trainer
 *   behind it could never be called hung). Such a node is never called hung.
 *
 * Sampled right before each push, like the runtime metrics: nothing is added to the recording path. The age
 * is measured on the node's own clock, from the push that first saw the rise, so it never depends on the
 * gateway's or Prometheus's clock; it is 0 until the first progress, so a node still starting is not hung.
 */
import { describeValue } from '../config/yaml-document.js';
import { ConfigError } from '../errors.js';
import { PROGRESS_AGE_METRIC, PROGRESS_METRICS } from './catalog.js';
import { Counter } from './counter.js';
import { METRIC_NAME } from './exposition-format.js';
import { Histogram } from './histogram.js';
import type { MetricsRegistry } from './registry.js';

/** Where a node's progress is read (see above); undefined is the catalog's counters. */
export type ProgressSource = { readonly family: string } | false;

/** `progress` as a caller gave it (startNodeMetrics()): undefined, false, or `{ family }` naming a metric, with extra sources to read it from. */
export function checkProgressSource(progress: unknown, hasExtraSources: boolean): ProgressSource | undefined {
  if (progress === undefined || progress === false) return progress;
  const family: unknown = typeof progress === 'object' && progress !== null ? (progress as Record<string, unknown>)['family'] : undefined;
  if (typeof family !== 'string' || !METRIC_NAME.test(family)) {
    const expected = "{ family: 'a counter family of the extra sources, e.g. train_steps_total' } or false";
    throw new ConfigError({ source: 'startNodeMetrics()', path: 'progress' }, expected, describeValue(progress));
  }
  if (!hasExtraSources) throw new ConfigError({ source: 'startNodeMetrics()', path: 'progress.family' }, 'extraSources to read it from', 'none');
  return { family };
}

/** What the push layer tells a family's watch at each push (undefined: the family is in no extra source's page). */
export type ProgressObserver = (total: number | undefined) => void;

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

export interface ProgressWatchOptions {
  readonly source?: ProgressSource | undefined;
  /** Told once when the progress family is missing from a push, and again after it came back and went. */
  readonly report?: (message: string) => void;
  readonly nowMs?: () => number;
}

/**
 * Publishes the registry's progress age from `source`. Returns the observer the push layer feeds with the
 * family's total at each push when the source is a family (undefined otherwise).
 */
export function installProgressWatch(registry: MetricsRegistry, options: ProgressWatchOptions = {}): ProgressObserver | undefined {
  const { source, report = () => {}, nowMs = () => performance.now() } = options;
  if (source === false || registry.get(PROGRESS_AGE_METRIC) === undefined) return undefined; // no progress known, or a registry without the catalog entry
  const age = registry.gauge(PROGRESS_AGE_METRIC);
  // The total seen last (a counter's sum starts at 0 for a family too: its first sighting above 0 is progress).
  let lastTotal = source === undefined ? progressTotal(registry) : 0;
  let lastProgressMs: number | undefined;
  const seen = (total: number): void => {
    if (total === lastTotal) return;
    lastTotal = total;
    lastProgressMs = nowMs();
  };
  registry.addCollector(() => {
    if (source === undefined) seen(progressTotal(registry));
    age.set(lastProgressMs === undefined ? 0 : Math.round(nowMs() - lastProgressMs) / 1000);
  });
  if (source === undefined) return undefined;
  let missing = false;
  return (total) => {
    if (total !== undefined) {
      missing = false;
      seen(total);
    } else if (!missing) {
      missing = true;
      report(
        `the progress family ${source.family} is in none of the pages of this push: ${PROGRESS_AGE_METRIC} counts on from its last rise ` +
          '(the node is called hung if it stays away); said again once it came back and went again',
      );
    }
  };
}
