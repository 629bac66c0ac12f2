/**
 * The catalog's part from PersiaML's two metric tables (accuracy and efficiency), names kept exactly so that
 * dashboards written for PersiaML keep working. Where PersiaML publishes a last-value gauge for a time cost
 * this is a histogram in seconds instead: a gauge of the last value cannot give a percentile, a histogram
 * gives P50/P99 across every node of a job with `histogram_quantile`. catalog.ts joins it to the node's own.
 */
import type { NodeRole } from '../config/node-roles.js';
import type { MetricSpec } from './catalog.js';

/** Latencies of embedding lookups and gradient updates: 100 µs to 10 s, dense around 1–100 ms. */
export const TIME_COST_BUCKETS: readonly number[] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const FEATURE = ['feature'] as const;

function timeCost(name: string, help: string, roles: readonly NodeRole[]): MetricSpec {
  return { name, type: 'histogram', help, unit: 'seconds', group: 'efficiency', roles, labels: [], buckets: TIME_COST_BUCKETS };
}

/** The 15 metrics of the PersiaML spec's two tables, in table order. */
export const PERSIAML_TABLE_METRICS: readonly MetricSpec[] = [
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
];
