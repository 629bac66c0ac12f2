/**
 * The metric catalog: one declarative table of every metric a persia-metrics node publishes.
 *
 * Everything else is derived from this table: the instruments a node gets, the HELP/TYPE lines of the
 * exposition, the client-side consistency check (a name always has one type and one help in every group, so
 * the gateway's own check can be switched off), the simulator, the docs and the dashboards' tests.
 *
 * Names of PersiaML's two metric tables (accuracy and efficiency) are kept exactly, so dashboards written for
 * PersiaML keep working. Where PersiaML publishes a last-value gauge for a time cost we publish a histogram
 * in seconds instead: a gauge of the last value cannot give a percentile, a histogram gives P50/P99 across
 * every node of a job with `histogram_quantile`.
 */

import { NODE_ROLES, type NodeRole } from '../config/node-roles.js';

export { NODE_ROLES, type NodeRole };
export type MetricType = 'counter' | 'gauge' | 'histogram';

export type MetricGroup = 'accuracy' | 'efficiency' | 'runtime' | 'health' | 'pusher';

export interface MetricSpec {
  readonly name: string;
  readonly type: MetricType;
  readonly help: string;
  /** Unit of the value, Prometheus style: 'seconds', 'bytes', 'ratio', or '1' for a plain count. */
  readonly unit: string;
  readonly group: MetricGroup;
  /** Roles whose nodes record this metric (a node of another role still gets the instrument, unused). */
  readonly roles: readonly NodeRole[];
  /** Label names beyond the grouping key (job/role/instance are added by the gateway from the URL). */
  readonly labels: readonly string[];
  /** Histogram upper bounds, ascending, without +Inf. */
  readonly buckets?: readonly number[];
  /**
   * Series this family keeps per node before new label sets fold into an overflow series
   * (src/metrics/series-limit.ts); default: the node's max_series_per_family. `Infinity` only for label values
   * the library itself chooses from a fixed set: such a family is never limited and never dropped as idle.
   */
  readonly maxSeries?: number;
}

/** The node's step counter: the training program advances it once per batch. */
export const STEPS_METRIC = 'persia_node_steps_total';
/** Seconds since the node's last progress, set by the library on every push (src/metrics/progress.ts). */
export const PROGRESS_AGE_METRIC = 'persia_node_progress_age_seconds';

/** Latencies of embedding lookups and gradient updates: 100 µs to 10 s, dense around 1–100 ms. */
export const TIME_COST_BUCKETS: readonly number[] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** How long one push to the gateway takes, including retries' last attempt. */
export const PUSH_DURATION_BUCKETS: readonly number[] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

const ALL: readonly NodeRole[] = NODE_ROLES;

/** Filled by the registry itself on every collect() from its families' drop counts (registry.ts). */
export const REJECTED_SAMPLES_METRIC = 'persia_metrics_rejected_samples_total';
/** Likewise, from the families' counts of label sets folded past their series limit. */
export const OVERFLOW_BINDINGS_METRIC = 'persia_metrics_overflow_bindings_total';
/**
 * For the node's own labelled families: their values come from the library (a state, a statistic, a failure
 * reason, one per defined family), never from the user's data, so no limit and no idle drop applies.
 * The per-feature families take the node's limit: features are the user's.
 */
const LIBRARY_VALUES = Infinity;
const FEATURE = ['feature'] as const;

/** A count the registry publishes per family of its own (registry.ts): one series per defined family at most. */
function perFamilyCount(name: string, help: string): MetricSpec {
  return { name, type: 'counter', help, unit: '1', group: 'pusher', roles: ALL, labels: ['metric'], maxSeries: LIBRARY_VALUES };
}

function timeCost(name: string, help: string, roles: readonly NodeRole[]): MetricSpec {
  return { name, type: 'histogram', help, unit: 'seconds', group: 'efficiency', roles, labels: [], buckets: TIME_COST_BUCKETS };
}

export const METRIC_CATALOG: readonly MetricSpec[] = [
  // --- Accuracy (seed table 1) ---
  {
    name: 'index_miss_count',
    type: 'counter',
    unit: '1',
    group: 'accuracy',
    roles: ['server'],
    labels: [],
    help: 'Embedding ids looked up that were not in the embedding server (initialised fresh). A steady rise after warm-up means the table is evicting ids that are still used.',
  },
  {
    name: 'index_miss_ratio',
    type: 'gauge',
    unit: 'ratio',
    group: 'accuracy',
    roles: ['server'],
    labels: [],
    help: 'Share of looked-up ids missing from the embedding server in the last batch (0-1). High after warm-up: capacity too small or ids drifting.',
  },
  {
    name: 'gradient_id_miss_count',
    type: 'counter',
    unit: '1',
    group: 'accuracy',
    roles: ['server'],
    labels: [],
    help: 'Gradient updates for ids no longer in the embedding server (evicted between lookup and update); those gradients are dropped.',
  },
  {
    name: 'estimated_distinct_id',
    type: 'gauge',
    unit: '1',
    group: 'accuracy',
    roles: ['middleware'],
    labels: FEATURE,
    help: 'HyperLogLog estimate of distinct ids seen per feature; compare with embedding capacity to size the servers.',
  },
  {
    name: 'batch_unique_indices_rate',
    type: 'gauge',
    unit: 'ratio',
    group: 'accuracy',
    roles: ['middleware'],
    labels: FEATURE,
    help: 'Unique ids divided by all ids in the last batch, per feature (0-1); low values mean heavy id repetition that dedup saves.',
  },
  {
    name: 'staleness',
    type: 'gauge',
    unit: '1',
    group: 'accuracy',
    roles: ['trainer'],
    labels: [],
    help: 'Batches whose gradients are not yet applied while newer batches train (asynchronous staleness); high staleness hurts accuracy.',
  },
  {
    name: 'nan_count',
    type: 'counter',
    unit: '1',
    group: 'accuracy',
    roles: ['trainer'],
    labels: FEATURE,
    help: 'NaN values found in embedding gradients, per feature. Any rise signals numerical instability (learning rate, bad input).',
  },
  {
    name: 'nan_grad_skipped',
    type: 'counter',
    unit: '1',
    group: 'accuracy',
    roles: ['middleware'],
    labels: FEATURE,
    help: 'Gradient updates skipped because they contained NaN, per feature; those updates are lost to training.',
  },
  // --- Efficiency (seed table 2) ---
  timeCost('lookup_mixed_batch_time_cost', 'Time to look up the embeddings of one mixed (all features) batch in the embedding server hash map, seconds.', ['server']),
  {
    name: 'num_pending_batches',
    type: 'gauge',
    unit: '1',
    group: 'efficiency',
    roles: ['trainer'],
    labels: [],
    help: 'Batches received and waiting for embeddings or training; a growing queue means the trainer or the lookups cannot keep up.',
  },
  timeCost('lookup_create_requests_time_cost', 'Time the middleware spends splitting a batch into per-server lookup requests (preprocess), seconds.', ['middleware']),
  timeCost('lookup_rpc_time_cost', 'Round-trip time of one lookup RPC from middleware to an embedding server, seconds. Tail latency here stalls trainers.', ['middleware']),
  timeCost('update_gradient_time_cost', 'Time to apply one batch of gradients to the embeddings, seconds.', ['middleware', 'server']),
  timeCost('summation_time_cost', 'Time to sum (pool) looked-up embeddings into per-sample vectors (postprocess), seconds.', ['middleware']),
  timeCost('lookup_batched_time_cost', 'Total time of one batched lookup, from request to pooled embeddings ready, seconds.', ['middleware']),
  // --- Node runtime: prefixed so they never clash with the gateway's own process_*/go_* series. ---
  {
    name: 'persia_node_cpu_seconds_total',
    type: 'counter',
    unit: 'seconds',
    group: 'runtime',
    roles: ALL,
    labels: [],
    help: 'CPU time (user + system) consumed by this node process.',
  },
  {
    name: 'persia_node_resident_memory_bytes',
    type: 'gauge',
    unit: 'bytes',
    group: 'runtime',
    roles: ALL,
    labels: [],
    help: 'Resident set size of this node process.',
  },
  {
    name: 'persia_node_heap_used_bytes',
    type: 'gauge',
    unit: 'bytes',
    group: 'runtime',
    roles: ALL,
    labels: [],
    help: 'JavaScript heap in use by this node process.',
  },
  {
    name: 'persia_node_event_loop_delay_seconds',
    type: 'gauge',
    unit: 'seconds',
    group: 'runtime',
    roles: ALL,
    labels: ['stat'],
    maxSeries: LIBRARY_VALUES,
    help: 'Event-loop delay of this node process since the previous push, by statistic (p50, p99, max).',
  },
  {
    name: 'persia_node_start_time_seconds',
    type: 'gauge',
    unit: 'seconds',
    group: 'runtime',
    roles: ALL,
    labels: [],
    help: 'Unix time this node process started its metrics; a change means the node restarted.',
  },
  // --- Health ---
  {
    name: 'persia_node_state',
    type: 'gauge',
    unit: '1',
    group: 'health',
    roles: ALL,
    labels: ['state'],
    maxSeries: LIBRARY_VALUES,
    help: 'Node state as a state set: 1 for the current state (init, running, error, stopping), 0 for the others.',
  },
  {
    name: 'persia_node_incarnation',
    type: 'gauge',
    unit: '1',
    group: 'health',
    roles: ALL,
    labels: [],
    help: 'A random number drawn when this node started its metrics. Two processes pushing one identity (job, role, instance) overwrite each other: the stored value then flips between theirs.',
  },
  {
    name: 'persia_node_push_interval_seconds',
    type: 'gauge',
    unit: 'seconds',
    group: 'health',
    roles: ALL,
    labels: [],
    help: "This node's push interval (push_interval_seconds). Age of the last push divided by it is the number of pushes the node has missed: the view, the stale-node alert and expire judge each group by its own pace.",
  },
  {
    name: 'persia_node_duplicate_identity',
    type: 'gauge',
    unit: '1',
    group: 'health',
    roles: ALL,
    labels: [],
    help: '1 once this node found another process, or another thread of its process, pushing to its own group (same job, role and instance): the two overwrite each other. Give each node its own instance or replica index.',
  },
  // --- Progress: what tells a hung node (pushing, not training) from a working one (src/metrics/progress.ts) ---
  {
    name: STEPS_METRIC,
    type: 'counter',
    unit: '1',
    group: 'health',
    roles: ALL,
    labels: [],
    help: "Training steps (batches) this node has completed; the training program advances it once per step (metrics.counter('persia_node_steps_total').inc()). With the time-cost counts it is the node's progress: a node that keeps pushing while none of them rises is hung.",
  },
  {
    name: PROGRESS_AGE_METRIC,
    type: 'gauge',
    unit: 'seconds',
    group: 'health',
    roles: ALL,
    labels: [],
    help: 'Seconds since this node last made progress (persia_node_steps_total or a *_time_cost count rose), as of this push: 0 while it progresses, and before its first step. At or above its push interval while it keeps pushing, the node is hung (PersiaNodeHung).',
  },
  // --- The pusher's own health (values as of the previous push: a push cannot report on itself) ---
  {
    name: 'persia_metrics_last_push_success_timestamp_seconds',
    type: 'gauge',
    unit: 'seconds',
    group: 'pusher',
    roles: ALL,
    labels: [],
    help: 'Unix time of the last push this node saw succeed (0 before the first).',
  },
  {
    name: 'persia_metrics_push_failures_total',
    type: 'counter',
    unit: '1',
    group: 'pusher',
    roles: ALL,
    labels: ['reason'],
    maxSeries: LIBRARY_VALUES,
    help: 'Failed push attempts by reason (timeout, connection, http_4xx, http_5xx, encoding).',
  },
  perFamilyCount(
    REJECTED_SAMPLES_METRIC,
    'Samples dropped instead of recorded, by the metric they were for: not a number (a string from untyped data), NaN, a negative counter increment, an infinite or negative duration. Any rise is a bug in the recording code.',
  ),
  perFamilyCount(
    OVERFLOW_BINDINGS_METRIC,
    'Label sets bound past their family\'s series limit (max_series_per_family), by family: each was recorded into an overflow series that keeps its other labels and holds "__overflow__" in the label with the most values, so totals stay exact. Counted per labels() call that folded.',
  ),
  {
    name: 'persia_metrics_push_duration_seconds',
    type: 'histogram',
    unit: 'seconds',
    group: 'pusher',
    roles: ALL,
    labels: [],
    buckets: PUSH_DURATION_BUCKETS,
    help: 'Wall time of one push request to the gateway, seconds.',
  },
];

/** The 15 metrics of the PersiaML spec's two tables, in table order. */
export const PERSIA_METRIC_NAMES: readonly string[] = METRIC_CATALOG.filter((spec) => spec.group === 'accuracy' || spec.group === 'efficiency').map((spec) => spec.name);

/** The grouping labels every series gets from the push URL; no metric may use them in its body. */
export const GROUPING_LABELS: readonly string[] = ['job', 'role', 'instance'];

const BY_NAME = new Map(METRIC_CATALOG.map((spec) => [spec.name, spec]));

export function findMetricSpec(name: string): MetricSpec | undefined {
  return BY_NAME.get(name);
}

/**
 * The counters whose rise is a node's progress: its step counter and the count of every time cost (each is
 * observed once per lookup, RPC or gradient update, so a node doing its work raises at least one).
 */
export const PROGRESS_METRICS: readonly string[] = [
  STEPS_METRIC,
  ...METRIC_CATALOG.filter((spec) => spec.type === 'histogram' && spec.name.endsWith('_time_cost')).map((spec) => spec.name),
];
