/**
 * What the `view` page (browser code, src/view/page) and the view server (src/view) agree on: the paths the
 * page asks, the shapes of the server's answers, the error types of its proxy and the alerts the page reads
 * from `ALERTS`. Compiled by both builds (src/view/page/tsconfig.json includes this one file), so neither
 * side keeps a copy: no imports here, the page build sees nothing else of the server.
 */

/** A node much slower than its role's typical node (src/monitoring/straggler-rules.ts). */
export const STRAGGLER_ALERT = 'PersiaStragglerNode';
/** Labels a straggler alert may carry beyond its node's (which time cost is slow): shown, not part of the node. */
export const STRAGGLER_DETAIL_LABELS: readonly string[] = ['metric'];
/** The fast path's straggler alert (src/monitoring/fast-rules.ts): a short window, marked like the slow one. */
export const FAST_STRAGGLER_ALERT = 'PersiaStragglerNodeFast';
/** A node that keeps pushing while its progress stopped (src/monitoring/fast-rules.ts). */
export const HUNG_ALERT = 'PersiaNodeHung';
/** Two processes push as one node (src/monitoring/alert-rules.ts). */
export const DUPLICATE_IDENTITY_ALERT = 'PersiaDuplicateNodeIdentity';

/**
 * The node model shared by every reader of the gateway's groups (`status`, the view, the rules in
 * alert-rules.ts): defined here because the page can import this one file only; health.ts re-exports it.
 */

/** The state a node pushes last when it stops on purpose (`shutdown()`): it left, it did not die. */
export const STOPPING_STATE = 'stopping';

/**
 * The push interval a node that publishes none is judged by (PersiaML's Rust nodes, any other pusher): the
 * job's configured `push_interval_seconds` (MonitoringOptions.pushIntervalSeconds), which PersiaML's nodes read
 * from the same file (`common_config.metrics_config`); this is its default there and here. docs/processes.md.
 */
export const STATED_PUSH_INTERVAL_SECONDS = 10;

/** Stale threshold of a group that does not publish its push interval, at the default stated interval and 6 missed pushes. */
export const FALLBACK_STALE_SECONDS = 6 * STATED_PUSH_INTERVAL_SECONDS;

/**
 * The age after which one group is stale: `staleAfterIntervals` of the interval it publishes, or of the
 * stated interval (`statedIntervalSeconds`) for a group that publishes none.
 */
export function staleThresholdSeconds(pushIntervalSeconds: number | undefined, staleAfterIntervals: number, statedIntervalSeconds = STATED_PUSH_INTERVAL_SECONDS): number {
  return staleAfterIntervals * (pushIntervalSeconds !== undefined && pushIntervalSeconds > 0 ? pushIntervalSeconds : statedIntervalSeconds);
}

/**
 * The `reason` of persia_metrics_push_failures_total that is no failed push: an extra source (a scraped
 * endpoint) left out of a push that itself reached the gateway (src/push/extra-sources.ts). The push-failure
 * alert, `status` and the view's "push failures" leave it out; status --json counts it apart.
 */
export const SOURCE_FAILURE_REASON = 'extra_source';

/** The grouping label that makes a group a node when it publishes no push interval (isNodeGroup; health.ts's stale PromQL). */
export const NODE_KEY_LABEL = 'instance';

/**
 * Whether a group is a node: it publishes its push interval (persia_node_push_interval_seconds, this library's
 * nodes and the agent's), or it is keyed by an `instance` (PersiaML's job/instance/ip_addr, any pusher following
 * that convention), judged by the stated interval. Any other group (keyed by `job` alone: a batch job's last
 * result) is another program's: listed apart, never stale, never alerted on, not expired as a node. The one
 * definition: the stale alert (health.ts, pushAgeVersusThreshold), `expire`, `status` and the view's table all
 * ask it, so no reader counts a group the others leave out. docs/processes.md.
 */
export function isNodeGroup(labels: Readonly<Record<string, string>>, pushIntervalSeconds?: number): boolean {
  return (pushIntervalSeconds !== undefined && pushIntervalSeconds > 0) || (labels[NODE_KEY_LABEL] ?? '') !== '';
}

/**
 * Roles of nodes that push no `role` label (PersiaML's Rust nodes: their grouping key is job, instance,
 * ip_addr), read from the families only one role pushes. Which families decide: PersiaML's `*_time_cost_sec`
 * gauges (each timed by one role only, and named unlike this library's histograms) and the families this
 * library's catalog also gives that same role (src/metrics/catalog.ts). `staleness`, `num_pending_batches` and
 * `nan_count` do not decide: PersiaML's embedding worker pushes them, but the catalog gives them to trainers.
 * The embedding worker is this library's `middleware`, the embedding parameter server its `server`.
 */
export const ROLE_FAMILIES: Readonly<Record<string, readonly string[]>> = {
  middleware: [
    'lookup_preprocess_time_cost_sec',
    'lookup_rpc_time_cost_sec',
    'update_gradient_time_cost_sec',
    'lookup_postprocess_time_cost_sec',
    'lookup_total_time_cost_sec',
    'batch_unique_indices_rate',
    'nan_grad_skipped',
  ],
  server: [
    'set_embedding_time_cost_sec',
    'decode_indices_time_cost_sec',
    'encode_embedding_time_cost_sec',
    'lookup_inference_batch_time_cost_sec',
    'lookup_hashmap_time_cost_sec',
    'inc_update_delay_sec',
    'index_miss_count',
    'index_miss_ratio',
    'gradient_id_miss_count',
  ],
};

/**
 * The role of a node without a `role` label when none of its families decides (nothing pushed yet, families
 * of both roles, or a pusher of other metrics): it is still a node, listed and judged, under this role.
 */
export const UNKNOWN_ROLE = 'unknown';

/** The roles whose ROLE_FAMILIES are among `families` (the families one group pushes). */
export function rolesOfFamilies(families: Iterable<string>): string[] {
  const pushed = new Set(families);
  return Object.keys(ROLE_FAMILIES).filter((role) => ROLE_FAMILIES[role]?.some((name) => pushed.has(name)));
}

/** A group's role: its `role` label when it has one, else the one role its families show (rolesOfFamilies), else UNKNOWN_ROLE. */
export function nodeRole(roleLabel: string | undefined, familyRoles: readonly string[]): string {
  if (roleLabel !== undefined && roleLabel !== '') return roleLabel;
  const roles = [...new Set(familyRoles)];
  return roles.length === 1 && roles[0] !== undefined ? roles[0] : UNKNOWN_ROLE;
}

/**
 * What a node is as of its group: `live` (pushing), `stopped` (its last push said STOPPING_STATE: it shut
 * down cleanly and its group was kept, so it is not pushing and never will), `stale` (it stopped pushing
 * without saying so: a crash, a hang, a lost network). The stale-node alert fires for `stale` only.
 */
export type NodeCondition = 'live' | 'stopped' | 'stale';

export function nodeCondition(state: string | undefined, ageSeconds: number | undefined, staleAfterSeconds: number): NodeCondition {
  if (state === STOPPING_STATE) return 'stopped';
  return ageSeconds === undefined || ageSeconds > staleAfterSeconds ? 'stale' : 'live';
}

/** The state a node pushes while it trains (src/node-metrics.ts): only such a node can be hung. */
export const RUNNING_STATE = 'running';

/** The state of a node that stopped stepping on purpose (NodeMetrics.paused(): a checkpoint): never hung (health.ts, unlessPausedWithin). */
export const PAUSED_STATE = 'paused';

/**
 * Progress age, in the node's own push intervals, past which a running node that keeps pushing is hung
 * (PersiaNodeHung, src/monitoring/fast-rules.ts): the age (persia_node_progress_age_seconds,
 * src/metrics/progress.ts) grows by one interval per push without progress, so `n - 0.5` reads "n pushes"
 * whatever the push timer's jitter.
 */
export function hungAfterIntervals(hangAfterIntervals: number): number {
  return hangAfterIntervals - 0.5;
}

/** Whether a live node is hung: it says it is running and its last push reported no progress for too long. */
export function nodeHung(
  node: {
    readonly condition: NodeCondition;
    readonly state: string | undefined;
    readonly progressAgeSeconds: number | undefined;
    readonly pushIntervalSeconds: number | undefined;
  },
  hangAfterIntervals: number,
): boolean {
  const { progressAgeSeconds: age, pushIntervalSeconds: interval } = node;
  if (node.condition !== 'live' || node.state !== RUNNING_STATE || age === undefined || interval === undefined || !(interval > 0)) return false;
  return age > hungAfterIntervals(hangAfterIntervals) * interval;
}

/** Whether a live node says it stopped stepping on purpose (PAUSED_STATE): `status` and the view say so, never HUNG. */
export function nodePaused(node: { readonly condition: NodeCondition; readonly state: string | undefined }): boolean {
  return node.condition === 'live' && node.state === PAUSED_STATE;
}

/**
 * One job's nodes, none hung while one of them is paused: its peers wait for it (a middleware node gets no
 * batch while the trainers save a checkpoint), as PersiaNodeHung spares them; a hang is called after the pause.
 */
export function sparePausedJob<T extends { readonly condition: NodeCondition; readonly state: string | undefined; readonly hung: boolean }>(nodes: readonly T[]): T[] {
  return nodes.some(nodePaused) ? nodes.map((node) => (node.hung ? { ...node, hung: false } : node)) : [...nodes];
}

/**
 * A node is its whole grouping key (every label of its group, as the gateway stores it and Prometheus
 * scrapes it with honor_labels), not its role and instance: a group `…/instance/rep_1/shadow/x` is
 * another node than `…/instance/rep_1`, and neither can stand in for the other. `nodeKey` names one from
 * a series' labels, leaving out the labels the series has beyond the group's (`omit`: its own labels, the
 * ones Prometheus adds to an alert).
 */
export function nodeKey(labels: Readonly<Record<string, string>>, omit: readonly string[] = []): string {
  const entries = Object.entries(labels).filter(([name, value]) => name !== '__name__' && value !== '' && !omit.includes(name));
  return JSON.stringify(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * dcgm-exporter's utilisation of one GPU, in % (its default counters): a node has it when `persia-metrics agent`
 * scrapes the rank's dcgm-exporter with its trainer (docs/processes.md). The view shows it beside the node's
 * time costs, the efficiency dashboard draws it per GPU.
 */
export const GPU_UTILISATION_METRIC = 'DCGM_FI_DEV_GPU_UTIL';
/** dcgm-exporter's framebuffer memory used of one GPU, in MiB (its default counters). */
export const GPU_MEMORY_USED_METRIC = 'DCGM_FI_DEV_FB_USED';
/** The families of another program (dcgm-exporter) that the dashboards draw: known names, though not the catalog's. */
export const GPU_FAMILIES: readonly string[] = [GPU_UTILISATION_METRIC, GPU_MEMORY_USED_METRIC];

/**
 * The labels dcgm-exporter gives a GPU's series (its text template, MIG instances, the driver attribute and
 * its Kubernetes pod mapping): they say which GPU, not which node, so a node's GPUs are its series without them.
 */
export const GPU_SERIES_LABELS: readonly string[] = [
  'gpu',
  'UUID',
  'pci_bus_id',
  'device',
  'modelName',
  'Hostname',
  'GPU_I_PROFILE',
  'GPU_I_ID',
  'DCGM_FI_DRIVER_VERSION',
  'pod',
  'namespace',
  'container',
];

/** Labels Prometheus gives every `ALERTS` series beyond the alert expression's, and the rules' `severity`. */
export const ALERT_SERIES_LABELS: readonly string[] = ['alertname', 'alertstate', 'severity'];

/** The view server's own answers and the Prometheus query API paths it forwards (src/view/prometheus-proxy.ts). */
export const VIEW_PATHS = {
  settings: '/api/settings',
  panels: '/api/panels',
  query: '/api/v1/query',
  queryRange: '/api/v1/query_range',
  jobValues: '/api/v1/label/job/values',
  gatewayScrape: '/api/gateway-scrape',
} as const;

/** Where the server serves this module to the page (its own path under dist/src, as the page imports it). */
export const VIEW_CONTRACT_MODULE = '/monitoring/view-contract.js';

/** errorType of the view server's 502 when Prometheus did not answer (the page says so and keeps its data). */
export const UNREACHABLE_ERROR_TYPE = 'prometheus_unreachable';
/** errorType of a 502 when something answered, but not as Prometheus's query API (wrong URL, credentials). */
export const REFUSED_ERROR_TYPE = 'prometheus_refused';

/** The answer to VIEW_PATHS.settings. */
export interface ViewSettings {
  readonly job: string | null;
  readonly refreshSeconds: number;
  readonly windows: readonly string[];
  readonly defaultWindow: string;
}

/**
 * How the page judges a node, as the server states it (src/monitoring/health.ts, staleThresholdSeconds):
 * stale once its last push is older than `staleAfterIntervals` of its own push interval, or of
 * `statedPushIntervalSeconds` when it publishes none (`fallbackStaleSeconds`). Rows are listed by role in `roles` order.
 */
export interface NodeHealthRule {
  readonly staleAfterIntervals: number;
  readonly fallbackStaleSeconds: number;
  /** The interval a node that publishes none is judged by (STATED_PUSH_INTERVAL_SECONDS unless configured). */
  readonly statedPushIntervalSeconds: number;
  readonly roles: readonly string[];
  /** A running node is hung after this many of its pushes without progress (nodeHung). */
  readonly hangAfterIntervals: number;
}

export interface ViewTarget {
  readonly expr: string;
  /** Grafana legend format: `{{label}}` is replaced by the series' label value. */
  readonly legend: string;
}

export interface ViewPanel {
  /** Stable within one answer: `<dashboard uid>/<row index>/<panel index>`. */
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly kind: 'timeseries' | 'stat';
  readonly unit: string;
  readonly targets: readonly ViewTarget[];
}

export interface ViewSection {
  readonly dashboard: string;
  readonly title: string;
  readonly panels: readonly ViewPanel[];
}

/** The answer to VIEW_PATHS.panels: the dashboards' panels for one job and window, and the node health rule. */
export interface ViewPanelsAnswer {
  readonly job: string;
  readonly window: { readonly name: string; readonly seconds: number; readonly stepSeconds: number };
  readonly health: NodeHealthRule;
  readonly sections: readonly ViewSection[];
}

/** A group that breaks a gateway's /metrics, as the banner shows it: texts escaped by the server (pushed values). */
export interface BreakingGroupShown {
  /** `job="a" role="trainer" instance="rep_0"`. */
  readonly group: string;
  readonly problems: readonly string[];
}

/**
 * A gateway of the job that Prometheus cannot scrape (src/view/gateway-scrape.ts), as Prometheus sees it
 * (`up == 0`), as the view's own probe of its /metrics finds it (`view --gateway`), or both.
 */
export interface UnscrapableGateway {
  /** host:port, as Prometheus's target or --gateway names it. */
  readonly gateway: string;
  /** Prometheus's scrape jobs whose target it is and that see it down; empty when only the probe found it. */
  readonly scrapeJobs: readonly string[];
  /** What the view's probe of its /metrics found (statusCode 0: not read; a 200 with a detail: text Prometheus cannot parse); null when the view does not probe it. */
  readonly probe: { readonly statusCode: number; readonly detail: string } | null;
  readonly breakingGroups: readonly BreakingGroupShown[];
  /** The command that deletes the breaking groups. */
  readonly repair: string;
}

/** The answer to VIEW_PATHS.gatewayScrape (`?job=NAME`): empty when every gateway of the job is scraped. */
export interface GatewayScrapeAnswer {
  readonly unscrapable: readonly UnscrapableGateway[];
}
