/**
 * What expiry decides about the groups dead nodes leave on a gateway. The Pushgateway keeps every group until
 * someone deletes it (it has no TTL and will not get one): a node that crashed keeps its last values there,
 * looking alive to any query that ignores `push_time_seconds`. `expire` deletes such groups, `end-job` every
 * group of a finished job, `repair` the groups that break the gateway's /metrics.
 *
 * Each group is judged by its own pace: persia-metrics nodes publish `persia_node_push_interval_seconds`,
 * and a group is only deleted once its last push is older than max(--after, missedPushes x its interval).
 * So a slow node (a long interval) is never deleted between two of its pushes, whatever --after says.
 *
 * The decisions are pure (`planExpiry`, `planEndJob`, `planRepair`: tests feed them JSON); group-expiry.ts
 * reads the gateway, applies them and deletes.
 */
import { findMetricSpec } from '../metrics/catalog.js';
import { expiryThresholdSeconds } from '../monitoring/expiry.js';
import { isNodeGroup, reportedState, STATED_PUSH_INTERVAL_SECONDS, STOPPING_STATE } from '../monitoring/health.js';
import { encodeGroupingPath } from '../push/grouping-key.js';
import { firstValue, type ApiGroup } from '../gateway/api.js';
import type { BrokenGroup } from '../gateway/scrape-health.js';
import { showsReplacement } from '../gateway/group-identity.js';

/** What a persia-metrics node publishes about its own pace (src/metrics/catalog.ts). */
export const PUSH_INTERVAL_METRIC = 'persia_node_push_interval_seconds';

export interface ExpiryRule {
  /** --after: no group whose last push is younger than this is deleted. */
  readonly afterSeconds: number;
  /** A group that publishes its push interval is kept until it missed this many of its own pushes. */
  readonly missedPushes: number;
  /**
   * Groups without the interval and without an `instance` (other pushers, such as a batch job's last
   * result): kept by default, since nothing says how often they push; when true, --after alone applies.
   */
  readonly includeOtherPushers: boolean;
  /**
   * The interval a node that publishes none is judged by: a group keyed by an `instance` without
   * persia_node_push_interval_seconds (PersiaML's own nodes, any pusher using the grouping convention).
   * Default STATED_PUSH_INTERVAL_SECONDS (src/monitoring/view-contract.ts).
   */
  readonly statedPushIntervalSeconds?: number;
}

/** Why a group is deleted or kept. */
export type Verdict = 'expired' | 'live' | 'other-pusher' | 'never-pushed' | 'end-job' | 'breaks-scrape' | 'breaks-scrape-other-job';

export interface GroupDecision {
  /** The group's grouping labels (job, role, instance for a persia-metrics node). */
  readonly labels: Readonly<Record<string, string>>;
  /** The path a DELETE of this group goes to, `@base64` where a value needs it. */
  readonly path: string;
  /**
   * Set for a group whose labels the JSON API shows with U+FFFD (a byte that is not valid UTF-8, or a real
   * U+FFFD): the path built from its exact bytes (src/gateway/group-identity.ts), empty when the gateway
   * does not tell them.
   */
  readonly exactPaths?: readonly string[];
  /** Why the gateway's /metrics fails because of this group (verdict `breaks-scrape`). */
  readonly scrapeProblems?: readonly string[];
  /** Seconds since the group's last push (accepted or refused), by this machine's clock. */
  readonly lastPushAgeSeconds: number | undefined;
  readonly pushIntervalSeconds: number | undefined;
  /** The state its last push reported (persia_node_state), if any: STOPPING_STATE for a clean shutdown. */
  readonly state?: string | undefined;
  /** The age after which the group is deleted: max(--after, missedPushes x interval). */
  readonly thresholdSeconds: number | undefined;
  readonly verdict: Verdict;
}

/** The type persia-metrics nodes push a catalog family with (a clash with it is the other pusher's fault). */
export function catalogType(family: string): string | undefined {
  return findMetricSpec(family)?.type;
}

/** Seconds since the group's last push, accepted or refused: a node whose pushes the gateway refuses is still alive. */
export function lastPushAge(group: ApiGroup, nowSeconds: number): number | undefined {
  const times = [firstValue(group, 'push_time_seconds'), firstValue(group, 'push_failure_time_seconds')].filter((t): t is number => t !== undefined && t > 0);
  return times.length === 0 ? undefined : Math.max(0, nowSeconds - Math.max(...times));
}

function pushInterval(group: ApiGroup): number | undefined {
  const value = firstValue(group, PUSH_INTERVAL_METRIC);
  return value !== undefined && value > 0 ? value : undefined;
}

const KEY_ORDER = ['job', 'role', 'instance'];

/** Grouping labels in the nodes' order (job, role, instance), any others after them by name. */
export function orderedLabels(labels: Readonly<Record<string, string>>): Array<[string, string]> {
  const rank = (name: string) => (KEY_ORDER.includes(name) ? KEY_ORDER.indexOf(name) : KEY_ORDER.length);
  return Object.entries(labels).sort(([a], [b]) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
}

/** The gateway's rule: `job` first (it ignores the order of the others). */
export function deletePath(labels: Readonly<Record<string, string>>): string {
  return encodeGroupingPath([['job', labels['job'] ?? ''], ...orderedLabels(labels).filter(([name]) => name !== 'job')]);
}

/**
 * A group's exact DELETE path where its labels show U+FFFD (GroupIdentities.pathOf, src/gateway/group-identity.ts,
 * handed down by the sweep): set as `exactPaths`, empty when unknown. Without it, nothing is added.
 */
export type ExactPathOf = (group: ApiGroup) => string | undefined;

function exactPathsFor(group: ApiGroup, exactPathOf: ExactPathOf | undefined): Pick<GroupDecision, 'exactPaths'> {
  if (exactPathOf === undefined || !showsReplacement(group.labels)) return {};
  const path = exactPathOf(group);
  return { exactPaths: path === undefined ? [] : [path] };
}

export function decideExpiry(group: ApiGroup, rule: ExpiryRule, nowSeconds: number, exactPathOf?: ExactPathOf): GroupDecision {
  const labels = group.labels ?? {};
  const age = lastPushAge(group, nowSeconds);
  const interval = pushInterval(group);
  const base = {
    labels,
    path: deletePath(labels),
    ...exactPathsFor(group, exactPathOf),
    lastPushAgeSeconds: age,
    pushIntervalSeconds: interval,
    state: reportedState(group),
  };
  // A node (isNodeGroup, docs/processes.md) that publishes no interval is judged by the stated one; another group by none.
  const judgedInterval = isNodeGroup(labels, interval) ? (interval ?? rule.statedPushIntervalSeconds ?? STATED_PUSH_INTERVAL_SECONDS) : undefined;
  if (judgedInterval === undefined && !rule.includeOtherPushers) return { ...base, thresholdSeconds: undefined, verdict: 'other-pusher' };
  const threshold = expiryThresholdSeconds(rule.afterSeconds, rule.missedPushes, judgedInterval);
  if (age === undefined) return { ...base, thresholdSeconds: threshold, verdict: 'never-pushed' };
  return { ...base, thresholdSeconds: threshold, verdict: age > threshold ? 'expired' : 'live' };
}

/** Every group of `job` (or of every job) with its verdict. */
export function planExpiry(
  groups: readonly ApiGroup[],
  options: { readonly job?: string | undefined; readonly rule: ExpiryRule; readonly nowSeconds: number; readonly exactPathOf?: ExactPathOf | undefined },
): GroupDecision[] {
  return groups
    .filter((group) => options.job === undefined || group.labels?.['job'] === options.job)
    .map((group) => decideExpiry(group, options.rule, options.nowSeconds, options.exactPathOf));
}

/** Every group of `job`, and only of that job: all of them go. */
export function planEndJob(groups: readonly ApiGroup[], job: string, nowSeconds: number, exactPathOf?: ExactPathOf): GroupDecision[] {
  return groups
    .filter((group) => group.labels?.['job'] === job)
    .map((group) => {
      const labels = group.labels ?? {};
      return {
        labels,
        path: deletePath(labels),
        ...exactPathsFor(group, exactPathOf),
        lastPushAgeSeconds: lastPushAge(group, nowSeconds),
        pushIntervalSeconds: pushInterval(group),
        state: reportedState(group),
        thresholdSeconds: undefined,
        verdict: 'end-job',
      };
    });
}

/**
 * The groups that make the gateway's /metrics fail (`broken`, from its 500), each addressed by its exact
 * bytes; with `job`, those of other jobs are kept (verdict `breaks-scrape-other-job`, to say so). Every
 * other group is kept.
 */
export function planRepair(groups: readonly ApiGroup[], broken: readonly BrokenGroup[], nowSeconds: number, job?: string, exactPathOf?: ExactPathOf): GroupDecision[] {
  return broken.map((group) => {
    // Of the groups the JSON API shows alike, the one pushed under these exact bytes (where it is known).
    const source = groups.find((g) => exactPathOf?.(g) === group.exactPath) ?? groups.find((g) => JSON.stringify(g.labels ?? {}) === JSON.stringify(group.labels));
    return {
      labels: group.labels,
      path: group.exactPath,
      exactPaths: [group.exactPath],
      lastPushAgeSeconds: source === undefined ? undefined : lastPushAge(source, nowSeconds),
      pushIntervalSeconds: source === undefined ? undefined : pushInterval(source),
      state: source === undefined ? undefined : reportedState(source),
      thresholdSeconds: undefined,
      verdict: job === undefined || group.labels['job'] === job ? 'breaks-scrape' : 'breaks-scrape-other-job',
      scrapeProblems: group.reasons,
    };
  });
}

/**
 * Still pushing: it publishes its interval, its last push is younger than two of them (it will re-create its
 * group at its next push), and that push did not say it was stopping (a clean shutdown() leaves its group
 * with STOPPING_STATE and never pushes again: status calls it stopped).
 */
export function stillPushing(decision: GroupDecision): boolean {
  const { lastPushAgeSeconds: age, pushIntervalSeconds: interval } = decision;
  return decision.state !== STOPPING_STATE && age !== undefined && interval !== undefined && age < 2 * interval;
}
