/**
 * Expiry of the groups dead nodes leave on a gateway. The Pushgateway keeps every group until someone
 * deletes it (it has no TTL and will not get one): a node that crashed keeps its last values there, looking
 * alive to any query that ignores `push_time_seconds`. `expire` deletes such groups, `end-job` every group
 * of a finished job.
 *
 * Each group is judged by its own pace: persia-metrics nodes publish `persia_node_push_interval_seconds`,
 * and a group is only deleted once its last push is older than max(--after, missedPushes x its interval).
 * So a slow node (a long interval) is never deleted between two of its pushes, whatever --after says.
 *
 * The decisions are pure (`planExpiry`, `planEndJob`: tests feed them JSON); `sweepGateway` does the HTTP with
 * the gateway client every other path uses (src/gateway/client.ts): its groups() read, then its DELETEs.
 */
import { errorText, PersiaMetricsError } from '../errors.js';
import { expiryThresholdSeconds } from '../monitoring/expiry.js';
import { encodeGroupingPath } from '../push/grouping-key.js';
import { firstValue, type ApiGroup } from '../gateway/api.js';
import { GatewayClient } from '../gateway/client.js';
import { gatewayEndpoint, type GatewayAccess } from '../gateway/endpoint.js';

/** What a persia-metrics node publishes about its own pace (src/metrics/catalog.ts). */
export const PUSH_INTERVAL_METRIC = 'persia_node_push_interval_seconds';

export interface ExpiryRule {
  /** --after: no group whose last push is younger than this is deleted. */
  readonly afterSeconds: number;
  /** A group that publishes its push interval is kept until it missed this many of its own pushes. */
  readonly missedPushes: number;
  /**
   * Groups without the interval (other pushers, such as a batch job's last result, or nodes of a version
   * before it): kept by default, since nothing says how often they push; when true, --after alone applies.
   */
  readonly includeOtherPushers: boolean;
}

/** Why a group is deleted or kept. */
export type Verdict = 'expired' | 'live' | 'other-pusher' | 'never-pushed' | 'end-job';

export interface GroupDecision {
  /** The group's grouping labels (job, role, instance for a persia-metrics node). */
  readonly labels: Readonly<Record<string, string>>;
  /** The path a DELETE of this group goes to, `@base64` where a value needs it. */
  readonly path: string;
  /** Seconds since the group's last push (accepted or refused), by this machine's clock. */
  readonly lastPushAgeSeconds: number | undefined;
  readonly pushIntervalSeconds: number | undefined;
  /** The age after which the group is deleted: max(--after, missedPushes x interval). */
  readonly thresholdSeconds: number | undefined;
  readonly verdict: Verdict;
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

export function decideExpiry(group: ApiGroup, rule: ExpiryRule, nowSeconds: number): GroupDecision {
  const labels = group.labels ?? {};
  const age = lastPushAge(group, nowSeconds);
  const interval = pushInterval(group);
  const base = { labels, path: deletePath(labels), lastPushAgeSeconds: age, pushIntervalSeconds: interval };
  if (interval === undefined && !rule.includeOtherPushers) return { ...base, thresholdSeconds: undefined, verdict: 'other-pusher' };
  const threshold = expiryThresholdSeconds(rule.afterSeconds, rule.missedPushes, interval);
  if (age === undefined) return { ...base, thresholdSeconds: threshold, verdict: 'never-pushed' };
  return { ...base, thresholdSeconds: threshold, verdict: age > threshold ? 'expired' : 'live' };
}

/** Every group of `job` (or of every job) with its verdict. */
export function planExpiry(groups: readonly ApiGroup[], options: { readonly job?: string | undefined; readonly rule: ExpiryRule; readonly nowSeconds: number }): GroupDecision[] {
  return groups.filter((group) => options.job === undefined || group.labels?.['job'] === options.job).map((group) => decideExpiry(group, options.rule, options.nowSeconds));
}

/** Every group of `job`, and only of that job: all of them go. */
export function planEndJob(groups: readonly ApiGroup[], job: string, nowSeconds: number): GroupDecision[] {
  return groups
    .filter((group) => group.labels?.['job'] === job)
    .map((group) => {
      const labels = group.labels ?? {};
      return {
        labels,
        path: deletePath(labels),
        lastPushAgeSeconds: lastPushAge(group, nowSeconds),
        pushIntervalSeconds: pushInterval(group),
        thresholdSeconds: undefined,
        verdict: 'end-job',
      };
    });
}

/** Still pushing: its last push is younger than two of its intervals (it will re-create its group at its next push). */
export function stillPushing(decision: GroupDecision): boolean {
  const { lastPushAgeSeconds: age, pushIntervalSeconds: interval } = decision;
  return age !== undefined && interval !== undefined && age < 2 * interval;
}

export interface Deletion extends GroupDecision {
  /** False in a dry run, or when the DELETE failed (then `error` says why). */
  readonly deleted: boolean;
  readonly error?: { readonly code: string; readonly message: string };
}

export interface GatewaySweep {
  readonly gateway: string;
  /** The gateway could not be read: nothing was decided or deleted there. */
  readonly error?: { readonly code: string; readonly message: string };
  /** The groups chosen for deletion, each with its outcome. */
  readonly deletions: readonly Deletion[];
  /** The groups looked at and kept, with why. */
  readonly kept: readonly GroupDecision[];
  /** Every job found on the gateway (to tell a mistyped --job from an empty gateway). */
  readonly jobs: readonly string[];
}

export interface SweepOptions {
  readonly timeoutSeconds: number;
  readonly dryRun: boolean;
  /** Credentials and TLS trust for a secured gateway (the nodes' own, src/config/credentials.ts). */
  readonly access?: GatewayAccess;
  /** Which groups go: the decisions whose verdict is `expired` or `end-job` are deleted, the others kept. */
  readonly plan: (groups: readonly ApiGroup[], nowSeconds: number) => GroupDecision[];
  /** Told about each deletion as it happens (the commands log it at once, not after the whole sweep). */
  readonly onDeletion?: (deletion: Deletion) => void;
}

/**
 * Reads the gateway once, decides, then DELETEs the chosen groups one by one. Never throws: a gateway that
 * cannot be read, or a DELETE that fails, is in the result.
 *
 * Race, accepted: a node that pushes between the read and its DELETE loses that push's group; it had been
 * silent for at least its threshold, and its next push (one interval later) re-creates the group with its
 * cumulative values, so no count is lost, only one interval of freshness. Re-reading the gateway before
 * each DELETE would not close the window either (a push can land after the re-read), and a read of a big
 * gateway costs seconds.
 */
export async function sweepGateway(baseUrl: string, options: SweepOptions): Promise<GatewaySweep> {
  const client = new GatewayClient(gatewayEndpoint(baseUrl, { timeoutSeconds: options.timeoutSeconds, ...(options.access === undefined ? {} : { access: options.access }) }));
  try {
    return await sweep(client, baseUrl, options);
  } finally {
    await client.close();
  }
}

async function sweep(client: GatewayClient, baseUrl: string, options: SweepOptions): Promise<GatewaySweep> {
  let groups: ApiGroup[];
  try {
    groups = await client.groups();
  } catch (error) {
    return { gateway: baseUrl, error: describeError(error), deletions: [], kept: [], jobs: [] };
  }
  const jobs = [...new Set(groups.map((group) => group.labels?.['job'] ?? ''))].sort();
  const decisions = options.plan(groups, Date.now() / 1000);
  const chosen = decisions.filter((d) => d.verdict === 'expired' || d.verdict === 'end-job');
  const kept = decisions.filter((d) => !chosen.includes(d));
  const deletions: Deletion[] = [];
  for (const decision of chosen) {
    const deletion = options.dryRun ? { ...decision, deleted: false } : await deleteGroup(client, decision);
    deletions.push(deletion);
    options.onDeletion?.(deletion);
  }
  return { gateway: baseUrl, deletions, kept, jobs };
}

async function deleteGroup(client: GatewayClient, decision: GroupDecision): Promise<Deletion> {
  try {
    await client.delete(decision.path);
    return { ...decision, deleted: true };
  } catch (error) {
    return { ...decision, deleted: false, error: describeError(error) };
  }
}

function describeError(error: unknown): { code: string; message: string } {
  return { code: error instanceof PersiaMetricsError ? error.code : 'PERSIA_UNEXPECTED', message: errorText(error) };
}

/** The sweep failed somewhere: the gateway could not be read, or a DELETE failed. */
export function sweepFailed(sweep: GatewaySweep): boolean {
  return sweep.error !== undefined || sweep.deletions.some((d) => d.error !== undefined);
}
