/**
 * When a node counts as healthy: stale once its last push is older than `staleAfterIntervals` of its own
 * push intervals (of the job's configured interval for a node that publishes none, such as PersiaML's), unless that last push said it was stopping (then it is stopped, not stale). The
 * stale-node alert, the job health dashboard, `status` and the view's node table all judge by this rule; the gateway stamps every group with `push_time_seconds`, which is what makes it
 * possible at all (the gateway has no TTL: a dead node's last values stay and look alive otherwise).
 */
import { family, type ApiGroup } from '../gateway/api.js';
import { atMs } from './duration.js';
import type { MonitoringOptions } from './options.js';
import { NODE_KEY_LABEL, PAUSED_STATE, STOPPING_STATE } from './view-contract.js';

/** Seconds without a push after which a node counts as stale, at the job's configured interval (at the millisecond). */
export function staleAfterSeconds(options: MonitoringOptions): number {
  return atMs(options.pushIntervalSeconds * options.staleAfterIntervals);
}

/**
 * PromQL of every node whose push age is past (`>`) or within (`<=`) its stale threshold: `staleAfterIntervals`
 * of the interval it publishes, else of the job's push interval for a node that publishes none (a group keyed by
 * an instance: PersiaML's own nodes, docs/processes.md). The stale alert and the job health dashboard read it;
 * `selector` narrows every series (the dashboards' `job="$job"`). Matched on the whole grouping key.
 */
export function pushAgeVersusThreshold(options: MonitoringOptions, op: '>' | '<=', selector = ''): string {
  const only = (extra: string): string => (selector === '' && extra === '' ? '' : `{${[selector, extra].filter((part) => part !== '').join(', ')}}`);
  return (
    `time() - push_time_seconds${only('')} ${op} ${options.staleAfterIntervals} * persia_node_push_interval_seconds${only('')}\n` +
    `or\n` +
    `(time() - push_time_seconds${only(`${NODE_KEY_LABEL}!=""`)} ${op} ${staleAfterSeconds(options)}) unless persia_node_push_interval_seconds${only('')}`
  );
}

/** Labels a per-node series may carry beyond its group's: a score's `metric`, a NaN counter's feature (`feat` on PersiaML's nodes). */
const NODE_SERIES_DETAIL_LABELS = 'metric, feature, feat';

/**
 * `expr` (per-node series: its group's labels, plus maybe a `metric` or `feature`) less the nodes no node
 * alert may judge: those whose last push said `stopping` (they shut down cleanly; their last values stay on
 * the gateway and a window over them is a stopped process's), and, given `window` (a range, or an alert's
 * `for`), those whose incarnation changed within it: a node restarted under the same name would mix two
 * processes in one window, and inherit the old process's pending or firing alert (Prometheus keeps an
 * alert's state while its series stays in the result; dropping it for one evaluation resets it). Nodes that
 * push neither series (PersiaML's own) are kept. Matched on the whole grouping key, as every node rule.
 */
export function ofRunningIncarnation(expr: string, window?: string): string {
  const stopping = `unless ignoring (state, ${NODE_SERIES_DETAIL_LABELS}) (persia_node_state{state="${STOPPING_STATE}"} == 1)`;
  const restarted = window === undefined ? '' : `\n  unless ignoring (${NODE_SERIES_DETAIL_LABELS}) (changes(persia_node_incarnation[${window}]) > 0)`;
  return `(\n  ${expr.replaceAll('\n', '\n  ')}\n)\n  ${stopping}${restarted}`;
}

/**
 * `expr` (a node's batch rate over `window`: its time per batch) less the nodes that said they were paused
 * (PAUSED_STATE, NodeMetrics.paused()) at any scrape within the window: part of their window is a checkpoint
 * or an evaluation, not training, so their batches are fewer without the node being slower. Their time costs
 * (per observation) are still scored: a pause records none. Seen at the scrapes' resolution: a pause shorter
 * than a scrape interval may go unseen, and its dip stays within what a healthy node's hiccup scores.
 */
export function unlessPausedWithin(expr: string, window: string): string {
  return `${expr}
  unless ignoring (state, ${NODE_SERIES_DETAIL_LABELS}) (max_over_time(persia_node_state{state="${PAUSED_STATE}"}[${window}]) == 1)`;
}

/** `for:` of the stale-node alert PersiaNodeStoppedPushing (alert-rules.ts; test/unit/group-expiry.test.ts keeps them equal). */
export const STALE_ALERT_FOR_SECONDS = 60;

// The judgement itself (live / stopped / stale, a node's identity) is shared with the view page, which can
// import view-contract.ts only: it is defined there and re-exported here, so every reader imports one home.
export {
  FALLBACK_STALE_SECONDS,
  isNodeGroup,
  NODE_KEY_LABEL,
  type NodeCondition,
  nodeCondition,
  nodeHung,
  nodeKey,
  nodePaused,
  nodeRole,
  sparePausedJob,
  PAUSED_STATE,
  ROLE_FAMILIES,
  rolesOfFamilies,
  SOURCE_FAILURE_REASON,
  STATED_PUSH_INTERVAL_SECONDS,
  STOPPING_STATE,
  staleThresholdSeconds,
  UNKNOWN_ROLE,
} from './view-contract.js';

/** The state a node's last push reported (the persia_node_state series whose value is 1), if it reports one. */
export function reportedState(group: ApiGroup): string | undefined {
  return family(group, 'persia_node_state')?.metrics?.find((metric) => Number(metric.value) === 1)?.labels?.['state'];
}

/** Scrape jobs of gateways all start with this, so `up{job=~"persia_gateway_.*"}` finds every gateway. */
export const GATEWAY_SCRAPE_JOB_PREFIX = 'persia_gateway_';

/**
 * The gateways Prometheus cannot scrape: down, or their /metrics fails as a whole (src/gateway/scrape-health.ts).
 * The alert PersiaGatewayDown and the view's banner (src/view/gateway-scrape.ts) read it; `matchers` narrows it.
 */
export function gatewaysDownPromql(matchers = ''): string {
  return `up{job=~"${GATEWAY_SCRAPE_JOB_PREFIX}.*"${matchers === '' ? '' : `, ${matchers}`}} == 0`;
}
