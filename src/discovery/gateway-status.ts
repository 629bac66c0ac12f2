/**
 * What a job's gateway knows about its nodes: one group per node (its whole grouping key), read from the
 * gateway's `/api/v1/metrics`, reduced to what an operator asks first: is every node pushing, and do its
 * pushes fail? The job's groups that are not nodes (isNodeGroup, src/monitoring/view-contract.ts) are listed
 * apart, never judged stale. `readJobGroups` is pure (tests feed it JSON); `GatewayClient.groups()`
 * (src/gateway/client.ts) does the HTTP.
 */
import { NODE_ROLES, PROGRESS_AGE_METRIC } from '../metrics/catalog.js';
import {
  isNodeGroup,
  type NodeCondition,
  nodeCondition,
  nodeHung,
  nodeKey,
  nodeRole,
  reportedState,
  rolesOfFamilies,
  SOURCE_FAILURE_REASON,
  staleThresholdSeconds,
} from '../monitoring/health.js';
import { DEFAULT_MONITORING_OPTIONS } from '../monitoring/options.js';
import { type ApiMetric, family, familyNames, firstValue, type ApiGroup } from '../gateway/api.js';
import { bytesAsText, exactLabelsOf } from '../gateway/label-bytes.js';
import { clipValue, escapeValue, SHOWN_VALUE_CHARS } from '../errors.js';

export interface NodeStatus {
  readonly job: string;
  /** Its `role` label, else the role its families show (PersiaML's nodes push none), else `unknown` (src/monitoring/view-contract.ts, nodeRole). */
  readonly role: string;
  readonly instance: string;
  /**
   * The group's whole grouping key (job, role, instance and any other label it was pushed under): what
   * the node is. A group `…/instance/rep_1/shadow/x` is not the node rep_1, whatever it pushes.
   */
  readonly groupingKey: Readonly<Record<string, string>>;
  /**
   * Set where a grouping value is not valid UTF-8 (the JSON API, and so groupingKey, shows each such byte as
   * U+FFFD, alike for groups that differ only there) and the gateway's scrape error names the group's bytes:
   * the grouping key with each such byte as `\xHH`, and the DELETE path by the exact bytes.
   */
  readonly exactGroupingKey?: Readonly<Record<string, string>>;
  readonly exactPath?: string;
  /** Current state from persia_node_state (the state whose value is 1), if the node reports it. */
  readonly state: string | undefined;
  /** Seconds since the gateway last accepted a push of this group. */
  readonly lastPushAgeSeconds: number | undefined;
  /** False when the gateway rejected the group's last push (the body was malformed or inconsistent). */
  readonly lastPushSuccessful: boolean;
  /** The node's own push interval (persia_node_push_interval_seconds), if it publishes it. */
  readonly pushIntervalSeconds: number | undefined;
  /** Failed pushes the node counted itself (persia_metrics_push_failures_total, every reason but SOURCE_FAILURE_REASON). */
  readonly pushFailures: number | undefined;
  /** Extra sources (scraped endpoints) left out of pushes that reached the gateway (reason SOURCE_FAILURE_REASON). */
  readonly sourceFailures: number | undefined;
  /** live, stopped (its last push said it was stopping) or stale (src/monitoring/health.ts). */
  readonly condition: NodeCondition;
  /** condition === 'stale': it stopped pushing without saying so (the stale-node alert's nodes). */
  readonly stale: boolean;
  /** The node found another process or thread pushing as the same job/role/instance (persia_node_duplicate_identity). */
  readonly duplicateIdentity: boolean;
  /** Seconds without progress as of its last push (persia_node_progress_age_seconds), if it reports it. */
  readonly progressAgeSeconds: number | undefined;
  /** Live and running, but its last push reported no progress for too long (src/monitoring/view-contract.ts, nodeHung). */
  readonly hung: boolean;
  readonly gateway: string;
  /**
   * Another gateway holds a newer push of this node (its grouping key): the node moved to that replica
   * and this group is what it left behind (src/gateway/replicated-transport.ts deletes it when it can).
   */
  readonly movedTo: string | undefined;
}

export interface SummaryOptions {
  readonly job: string;
  readonly nowSeconds: number;
  /**
   * A group whose last push is older than this counts as stale. Default: `staleAfterIntervals` of the
   * node's own push interval, or of `statedPushIntervalSeconds` for a group that does not publish one (src/monitoring/health.ts).
   */
  readonly staleAfterSeconds?: number;
  /** The interval a group that publishes none is judged by (the job's push_interval_seconds); default STATED_PUSH_INTERVAL_SECONDS. */
  readonly statedPushIntervalSeconds?: number;
  /** Missed pushes that make a node stale when `staleAfterSeconds` is not given (the stale alert's count). */
  readonly staleAfterIntervals: number;
  /** Pushes without progress that make a running node hung (PersiaNodeHung's count); default the shipped rules'. */
  readonly hangAfterIntervals?: number;
  /** Shown in the result, to tell replicas apart. */
  readonly gateway: string;
  /** The exact DELETE paths of groups the JSON API shows with U+FFFD (src/gateway/group-identity.ts, exactGroupingPaths). */
  readonly exactPaths?: ReadonlyMap<ApiGroup, string>;
}

/**
 * A group of the job that is not a node (keyed by `job` alone and publishing no push interval: a batch job's
 * last result): listed apart, by its grouping key and last push, never stale and never alerted on.
 */
export interface OtherGroupStatus {
  readonly job: string;
  readonly groupingKey: Readonly<Record<string, string>>;
  readonly exactGroupingKey?: Readonly<Record<string, string>>;
  readonly exactPath?: string;
  readonly lastPushAgeSeconds: number | undefined;
  readonly lastPushSuccessful: boolean;
  readonly gateway: string;
}

/** The groups of one job on one gateway: its nodes, and the groups that are not nodes. */
export interface JobGroups {
  readonly nodes: NodeStatus[];
  readonly otherGroups: OtherGroupStatus[];
}

/** The nodes of the job (readJobGroups without its other groups). */
export function summarizeGroups(data: readonly ApiGroup[], options: SummaryOptions): NodeStatus[] {
  return readJobGroups(data, options).nodes;
}

export function readJobGroups(data: readonly ApiGroup[], options: SummaryOptions): JobGroups {
  const nodes: NodeStatus[] = [];
  const otherGroups: OtherGroupStatus[] = [];
  for (const group of data) {
    const labels = group.labels ?? {};
    if (labels['job'] !== options.job) continue;
    const pushTime = firstValue(group, 'push_time_seconds');
    const age = pushTime === undefined || pushTime <= 0 ? undefined : Math.max(0, options.nowSeconds - pushTime);
    const interval = firstValue(group, 'persia_node_push_interval_seconds');
    const exactPath = options.exactPaths?.get(group);
    const groupingKey = Object.fromEntries(Object.entries(labels).filter(([, value]) => value !== ''));
    const exactKey = exactPath === undefined ? {} : exactKeyOf(groupingKey, exactPath);
    const lastPushSuccessful = group.last_push_successful !== false;
    if (!isNodeGroup(labels, interval)) {
      otherGroups.push({ job: options.job, groupingKey, ...exactKey, lastPushAgeSeconds: age, lastPushSuccessful, gateway: options.gateway });
      continue;
    }
    const failures = family(group, 'persia_metrics_push_failures_total')?.metrics;
    const staleAfter = options.staleAfterSeconds ?? staleThresholdSeconds(interval, options.staleAfterIntervals, options.statedPushIntervalSeconds);
    const state = reportedState(group);
    const condition = nodeCondition(state, age, staleAfter);
    const progressAgeSeconds = firstValue(group, PROGRESS_AGE_METRIC);
    const hangAfter = options.hangAfterIntervals ?? DEFAULT_MONITORING_OPTIONS.hangAfterIntervals;
    nodes.push({
      job: options.job,
      role: nodeRole(labels['role'], rolesOfFamilies(familyNames(group, false))),
      instance: labels['instance'] ?? '',
      groupingKey,
      ...exactKey,
      state,
      lastPushAgeSeconds: age,
      pushIntervalSeconds: interval,
      lastPushSuccessful,
      pushFailures: failureSum(failures, (reason) => reason !== SOURCE_FAILURE_REASON),
      sourceFailures: failureSum(failures, (reason) => reason === SOURCE_FAILURE_REASON),
      condition,
      stale: condition === 'stale',
      duplicateIdentity: firstValue(group, 'persia_node_duplicate_identity') === 1,
      progressAgeSeconds,
      hung: nodeHung({ condition, state, progressAgeSeconds, pushIntervalSeconds: interval }, hangAfter),
      gateway: options.gateway,
      movedTo: undefined,
    });
  }
  const sortedNodes = nodes.sort(
    (a, b) =>
      roleRank(NODE_ROLES, a.role) - roleRank(NODE_ROLES, b.role) ||
      shownInstance(a).localeCompare(shownInstance(b), 'en', { numeric: true }) ||
      extraGroupingLabels(a).join(' ').localeCompare(extraGroupingLabels(b).join(' '), 'en', { numeric: true }),
  );
  return { nodes: sortedNodes, otherGroups };
}

/** The grouping key spelt from its exact bytes (invalid UTF-8 as `\xHH`), and the path they make. */
function exactKeyOf(groupingKey: Readonly<Record<string, string>>, exactPath: string): Pick<NodeStatus, 'exactGroupingKey' | 'exactPath'> {
  const bytes = exactLabelsOf(exactPath);
  const shown = (name: string): string => bytesAsText(bytes.get(name) ?? new Uint8Array(), SHOWN_VALUE_CHARS);
  return { exactPath, exactGroupingKey: Object.fromEntries(Object.keys(groupingKey).map((name) => [name, shown(name)])) };
}

/** The instance as shown (escaped, clipped): from its exact bytes where the JSON API could not show them. */
export function shownInstance(node: Pick<NodeStatus, 'instance' | 'exactGroupingKey'>): string {
  return node.exactGroupingKey?.['instance'] ?? escapeValue(clipValue(node.instance));
}

/** The sum of a node's persia_metrics_push_failures_total series whose reason passes; undefined when it has none. */
function failureSum(failures: readonly ApiMetric[] | undefined, counts: (reason: string) => boolean): number | undefined {
  if (failures === undefined) return undefined;
  return failures.filter((m) => counts(m.labels?.['reason'] ?? '')).reduce((sum, m) => sum + (Number(m.value) || 0), 0);
}

/** The grouping labels beyond job, role and instance, as `name=value` shown (a neighbour's group shows them). */
export function extraGroupingLabels(node: Pick<NodeStatus, 'groupingKey' | 'exactGroupingKey'>): string[] {
  const exact = node.exactGroupingKey;
  return Object.entries(node.groupingKey)
    .filter(([name]) => !['job', 'role', 'instance'].includes(name))
    .map(([name, value]) => `${escapeValue(name)}=${exact?.[name] ?? escapeValue(clipValue(value))}`);
}

/**
 * Nodes read from several replicas: a node found on more than one is current on the replica with its newest
 * push; its other groups are marked `movedTo` that replica (left behind by a failover, and stale values).
 */
export function markMovedNodes(nodes: readonly NodeStatus[]): NodeStatus[] {
  const newest = new Map<string, NodeStatus>();
  const identity = (n: NodeStatus) => n.exactPath ?? nodeKey(n.groupingKey);
  for (const node of nodes) {
    const seen = newest.get(identity(node));
    if (seen === undefined || (node.lastPushAgeSeconds ?? Infinity) < (seen.lastPushAgeSeconds ?? Infinity)) newest.set(identity(node), node);
  }
  return nodes.map((node) => {
    const current = newest.get(identity(node));
    // Two groups of one gateway are two groups, however alike the JSON API shows them (bytes that are not UTF-8
    // all read U+FFFD; where the scrape error names their bytes, exactPath tells them apart across replicas too).
    return current === undefined || current === node || current.gateway === node.gateway ? node : { ...node, movedTo: current.gateway };
  });
}

function roleRank(order: readonly string[], role: string): number {
  const index = order.indexOf(role);
  return index === -1 ? order.length : index;
}

/** Seconds as a short human text: 4.2s, 3m05s, 2h10m. */
export function formatAge(seconds: number | undefined): string {
  if (seconds === undefined) return 'never';
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${String(Math.floor(seconds % 60)).padStart(2, '0')}s`;
  return `${Math.floor(seconds / 3600)}h${String(Math.floor((seconds % 3600) / 60)).padStart(2, '0')}m`;
}
