/**
 * The sweep of one gateway for `expire`, `end-job` and `repair`: read its groups with the gateway client every
 * other path uses (src/gateway/client.ts), decide with a plan (expiry-plan.ts), DELETE the chosen groups and
 * confirm they are gone.
 */
import { errorText, PersiaMetricsError } from '../errors.js';
import type { ApiGroup } from '../gateway/api.js';
import { GatewayClient } from '../gateway/client.js';
import { groupsBreakingScrape, probeScrape, type BrokenGroup, type ScrapeHealth } from '../gateway/scrape-health.js';
import { groupIdentities, showsReplacement, textPath } from '../gateway/group-identity.js';
import { gatewayEndpoint, type GatewayAccess } from '../gateway/endpoint.js';
import { catalogType, stillPushing, type ExactPathOf, type GroupDecision } from './expiry-plan.js';

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
  /** After the deletions: the first failing probe within the settle time (see lastingScrape), else the last. */
  readonly scrapeAfter?: ScrapeHealth;
  /** /metrics answered 200 right after the deletions, then failed again within `settledSeconds`: a pusher re-created what broke it. */
  readonly scrapeRelapsed?: boolean;
  readonly settledSeconds?: number;
}

export interface SweepOptions {
  readonly timeoutSeconds: number;
  readonly dryRun: boolean;
  /** Credentials and TLS trust for a secured gateway (the nodes' own, src/config/credentials.ts). */
  readonly access?: GatewayAccess;
  /**
   * Which groups go: the decisions whose verdict is `expired`, `end-job` or `breaks-scrape` are deleted, the
   * others kept. `exactPathOf`, once the sweep needed it, is each group's identity (src/gateway/group-identity.ts).
   */
  readonly plan: (groups: readonly ApiGroup[], nowSeconds: number, broken: readonly BrokenGroup[], exactPathOf?: ExactPathOf) => GroupDecision[];
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
  const nowSeconds = Date.now() / 1000;
  const chosenOf = (decisions: readonly GroupDecision[]) => decisions.filter((d) => d.verdict === 'expired' || d.verdict === 'end-job' || d.verdict === 'breaks-scrape');
  let decisions = options.plan(groups, nowSeconds, broken(scrapeBefore));
  if (chosenOf(decisions).some((d) => showsReplacement(d.labels))) {
    // The JSON API hides whether U+FFFD is a byte that is not UTF-8 or a real U+FFFD: the page's 500 (which such a byte always causes) tells.
    scrapeBefore ??= await probeScrape(client).catch(() => undefined);
    decisions = options.plan(groups, nowSeconds, broken(scrapeBefore), groupIdentities(groups, scrapeBefore).pathOf);
  }
  const chosen = chosenOf(decisions);
  const kept = decisions.filter((d) => !chosen.includes(d));
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
  const settle = options.probeFirst === true ? settleSeconds(deletions) : 0;
  const after = scrapeBefore === undefined || options.dryRun ? undefined : await lastingScrape(client, settle);
  return {
    gateway: baseUrl,
    deletions,
    kept,
    jobs,
    ...(scrapeBefore === undefined ? {} : { scrapeBefore }),
    ...(after?.health === undefined ? {} : { scrapeAfter: after.health, scrapeRelapsed: after.relapsed, settledSeconds: settle }),
  };
}

/** The longest wait for a repair's result to hold: the push interval of a deleted group still pushing (at least 1 s, at most 15 s). */
const MIN_SETTLE_SECONDS = 1;
const MAX_SETTLE_SECONDS = 15;

/**
 * How long a repair watches the page after its deletions: a deleted group still pushing (its node, or
 * another that shares its series) re-creates it at its next push, so a 200 right after the DELETE proves
 * nothing until one such interval has passed.
 */
function settleSeconds(deletions: readonly Deletion[]): number {
  const intervals = deletions.filter((d) => d.deleted && stillPushing(d)).map((d) => d.pushIntervalSeconds ?? 0);
  return Math.min(MAX_SETTLE_SECONDS, Math.max(MIN_SETTLE_SECONDS, ...intervals.map((seconds) => seconds + 0.5)));
}

/** Probes /metrics, then, while it answers 200, again every 250 ms for `seconds`: the first failure, or the last 200. */
async function lastingScrape(client: GatewayClient, seconds: number): Promise<{ health?: ScrapeHealth; relapsed: boolean }> {
  const first = await probeScrape(client).catch(() => undefined);
  if (first?.ok !== true || seconds <= 0) return { ...(first === undefined ? {} : { health: first }), relapsed: false };
  const deadline = Date.now() + seconds * 1000;
  let last: ScrapeHealth = first;
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    const probe = await probeScrape(client).catch(() => undefined);
    if (probe === undefined) continue;
    if (!probe.ok) return { health: probe, relapsed: true };
    last = probe;
  }
  return { health: last, relapsed: false };
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

/** The identity a deletion addresses: its exact path where the JSON API shows U+FFFD, else its text. */
function identityOf(decision: GroupDecision): string {
  return decision.exactPaths?.[0] ?? textPath(decision.labels);
}

/**
 * The gateway answers 202 to any DELETE, also of a group that does not exist, and applies it after
 * answering: a deletion counts once the group is gone from a re-read, by its identity (its exact bytes,
 * src/gateway/group-identity.ts: a group spelt alike in JSON, a real U+FFFD beside the byte 0xFF, is
 * another group). Re-reads until every deleted group is gone or `seconds` passed; one still there is a failure.
 */
async function verifyDeletions(client: GatewayClient, deletions: Deletion[], seconds: number): Promise<Deletion[]> {
  const deadline = Date.now() + seconds * 1000;
  let held = new Map<Deletion, boolean | undefined>();
  let readError: { code: string; message: string } | undefined;
  for (;;) {
    try {
      const groups = await client.groups();
      // Groups shown with U+FFFD are told apart by the page's 500 only.
      const scrape = groups.some((group) => showsReplacement(group.labels)) ? await probeScrape(client) : undefined;
      const identities = groupIdentities(groups, scrape);
      held = new Map(deletions.filter((d) => d.deleted).map((d) => [d, identities.holds(identityOf(d))]));
      readError = undefined;
    } catch (error) {
      readError = describeError(error);
    }
    if ((readError === undefined && [...held.values()].every((still) => still === false)) || Date.now() >= deadline) break;
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
    const still = held.get(d);
    if (still === false) return d;
    const message =
      still === true
        ? `the gateway answered the DELETE but still holds the group ${seconds} s later (a node still pushing re-creates it)`
        : `the gateway answered the DELETE, but ${seconds} s later still holds a group it shows alike (U+FFFD) whose bytes it does not tell, so the deletion cannot be confirmed`;
    return { ...d, deleted: false, error: { code: 'PERSIA_GROUP_NOT_DELETED', message } };
  });
}

function describeError(error: unknown): { code: string; message: string } {
  return { code: error instanceof PersiaMetricsError ? error.code : 'PERSIA_UNEXPECTED', message: errorText(error) };
}

/** The sweep failed somewhere: the gateway could not be read, or a DELETE failed. */
export function sweepFailed(sweep: GatewaySweep): boolean {
  return sweep.error !== undefined || sweep.deletions.some((d) => d.error !== undefined);
}
