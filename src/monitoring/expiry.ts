/**
 * When a node's gateway group may be deleted (`persia-metrics expire`, the compose janitor): never before
 * the stale-node alert had its chance to fire and notify someone.
 */
import { STALE_ALERT_FOR_SECONDS, staleAfterSeconds } from './health.js';
import { atMs } from './duration.js';
import type { MonitoringOptions } from './options.js';

/**
 * `persia-metrics expire` keeps a group that publishes its push interval until it missed this many of its
 * own pushes, whatever `--after` says: twice the stale alert's count, so a slow node is never deleted
 * between two of its pushes and the alert, pending after half as many, has its `for:` to fire first.
 */
export function expireMissedPushes(options: MonitoringOptions): number {
  return 2 * options.staleAfterIntervals;
}

/**
 * The `--after` to give `expire` (docs/expiry.md; the compose janitor's): the stale threshold, the alert's `for:`,
 * then 3 minutes for scrapes and rule evaluations (15 s each, src/deploy/prometheus) and Alertmanager's
 * group_wait (30 s by default) to notify someone before the group goes; whole minutes, 5m for the defaults.
 */
export function recommendedExpireAfterSeconds(options: MonitoringOptions): number {
  return Math.ceil((staleAfterSeconds(options) + STALE_ALERT_FOR_SECONDS + 180) / 60) * 60;
}

/** The age after which a group is deleted: max(--after, missedPushes x its interval). */
export function expiryThresholdSeconds(afterSeconds: number, missedPushes: number, pushIntervalSeconds: number | undefined): number {
  return Math.max(afterSeconds, atMs(missedPushes * (pushIntervalSeconds ?? 0)));
}
