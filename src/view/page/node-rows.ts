/**
 * The node table: one row per node (its whole grouping key: nodeKey, src/monitoring/view-contract.ts), and the
 * job's groups that are not nodes (isNodeGroup there) apart, from a few instant queries. Pure: the page runs NODE_QUERIES through the view server and hands the answers
 * to `nodeRows`. Every query keeps the group's labels, so each answer is matched to its node by the whole
 * key: a neighbour's group `…/instance/rep_1/shadow/x` is a row of its own and never refreshes rep_1.
 */
import {
  ALERT_SERIES_LABELS,
  DUPLICATE_IDENTITY_ALERT,
  GPU_SERIES_LABELS,
  GPU_UTILISATION_METRIC,
  FAST_STRAGGLER_ALERT,
  type NodeCondition,
  nodeCondition,
  nodeHung,
  nodeKey,
  sparePausedJob,
  type NodeHealthRule,
  isNodeGroup,
  nodeRole,
  ROLE_FAMILIES,
  SOURCE_FAILURE_REASON,
  STRAGGLER_ALERT,
  STRAGGLER_DETAIL_LABELS,
  staleThresholdSeconds,
} from '../../monitoring/view-contract.js';
import { sampleNumber } from './format.js';
import { promqlStringContent } from './promql-string.js';

export interface InstantSample {
  readonly metric: Readonly<Record<string, string>>;
  readonly value: readonly [number, string];
}

export type NodeQueryName = 'age' | 'interval' | 'state' | 'failures' | 'rejected' | 'duplicate' | 'straggler' | 'roleFamilies' | 'gpus' | 'progress';

/** Label the roleFamilies query names a family's role in (beyond the node's labels). */
const FAMILY_ROLE_LABEL = 'persia_family_role';

/**
 * Per node without a `role` label, one series per role whose families it pushes (ROLE_FAMILIES): the page
 * gives such a node the role `nodeRole` gives it in `status`. Per-feature series lose their `feat` label.
 */
function roleFamiliesQuery(sel: string): string {
  return Object.entries(ROLE_FAMILIES)
    .map(([role, names]) => `label_replace(group without (feat) ({${sel}, role="", __name__=~"${names.join('|')}"}), "${FAMILY_ROLE_LABEL}", "${role}", "", "")`)
    .join('\nor\n');
}

export function nodeQueries(job: string): Record<NodeQueryName, string> {
  const sel = `job="${promqlStringContent(job)}"`;
  return {
    // The gateway stamps every group with its last successful push; a dead node's group stays, its age grows.
    age: `time() - push_time_seconds{${sel}}`,
    interval: `persia_node_push_interval_seconds{${sel}}`,
    state: `persia_node_state{${sel}} == 1`,
    // Failed pushes only, as status and the push-failure alert count them: not a scraped source left out.
    failures: `sum without (reason) (persia_metrics_push_failures_total{${sel}, reason!="${SOURCE_FAILURE_REASON}"})`,
    rejected: `push_failure_time_seconds{${sel}} > push_time_seconds{${sel}}`,
    // ALERTS as the rules evaluated them: the shipped scrape configs drop pushed ALERTS (src/deploy/prometheus).
    duplicate: `persia_node_duplicate_identity{${sel}} == 1 or ALERTS{alertname="${DUPLICATE_IDENTITY_ALERT}", alertstate="firing", ${sel}}`,
    // The 5-minute P99 alert and the fast path's, one mark.
    straggler: `ALERTS{alertname=~"${STRAGGLER_ALERT}|${FAST_STRAGGLER_ALERT}", ${sel}}`,
    roleFamilies: roleFamiliesQuery(sel),
    gpus: `${GPU_UTILISATION_METRIC}{${sel}}`,
    // Set by the node at each push (src/metrics/progress.ts): judged as `status` and PersiaNodeHung judge it.
    progress: `persia_node_progress_age_seconds{${sel}}`,
  };
}

/** Per query, the labels its series have beyond their group's (left out of the node key). */
const OWN_LABELS: Partial<Record<NodeQueryName, readonly string[]>> = {
  state: ['state'],
  duplicate: ALERT_SERIES_LABELS,
  straggler: [...ALERT_SERIES_LABELS, ...STRAGGLER_DETAIL_LABELS],
  roleFamilies: [FAMILY_ROLE_LABEL],
  gpus: GPU_SERIES_LABELS,
};

/** One GPU of a node (dcgm-exporter's `gpu` label) and its utilisation in %. */
export interface NodeGpu {
  readonly gpu: string;
  readonly utilisation: number;
}

export interface NodeRow {
  /** The node's identity: its whole grouping key (nodeKey). */
  readonly key: string;
  readonly role: string;
  readonly instance: string;
  /** Labels of the group beyond job, role and instance (and the scrape's persia_job), as `name=value`. */
  readonly extraLabels: readonly string[];
  /** The node's own state (init, running, error, stopping) as of its last push. */
  readonly state: string | undefined;
  readonly ageSeconds: number;
  /** The node's own push interval, when it publishes one. */
  readonly intervalSeconds: number | undefined;
  /** Whole push intervals since the last push: of its own interval, else of the stated one (PersiaML's nodes publish none). */
  readonly missedPushes: number | undefined;
  /** live / stopped / stale, by the model's rule (nodeCondition); `stale` is `condition === 'stale'`. */
  readonly condition: NodeCondition;
  readonly stale: boolean;
  /**
   * Right after Prometheus was away its last samples are older than the nodes' real pushes: a node that was
   * fresh when the outage began is not judged stale until Prometheus has scraped again (its age is unsure).
   */
  readonly ageUnsure: boolean;
  readonly pushFailures: number | undefined;
  readonly lastPushRejected: boolean;
  /**
   * `firing` while PersiaStragglerNodeFast or PersiaStragglerNode fires for the node (either says it is slower
   * than its peers: the fast one within a minute, the other confirms it on 5-minute P99s), `pending` while only
   * pending, else undefined (no alert series).
   */
  readonly straggler: 'firing' | 'pending' | undefined;
  /** Which straggler alerts hold for the node and how, e.g. `PersiaStragglerNodeFast firing` (the badge's tooltip). */
  readonly stragglerAlerts: readonly string[];
  /** What the straggler alert says beyond job/role/instance (e.g. which time cost). */
  readonly stragglerDetail: string;
  readonly duplicateIdentity: boolean;
  /** The node's GPUs with their utilisation (GPU_UTILISATION_METRIC), by GPU index; empty for a node without. */
  readonly gpus: readonly NodeGpu[];
  /** Seconds without progress as of the node's last push (persia_node_progress_age_seconds), if it reports it. */
  readonly progressAgeSeconds: number | undefined;
  /** It keeps pushing, says it is running, and reported no progress for too long (nodeHung, PersiaNodeHung). */
  readonly hung: boolean;
}

function byNode(samples: readonly InstantSample[] | undefined, omit: readonly string[] = []): Map<string, InstantSample[]> {
  const map = new Map<string, InstantSample[]>();
  for (const sample of samples ?? []) {
    const id = nodeKey(sample.metric, omit);
    const list = map.get(id) ?? [];
    list.push(sample);
    map.set(id, list);
  }
  return map;
}

/** Labels every series of a job has that say nothing about which node it is. */
const SHARED_LABELS = ['__name__', 'job', 'role', 'instance', 'persia_job'];

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

function missedPushes(ageSeconds: number, intervalSeconds: number | undefined): number | undefined {
  return intervalSeconds === undefined || intervalSeconds <= 0 ? undefined : Math.max(0, Math.floor(ageSeconds / intervalSeconds) - 1);
}

/** A group of the job that is not a node (isNodeGroup): listed apart, by its labels and last push; never stale. */
export interface OtherGroupRow {
  readonly key: string;
  /** Its grouping labels (job included, the scrape's persia_job left out), as `name=value`. */
  readonly labels: readonly string[];
  readonly ageSeconds: number;
}

/** When the page last saw Prometheus away, and which nodes were stale before (nodeRows). */
export interface RecentAnswers {
  readonly now: number;
  readonly outage: RecentOutage | undefined;
  /** Keys of the nodes flagged stale before: they stay stale (they were dead before the outage). */
  readonly staleBefore?: ReadonlySet<string>;
}

/** The job's nodes (groupRows without its other groups). */
export function nodeRows(answers: Partial<Record<NodeQueryName, readonly InstantSample[]>>, health: NodeHealthRule, recent?: RecentAnswers): NodeRow[] {
  return groupRows(answers, health, recent).nodes;
}

export function groupRows(
  answers: Partial<Record<NodeQueryName, readonly InstantSample[]>>,
  health: NodeHealthRule,
  recent?: RecentAnswers,
): { readonly nodes: NodeRow[]; readonly others: OtherGroupRow[] } {
  const ages = byNode(answers.age);
  const intervals = byNode(answers.interval);
  const states = byNode(answers.state, OWN_LABELS.state);
  const failures = byNode(answers.failures);
  const rejected = byNode(answers.rejected);
  const duplicates = byNode(answers.duplicate, OWN_LABELS.duplicate);
  const stragglers = byNode(answers.straggler, OWN_LABELS.straggler);
  const familyRoles = byNode(answers.roleFamilies, OWN_LABELS.roleFamilies);
  const gpus = byNode(answers.gpus, OWN_LABELS.gpus);
  const progress = byNode(answers.progress);
  const rows: NodeRow[] = [];
  const others: OtherGroupRow[] = [];
  for (const [id, samples] of ages) {
    const first = samples[0];
    if (first === undefined) continue;
    // One key, one series (a group scraped twice under the same labels is one series in Prometheus).
    const ageSeconds = Math.min(...samples.map((sample) => sampleNumber(sample.value[1])));
    const ownInterval = intervals.get(id)?.[0];
    const intervalSeconds = ownInterval === undefined ? undefined : sampleNumber(ownInterval.value[1]);
    if (!isNodeGroup(first.metric, intervalSeconds)) {
      const labels = Object.entries(first.metric).filter(([name, value]) => name !== '__name__' && name !== 'persia_job' && value !== '');
      others.push({ key: id, labels: labels.map(([name, value]) => `${name}=${value}`), ageSeconds });
      continue;
    }
    const alerts = stragglers.get(id) ?? [];
    const firing = alerts.some((alert) => alert.metric['alertstate'] === 'firing');
    const detail = alerts.flatMap((alert) => STRAGGLER_DETAIL_LABELS.flatMap((name) => (alert.metric[name] === undefined ? [] : [`${name}=${alert.metric[name]}`])));
    const failureSample = failures.get(id)?.[0];
    const threshold = staleThresholdSeconds(intervalSeconds, health.staleAfterIntervals, health.statedPushIntervalSeconds);
    // A node that publishes no interval (PersiaML's) misses pushes of the stated one.
    const judgedInterval = intervalSeconds ?? health.statedPushIntervalSeconds;
    const state = states.get(id)?.[0]?.metric['state'];
    const judged = nodeCondition(state, ageSeconds, threshold);
    const ageUnsure = judged === 'stale' && recent !== undefined && recent.staleBefore?.has(id) !== true && staleByOutage(ageSeconds, threshold, recent.now, recent.outage);
    const condition = ageUnsure ? 'live' : judged;
    const progressSample = progress.get(id)?.[0];
    const progressAgeSeconds = progressSample === undefined ? undefined : sampleNumber(progressSample.value[1]);
    rows.push({
      key: id,
      role: nodeRole(
        first.metric['role'],
        (familyRoles.get(id) ?? []).map((sample) => sample.metric[FAMILY_ROLE_LABEL] ?? ''),
      ),
      instance: first.metric['instance'] ?? '',
      extraLabels: Object.entries(first.metric)
        .filter(([name, value]) => !SHARED_LABELS.includes(name) && value !== '')
        .map(([name, value]) => `${name}=${value}`),
      state,
      ageSeconds,
      intervalSeconds,
      missedPushes: missedPushes(ageSeconds, judgedInterval),
      condition,
      stale: condition === 'stale',
      ageUnsure,
      pushFailures: failureSample === undefined ? undefined : sampleNumber(failureSample.value[1]),
      lastPushRejected: rejected.has(id),
      straggler: alerts.length === 0 ? undefined : firing ? 'firing' : 'pending',
      stragglerDetail: [...new Set(detail)].join(', '),
      stragglerAlerts: [...new Set(alerts.map((alert) => `${alert.metric['alertname'] ?? ''} ${alert.metric['alertstate'] ?? ''}`))].sort(),
      duplicateIdentity: duplicates.has(id),
      gpus: (gpus.get(id) ?? []).map((sample) => ({ gpu: sample.metric['gpu'] ?? '', utilisation: sampleNumber(sample.value[1]) })).sort((a, b) => compareNatural(a.gpu, b.gpu)),
      progressAgeSeconds,
      hung: nodeHung({ condition, state, progressAgeSeconds, pushIntervalSeconds: intervalSeconds }, health.hangAfterIntervals),
    });
  }
  const roleRank = (role: string): number => (health.roles.includes(role) ? health.roles.indexOf(role) : health.roles.length);
  const nodes = sparePausedJob(rows).sort(
    (a, b) =>
      roleRank(a.role) - roleRank(b.role) ||
      compareNatural(a.role, b.role) ||
      compareNatural(a.instance, b.instance) ||
      compareNatural(a.extraLabels.join(' '), b.extraLabels.join(' ')),
  );
  return { nodes, others: others.sort((a, b) => compareNatural(a.labels.join(' '), b.labels.join(' '))) };
}
