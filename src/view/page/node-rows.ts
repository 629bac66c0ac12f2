/**
 * The node table: one row per gateway group (job / role / instance), from a few instant queries. Pure: the
 * page runs NODE_QUERIES through the view server and hands the answers to `nodeRows`.
 */
import { DUPLICATE_IDENTITY_ALERT, STRAGGLER_ALERT, type NodeHealthRule } from '../../monitoring/view-contract.js';
import { sampleNumber } from './format.js';
import { promqlStringContent } from './promql-string.js';

export interface InstantSample {
  readonly metric: Readonly<Record<string, string>>;
  readonly value: readonly [number, string];
}

export type NodeQueryName = 'age' | 'interval' | 'state' | 'failures' | 'rejected' | 'duplicate' | 'straggler';

export function nodeQueries(job: string): Record<NodeQueryName, string> {
  const sel = `job="${promqlStringContent(job)}"`;
  return {
    // The gateway stamps every group with its last successful push; a dead node's group stays, its age grows.
    age: `time() - push_time_seconds{${sel}}`,
    interval: `persia_node_push_interval_seconds{${sel}}`,
    state: `persia_node_state{${sel}} == 1`,
    failures: `sum by (role, instance) (persia_metrics_push_failures_total{${sel}})`,
    rejected: `push_failure_time_seconds{${sel}} > push_time_seconds{${sel}}`,
    duplicate: `max by (role, instance) (persia_node_duplicate_identity{${sel}}) == 1 or max by (role, instance) (ALERTS{alertname="${DUPLICATE_IDENTITY_ALERT}", alertstate="firing", ${sel}})`,
    straggler: `ALERTS{alertname="${STRAGGLER_ALERT}", ${sel}}`,
  };
}

export interface NodeRow {
  readonly role: string;
  readonly instance: string;
  /** The node's own state (init, running, error, stopping) as of its last push. */
  readonly state: string | undefined;
  readonly ageSeconds: number;
  /** The node's own push interval, when it publishes one. */
  readonly intervalSeconds: number | undefined;
  /** Whole push intervals since the last push (undefined without an interval). */
  readonly missedPushes: number | undefined;
  readonly stale: boolean;
  /**
   * Right after Prometheus was away its last samples are older than the nodes' real pushes: a node that was
   * fresh when the outage began is not judged stale until Prometheus has scraped again (its age is unsure).
   */
  readonly ageUnsure: boolean;
  readonly pushFailures: number | undefined;
  readonly lastPushRejected: boolean;
  /** `firing` / `pending` while PersiaStragglerNode holds for the node, else undefined (no alert series). */
  readonly straggler: 'firing' | 'pending' | undefined;
  /** What the straggler alert says beyond job/role/instance (e.g. which time cost). */
  readonly stragglerDetail: string;
  readonly duplicateIdentity: boolean;
}

function key(metric: Readonly<Record<string, string>>): string {
  return `${metric['role'] ?? ''}/${metric['instance'] ?? ''}`;
}

function byNode(samples: readonly InstantSample[] | undefined): Map<string, InstantSample[]> {
  const map = new Map<string, InstantSample[]>();
  for (const sample of samples ?? []) {
    const list = map.get(key(sample.metric)) ?? [];
    list.push(sample);
    map.set(key(sample.metric), list);
  }
  return map;
}

function compareNatural(a: string, b: string): number {
  return a.localeCompare(b, undefined, { numeric: true });
}

/** The last time Prometheus did not answer, as the page saw it (seconds since the epoch, `to` = back again). */
export interface RecentOutage {
  readonly from: number;
  readonly to: number;
}

/**
 * Whether an age that looks stale is explained by an outage of Prometheus: the node's last push was fresh
 * when the outage began, and Prometheus came back less than one stale threshold ago.
 */
export function staleByOutage(ageSeconds: number, thresholdSeconds: number, now: number, outage: RecentOutage | undefined): boolean {
  if (outage === undefined || now - outage.to > thresholdSeconds) return false;
  return now - ageSeconds >= outage.from - thresholdSeconds;
}

export function nodeRows(
  answers: Partial<Record<NodeQueryName, readonly InstantSample[]>>,
  health: NodeHealthRule,
  recent?: {
    readonly now: number;
    readonly outage: RecentOutage | undefined;
    /** `role/instance` of the nodes flagged stale before: they stay stale (they were dead before the outage). */
    readonly staleBefore?: ReadonlySet<string>;
  },
): NodeRow[] {
  const ages = byNode(answers.age);
  const intervals = byNode(answers.interval);
  const states = byNode(answers.state);
  const failures = byNode(answers.failures);
  const rejected = byNode(answers.rejected);
  const duplicates = byNode(answers.duplicate);
  const stragglers = byNode(answers.straggler);
  const rows: NodeRow[] = [];
  for (const [id, samples] of ages) {
    const first = samples[0];
    if (first === undefined) continue;
    // The same group scraped twice (two discovery mechanisms) is one node: its freshest copy counts.
    const ageSeconds = Math.min(...samples.map((sample) => sampleNumber(sample.value[1])));
    const ownInterval = intervals.get(id)?.[0];
    const intervalSeconds = ownInterval === undefined ? undefined : sampleNumber(ownInterval.value[1]);
    const alerts = stragglers.get(id) ?? [];
    const firing = alerts.some((alert) => alert.metric['alertstate'] === 'firing');
    const detail = alerts
      .flatMap((alert) => Object.entries(alert.metric).filter(([name]) => !['__name__', 'alertname', 'alertstate', 'job', 'role', 'instance', 'severity'].includes(name)))
      .map(([name, value]) => `${name}=${value}`);
    const failureSample = failures.get(id)?.[0];
    const threshold = intervalSeconds !== undefined && intervalSeconds > 0 ? health.staleAfterIntervals * intervalSeconds : health.fallbackStaleSeconds;
    const looksStale = ageSeconds > threshold;
    const ageUnsure = looksStale && recent !== undefined && recent.staleBefore?.has(id) !== true && staleByOutage(ageSeconds, threshold, recent.now, recent.outage);
    rows.push({
      role: first.metric['role'] ?? '',
      instance: first.metric['instance'] ?? '',
      state: states.get(id)?.[0]?.metric['state'],
      ageSeconds,
      intervalSeconds,
      missedPushes: intervalSeconds === undefined || intervalSeconds <= 0 ? undefined : Math.max(0, Math.floor(ageSeconds / intervalSeconds) - 1),
      stale: looksStale && !ageUnsure,
      ageUnsure,
      pushFailures: failureSample === undefined ? undefined : sampleNumber(failureSample.value[1]),
      lastPushRejected: rejected.has(id),
      straggler: alerts.length === 0 ? undefined : firing ? 'firing' : 'pending',
      stragglerDetail: [...new Set(detail)].join(', '),
      duplicateIdentity: duplicates.has(id),
    });
  }
  const roleRank = (role: string): number => (health.roles.includes(role) ? health.roles.indexOf(role) : health.roles.length);
  return rows.sort((a, b) => roleRank(a.role) - roleRank(b.role) || compareNatural(a.role, b.role) || compareNatural(a.instance, b.instance));
}
