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
import { findMetricSpec } from '../metrics/catalog.js';
import { expiryThresholdSeconds } from '../monitoring/expiry.js';
import { isNodeGroup, STATED_PUSH_INTERVAL_SECONDS } from '../monitoring/health.js';
import { encodeGroupingPath } from '../push/grouping-key.js';
import { firstValue, type ApiGroup } from '../gateway/api.js';
import { GatewayClient } from '../gateway/client.js';
import { exactPathsOf, groupsBreakingScrape, probeScrape, type BrokenGroup, type ScrapeHealth } from '../gateway/scrape-health.js';
import { gatewayEndpoint, type GatewayAccess } from '../gateway/endpoint.js';

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
export type Verdict = 'expired' | 'live' | 'other-pusher' | 'never-pushed' | 'end-job' | 'breaks-scrape';

export interface GroupDecision {
  /** The group's grouping labels (job, role, instance for a persia-metrics node). */
  readonly labels: Readonly<Record<string, string>>;
  /** The path a DELETE of this group goes to, `@base64` where a value needs it. */
  readonly path: string;
  /**
   * Set for a group whose labels the JSON API shows with U+FFFD (not valid UTF-8): the paths built from
   * its exact bytes (src/gateway/scrape-health.ts), empty when the gateway does not reveal them.
   */
  readonly exactPaths?: readonly string[];
  /** Why the gateway's /metrics fails because of this group (verdict `breaks-scrape`). */
  readonly scrapeProblems?: readonly string[];
  /** Seconds since the group's last push (accepted or refused), by this machine's clock. */
  readonly lastPushAgeSeconds: number | undefined;
  readonly pushIntervalSeconds: number | undefined;
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

export function decideExpiry(group: ApiGroup, rule: ExpiryRule, nowSeconds: number): GroupDecision {
  const labels = group.labels ?? {};
  const age = lastPushAge(group, nowSeconds);
  const interval = pushInterval(group);
  const base = { labels, path: deletePath(labels), lastPushAgeSeconds: age, pushIntervalSeconds: interval };
  // A node is keyed by an instance (docs/processes.md): one that publishes no interval is judged by the stated one.
  const judgedInterval = interval ?? (isNodeGroup(labels) ? (rule.statedPushIntervalSeconds ?? STATED_PUSH_INTERVAL_SECONDS) : undefined);
  if (judgedInterval === undefined && !rule.includeOtherPushers) return { ...base, thresholdSeconds: undefined, verdict: 'other-pusher' };
  const threshold = expiryThresholdSeconds(rule.afterSeconds, rule.missedPushes, judgedInterval);
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

/**
 * The groups that make the gateway's /metrics fail (`broken`, from its 500), each addressed by its exact
 * bytes; `job` narrows it to one job's groups. Every other group is kept.
 */
export function planRepair(groups: readonly ApiGroup[], broken: readonly BrokenGroup[], nowSeconds: number, job?: string): GroupDecision[] {
  return broken
    .filter((group) => job === undefined || group.labels['job'] === job)
    .map((group) => {
      const source = groups.find((g) => JSON.stringify(g.labels ?? {}) === JSON.stringify(group.labels));
      return {
        labels: group.labels,
        path: group.exactPath,
        exactPaths: [group.exactPath],
        lastPushAgeSeconds: source === undefined ? undefined : lastPushAge(source, nowSeconds),
        pushIntervalSeconds: source === undefined ? undefined : pushInterval(source),
        thresholdSeconds: undefined,
        verdict: 'breaks-scrape',
        scrapeProblems: group.reasons,
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
  /** The gateway's /metrics as probed during the sweep, when it was (before, and after the deletions). */
  readonly scrapeBefore?: ScrapeHealth;
  readonly scrapeAfter?: ScrapeHealth;
}

export interface SweepOptions {
  readonly timeoutSeconds: number;
  readonly dryRun: boolean;
  /** Credentials and TLS trust for a secured gateway (the nodes' own, src/config/credentials.ts). */
  readonly access?: GatewayAccess;
  /** Which groups go: the decisions whose verdict is `expired`, `end-job` or `breaks-scrape` are deleted, the others kept. */
  readonly plan: (groups: readonly ApiGroup[], nowSeconds: number, broken: readonly BrokenGroup[]) => GroupDecision[];
  /** Probe the gateway's /metrics before planning (the plan needs the groups that break it). */
  readonly probeFirst?: boolean;
  /** How long deleted groups may take to disappear from the gateway's answer (it applies a DELETE after its 202). */
  readonly verifySeconds?: number;
  /** Told about each deletion once it is confirmed by a re-read (in a dry run, as it is decided). */
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
  let scrapeBefore: ScrapeHealth | undefined;
  try {
    groups = await client.groups();
    if (options.probeFirst === true) scrapeBefore = await probeScrape(client);
  } catch (error) {
    return { gateway: baseUrl, error: describeError(error), deletions: [], kept: [], jobs: [] };
  }
  const jobs = [...new Set(groups.map((group) => group.labels?.['job'] ?? ''))].sort();
  const broken = (scrape: ScrapeHealth | undefined) => (scrape === undefined ? [] : groupsBreakingScrape(groups, scrape.problems, catalogType));
  const decisions = options.plan(groups, Date.now() / 1000, broken(scrapeBefore));
  let chosen = decisions.filter((d) => d.verdict === 'expired' || d.verdict === 'end-job' || d.verdict === 'breaks-scrape');
  const kept = decisions.filter((d) => !chosen.includes(d));
  if (chosen.some(notUtf8)) {
    // The JSON API hides such a group's bytes; the 500 of /metrics (which such a group always causes) shows them.
    scrapeBefore ??= await probeScrape(client).catch(() => undefined);
    const found = broken(scrapeBefore);
    // A page that answers 200 holds no invalid UTF-8: such a value is a real U+FFFD, and its plain path is exact.
    if (scrapeBefore?.ok !== true) chosen = chosen.map((d) => (notUtf8(d) ? { ...d, exactPaths: exactPathsOf(d.labels, found) } : d));
  }
  let deletions: Deletion[] = [];
  for (const decision of chosen) {
    const deletion = options.dryRun ? { ...decision, deleted: false } : await deleteGroup(client, decision);
    deletions.push(deletion);
    if (options.dryRun) options.onDeletion?.(deletion);
  }
  if (!options.dryRun) {
    deletions = await verifyDeletions(client, deletions, options.verifySeconds ?? Math.min(options.timeoutSeconds, 5));
    for (const deletion of deletions) options.onDeletion?.(deletion);
  }
  const scrapeAfter = scrapeBefore === undefined || options.dryRun ? undefined : await probeScrape(client).catch(() => undefined);
  return { gateway: baseUrl, deletions, kept, jobs, ...(scrapeBefore === undefined ? {} : { scrapeBefore }), ...(scrapeAfter === undefined ? {} : { scrapeAfter }) };
}

/** A label value the JSON API could not show as it is (it wrote U+FFFD for invalid UTF-8). */
function notUtf8(decision: GroupDecision): boolean {
  return Object.values(decision.labels).some((value) => value.includes('\uFFFD'));
}

async function deleteGroup(client: GatewayClient, decision: GroupDecision): Promise<Deletion> {
  const paths = decision.exactPaths ?? [decision.path];
  if (paths.length === 0) {
    return {
      ...decision,
      deleted: false,
      error: {
        code: 'PERSIA_GROUP_UNDELETABLE',
        message:
          'a grouping value is not valid UTF-8 and the gateway shows it only as U+FFFD (its /metrics error does not name the group), so no DELETE can address it; ' +
          'restart the gateway without its persistence file, or wipe it (PUT /api/v1/admin/wipe with --web.enable-admin-api)',
      },
    };
  }
  try {
    for (const path of paths) await client.delete(path);
    return { ...decision, deleted: true };
  } catch (error) {
    return { ...decision, deleted: false, error: describeError(error) };
  }
}

/**
 * The gateway answers 202 to any DELETE, also of a group that does not exist, and applies it after
 * answering: a deletion counts once the group is gone from a re-read. Re-reads until every deleted group
 * is gone or `seconds` passed; one still there is a failure.
 */
async function verifyDeletions(client: GatewayClient, deletions: Deletion[], seconds: number): Promise<Deletion[]> {
  const key = (labels: Readonly<Record<string, string>>) => JSON.stringify(Object.entries(labels).sort());
  const deadline = Date.now() + seconds * 1000;
  let still = new Set<string>();
  let readError: { code: string; message: string } | undefined;
  for (;;) {
    try {
      const present = new Set((await client.groups()).map((group) => key(group.labels ?? {})));
      still = new Set(deletions.filter((d) => d.deleted && present.has(key(d.labels))).map((d) => key(d.labels)));
      readError = undefined;
    } catch (error) {
      readError = describeError(error);
    }
    if ((readError === undefined && still.size === 0) || Date.now() >= deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return deletions.map((d) => {
    if (!d.deleted) return d;
    if (readError !== undefined)
      return {
        ...d,
        deleted: false,
        error: { code: readError.code, message: `the DELETE was answered, but the gateway could not be re-read to confirm it: ${readError.message}` },
      };
    if (!still.has(key(d.labels))) return d;
    return {
      ...d,
      deleted: false,
      error: { code: 'PERSIA_GROUP_NOT_DELETED', message: `the gateway answered the DELETE but still holds the group ${seconds} s later (a node still pushing re-creates it)` },
    };
  });
}

function describeError(error: unknown): { code: string; message: string } {
  return { code: error instanceof PersiaMetricsError ? error.code : 'PERSIA_UNEXPECTED', message: errorText(error) };
}

/** The sweep failed somewhere: the gateway could not be read, or a DELETE failed. */
export function sweepFailed(sweep: GatewaySweep): boolean {
  return sweep.error !== undefined || sweep.deletions.some((d) => d.error !== undefined);
}
