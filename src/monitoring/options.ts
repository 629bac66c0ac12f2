/**
 * The job's monitoring policy as numbers: how often its nodes push, how many missed pushes make a node stale,
 * and the thresholds of the alerts. The rules, dashboards, `status`, `expire` and `view` all read them from
 * here; a rendered deployment (src/deploy/deploy-options.ts) adds where its files point to.
 */
import { expectedValue, MIN_PUSH_INTERVAL_SECONDS, OPTION_BY_KEY } from '../config/options.js';
import { DeployUsageError } from '../errors.js';

export interface MonitoringOptions {
  /** The `job` label of every node's series and the name in the gateway's `persia.metrics.job` label. */
  readonly jobName: string;
  /**
   * Seconds between two pushes of one node (global_config.yaml `push_interval_seconds`). Also the interval a
   * node that publishes none (PersiaML's own nodes read the same key) is judged stale by. @default 10
   */
  readonly pushIntervalSeconds: number;
  /** A node is stale after this many missed push intervals. @default 6 */
  readonly staleAfterIntervals: number;
  /** Alert when a server's `index_miss_ratio` stays above this (0-1). @default 0.3 */
  readonly indexMissRatioThreshold: number;
  /** Alert when a trainer's `staleness` stays above this many batches. @default 10 */
  readonly stalenessThreshold: number;
  /** PersiaStragglerNode: a node this many times slower than its role's typical node (above 1). @default 2 */
  readonly stragglerThreshold: number;
  /** ...for this many whole seconds (the alert's `for`). @default 600 */
  readonly stragglerForSeconds: number;
  /**
   * Seconds between two scrapes of the gateways (prometheus.yml `scrape_interval`): with the push interval,
   * it sizes the windows of the fast rules (src/monitoring/fast-rules.ts). @default 15
   */
  readonly scrapeIntervalSeconds: number;
  /** PersiaNodeHung: a node that keeps pushing with no progress for this many of its push intervals. @default 1 */
  readonly hangAfterIntervals: number;
  /**
   * PersiaNodeDown: a node whose last push, as scraped, is older than this many of its intervals. One lost
   * push (every attempt of it failed) leaves it just under two intervals old (plus the fraction of a second a
   * push takes); two lost pushes pass 2.5, and so does a kill, within 2.5 intervals plus a scrape. @default 2.5
   */
  readonly downAfterIntervals: number;
  /**
   * PersiaStragglerNodeFast: a node this many times slower (mean time cost, time per batch) than its role's
   * typical node, over the fast window, and clearly so for the batches behind it (fast-rules.ts,
   * FAST_STRAGGLER_EVIDENCE). Above the 1.4 that a healthy node's pause of a whole push interval reaches in the
   * 30 s window (latencies x3, half its batches). @default 1.5
   */
  readonly fastStragglerThreshold: number;
  /** PersiaNaNGradientBurst: at least this many NaNs in one fast window on one node and feature. @default 10 */
  readonly nanBurstCount: number;
}

/**
 * The longest push interval the rules follow: a third of the 5-minute windows of the slower rules
 * (PersiaStragglerNode's rates, PersiaNodePushFailuresRising, PersiaNaNGradients), so each window holds at
 * least three pushes of a node, and a node whose window caught one push more than its peer's does not look
 * twice as fast (two increments against one). The shortest is the option's own (src/config/options.ts).
 */
export const MAX_PUSH_INTERVAL_SECONDS = 100;

/** The shipped Prometheus configuration's scrape_interval (src/deploy/prometheus). */
export const DEFAULT_SCRAPE_INTERVAL_SECONDS = 15;

export const DEFAULT_MONITORING_OPTIONS: MonitoringOptions = Object.freeze({
  jobName: 'persia_demo',
  pushIntervalSeconds: OPTION_BY_KEY.get('push_interval_seconds')?.default as number,
  staleAfterIntervals: 6,
  indexMissRatioThreshold: 0.3,
  stalenessThreshold: 10,
  stragglerThreshold: 2,
  stragglerForSeconds: 600,
  scrapeIntervalSeconds: DEFAULT_SCRAPE_INTERVAL_SECONDS,
  hangAfterIntervals: 1,
  downAfterIntervals: 2.5,
  fastStragglerThreshold: 1.5,
  nanBurstCount: 10,
});

/** A value that passes the option table's schema for `key`, or a DeployUsageError saying what it expects. */
export function checkedOption(key: string, value: unknown, what: string): void {
  const spec = OPTION_BY_KEY.get(key);
  const parsed = spec?.schema.safeParse(value);
  if (spec === undefined || parsed === undefined || parsed.success) return;
  throw new DeployUsageError(`${what} ${JSON.stringify(value)} is not a valid ${key} (expected ${expectedValue(spec, parsed.error)}; see \`persia-metrics explain\`)`);
}

/** Every threshold checked (the job name by src/monitoring/job-name.ts); throws DeployUsageError on a bad value. */
export function checkMonitoringOptions(options: MonitoringOptions): void {
  checkedOption('push_interval_seconds', options.pushIntervalSeconds, 'push interval');
  if (options.pushIntervalSeconds > MAX_PUSH_INTERVAL_SECONDS) {
    throw new DeployUsageError(
      `push interval ${options.pushIntervalSeconds} is longer than the alert rules follow (expected ${pushIntervalRange()} seconds: ` +
        `each 5-minute window of the slower rules must hold three pushes of a node)`,
    );
  }
  const positive: Array<[string, number]> = [
    ['stale-after intervals', options.staleAfterIntervals],
    ['staleness threshold', options.stalenessThreshold],
    ['hang-after intervals', options.hangAfterIntervals],
    ['NaN burst count', options.nanBurstCount],
  ];
  for (const [what, value] of positive) {
    if (!Number.isFinite(value) || value <= 0) throw new DeployUsageError(`${what} must be a positive number, got ${value}`);
  }
  if (!(options.indexMissRatioThreshold > 0 && options.indexMissRatioThreshold < 1)) {
    throw new DeployUsageError(`index miss ratio threshold must be between 0 and 1, got ${options.indexMissRatioThreshold}`);
  }
  // A score is a node's time over its role's typical node's: at or below 1 every node would be a straggler.
  if (!(Number.isFinite(options.stragglerThreshold) && options.stragglerThreshold > 1)) {
    throw new DeployUsageError(`straggler threshold must be a number above 1 (times slower than a typical node of the role), got ${options.stragglerThreshold}`);
  }
  // A live node's last push, as scraped, is up to one interval old (plus the push's own time): one more is the least.
  if (!(Number.isFinite(options.downAfterIntervals) && options.downAfterIntervals > 1)) {
    throw new DeployUsageError(`down-after intervals must be a number above 1 (a live node's last push is up to one interval old), got ${options.downAfterIntervals}`);
  }
  if (!(Number.isFinite(options.fastStragglerThreshold) && options.fastStragglerThreshold > 1)) {
    throw new DeployUsageError(`fast straggler threshold must be a number above 1 (times slower than a typical node of the role), got ${options.fastStragglerThreshold}`);
  }
  // Prometheus durations take whole numbers only.
  if (!(Number.isSafeInteger(options.scrapeIntervalSeconds) && options.scrapeIntervalSeconds > 0)) {
    throw new DeployUsageError(`scrape interval must be a positive whole number of seconds, got ${options.scrapeIntervalSeconds}`);
  }
  if (!(Number.isSafeInteger(options.stragglerForSeconds) && options.stragglerForSeconds > 0)) {
    throw new DeployUsageError(`straggler duration must be a positive whole number of seconds, got ${options.stragglerForSeconds}`);
  }
}

/** The push intervals a deployment's rules follow, for help and errors: "0.05 to 100". */
export function pushIntervalRange(): string {
  return `${MIN_PUSH_INTERVAL_SECONDS} to ${MAX_PUSH_INTERVAL_SECONDS}`;
}
