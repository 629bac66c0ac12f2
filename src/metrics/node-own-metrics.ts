/**
 * The catalog's part that is the node's own, beyond PersiaML's tables: its runtime, its health (state,
 * identity, pace), its progress (what tells a hung node from a working one) and the pusher's health.
 * catalog.ts joins it to PersiaML's tables.
 */
import { NODE_ROLES, type NodeRole } from '../config/node-roles.js';
import type { MetricSpec } from './catalog.js';

/** The node's step counter: the training program advances it once per batch. */
export const STEPS_METRIC = 'persia_node_steps_total';
/** Seconds since the node's last progress, set by the library on every push (src/metrics/progress.ts). */
export const PROGRESS_AGE_METRIC = 'persia_node_progress_age_seconds';

/**
 * The values of persia_node_state, the node's state set (NodeMetrics.setState()). `paused`: the node stopped
 * stepping on purpose (a checkpoint, an evaluation, a data refill between epochs), so it is not hung;
 * `metrics.paused(fn)` sets it around fn.
 */
export const NODE_STATES = ['init', 'running', 'paused', 'error', 'stopping'] as const;
export type NodeState = (typeof NODE_STATES)[number];

/** How long one push to the gateway takes, including retries' last attempt. */
export const PUSH_DURATION_BUCKETS: readonly number[] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

const ALL: readonly NodeRole[] = NODE_ROLES;

/** Filled by the registry itself on every collect() from its families' drop counts (registry.ts). */
export const REJECTED_SAMPLES_METRIC = 'persia_metrics_rejected_samples_total';
/** Likewise, from the families' counts of label sets folded past their series limit. */
export const OVERFLOW_BINDINGS_METRIC = 'persia_metrics_overflow_bindings_total';
/**
 * Families of scraped pages left out of a push for a clash (src/push/extra-sources.ts): a state of the
 * configuration, not a failure of the push, so a gauge beside the push failures rather than in them.
 */
export const FAMILIES_LEFT_OUT_METRIC = 'persia_metrics_extra_source_families_left_out';
/**
 * For the node's own labelled families: their values come from the library (a state, a statistic, a failure
 * reason, one per defined family), never from the user's data, so no limit and no idle drop applies.
 * The per-feature families take the node's limit: features are the user's.
 */
const LIBRARY_VALUES = Infinity;

/** A count the registry publishes per family of its own (registry.ts): one series per defined family at most. */
function perFamilyCount(name: string, help: string): MetricSpec {
  return { name, type: 'counter', help, unit: '1', group: 'pusher', roles: ALL, labels: ['metric'], maxSeries: LIBRARY_VALUES };
}

export const NODE_OWN_METRICS: readonly MetricSpec[] = [
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
    help: `Node state as a state set: 1 for the current state (${NODE_STATES.join(', ')}), 0 for the others. paused: it stopped stepping on purpose (a checkpoint, an evaluation), so it is not hung.`,
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
    help: "Training steps (batches) this node has completed; the training program advances it once per step (metrics.step(), which stamps the step's time for the progress age). With the time-cost counts it is the node's progress: a node that keeps pushing while none of them rises is hung.",
  },
  {
    name: PROGRESS_AGE_METRIC,
    type: 'gauge',
    unit: 'seconds',
    group: 'health',
    roles: ALL,
    labels: [],
    help: 'Seconds since this node last made progress (persia_node_steps_total or a *_time_cost count rose), as of this push: 0 when it progressed since its previous push; counted from its start for a node expected to progress, absent until its first step for any other (src/metrics/progress.ts). At or above its push interval while it keeps pushing, the node is hung (PersiaNodeHung).',
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
  {
    name: FAMILIES_LEFT_OUT_METRIC,
    type: 'gauge',
    unit: '1',
    group: 'pusher',
    roles: ALL,
    labels: [],
    help: "Families of the scraped pages (scrapeSource(), the agent's --scrape) left out of this push because they clash: a name the catalog, the gateway, Prometheus or an earlier source writes, or a series with a job, role or instance label. The rest of each page is pushed; each clash is reported once on stderr. Stays up until the configuration changes (0 for a node without extra sources).",
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

/**
 * The families of a node whose metrics come from its extra sources (the agent, src/cli/agent-command.ts):
 * its health and the pusher's, which describe the node's pushing whatever it records. Not the step
 * counter, which only the training program can advance, and not the runtime families: they would describe
 * the pushing process (the agent), not the node, which is the scraped process (its own process_* series
 * describe it).
 */
export const NODE_HEALTH_METRICS: readonly MetricSpec[] = NODE_OWN_METRICS.filter((spec) => (spec.group === 'health' || spec.group === 'pusher') && spec.name !== STEPS_METRIC);
