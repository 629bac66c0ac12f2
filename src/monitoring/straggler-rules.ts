/**
 * Stragglers: which node slows the job. In synchronous training the slowest rank sets everybody's pace, so
 * every node gets a slowdown score per time cost: its own P99 over 5 minutes divided by the P99 of a typical
 * node of its role in the same job. A score of 3 means "three times slower than its peers"; a job that is
 * slow everywhere scores 1 everywhere (that is a capacity problem, not a straggler).
 *
 * The typical node is the median of the role's nodes (`quantile by (job, role) (0.5, …)`), with two
 * exceptions chosen on purpose:
 * - one node per role: the median is the node itself, its score is exactly 1 (never a division by zero);
 * - two nodes per role: the median of two is their mean, which caps the slow one's score below 2 (r times
 *   slower than its peer scores 2r/(1+r)), so with a threshold of 2 it could never be flagged. There the
 *   faster of the two is the reference instead: the slow one scores r, the fast one 1.
 *
 * Batch throughput gets the same score: the catalog has no per-node batch counter, but the `_count` of the
 * histograms that time one whole batch counts that node's batches (BATCH_TIME_COSTS). Its inverse, seconds
 * per batch, is scored like a time cost, so for both "higher = slower". Trainers record no time cost and
 * get no score. A node that recorded nothing in the window (stopped, or its gateway group is a dead node's
 * leftovers) gets no score and does not count in its role's median: PersiaNodeStoppedPushing reports it.
 *
 * PersiaML's own nodes time with last-value gauges (`*_time_cost_sec`, TIME_COST_GAUGES), not histograms: each
 * gauge's P99 over the same 5 minutes of its scraped values stands in for the histogram's P99 (each scrape sees
 * the cost of some recent batch), under the same record, so the same median reference, score and alert apply.
 * Such nodes have no `role` label, but each gauge is pushed by one role only, so the peers of a gauge (same
 * job and metric) are exactly that role's nodes. A gauge keeps its last value on the gateway after its node
 * died: only a node whose push time changed in the window is scored.
 *
 * A node whose last push said `stopping`, or whose incarnation changed within the window (restarted under the
 * same name), gets no score and does not count in the median (health.ts, ofRunningIncarnation): a clean
 * shutdown never alerts, and a new process does not inherit the old one's alert. A node paused on purpose
 * within the window (a checkpoint, an evaluation) gets no throughput score: it did fewer batches without
 * being slower (health.ts, unlessPausedWithin).
 *
 * Rules of one group run in order, each seeing the previous ones' results of the same evaluation.
 */
import { promDuration } from './duration.js';
import { ofRunningIncarnation, unlessPausedWithin } from './health.js';
import type { MonitoringOptions } from './options.js';
import { type AlertSpec, NODE_NAME, NODE_ROLE, type RecordingRule } from './rule-model.js';
import { ROLE_FAMILIES, STRAGGLER_ALERT } from './view-contract.js';

/** PersiaML's last-value time gauges in seconds (their names end in `_sec`), of every role. */
export const TIME_COST_GAUGES: readonly string[] = Object.values(ROLE_FAMILIES).flatMap((names) => names.filter((name) => name.endsWith('_sec')));

/** Histograms observed once per batch: their `_count` is the node's batch counter (see the catalog's help). */
export const BATCH_TIME_COSTS: readonly string[] = ['lookup_mixed_batch_time_cost', 'lookup_batched_time_cost', 'update_gradient_time_cost'];

/** Each series of these carries a `metric` label naming the histogram it comes from. */
export const STRAGGLER_RECORDS = {
  timeCostP99: 'job_role_instance:persia_time_cost_seconds:p99_5m',
  timeCostReference: 'job_role:persia_time_cost_seconds:p99_reference_5m',
  timeCostSlowdown: 'job_role_instance:persia_time_cost_slowdown:ratio',
  secondsPerBatch: 'job_role_instance:persia_seconds_per_batch:5m',
  secondsPerBatchReference: 'job_role:persia_seconds_per_batch:reference_5m',
  throughputSlowdown: 'job_role_instance:persia_batch_throughput_slowdown:ratio',
} as const;

/**
 * A node is its whole grouping key (view-contract.ts, nodeKey): per-node series keep every label but the
 * ones aggregated away (`le`, the `metric` a score is of), never `by (job, role, instance)`, which would
 * merge a neighbour's group `…/instance/rep_1/shadow/x` into rep_1's. Peers are the role's nodes of the job.
 */
export const PEERS = 'job, role, metric';

/** The role's typical value: the median, except the faster of exactly two (see the file comment). */
export function referenceRule(record: string, perNode: string): RecordingRule {
  return {
    record,
    expr: `quantile by (${PEERS}) (0.5, ${perNode})\n` + `  and on (${PEERS}) (count by (${PEERS}) (${perNode}) != 2)\n` + `or\n` + `min by (${PEERS}) (${perNode})`,
  };
}

export function slowdownRule(record: string, perNode: string, reference: string): RecordingRule {
  // `> 0` keeps a zero reference (impossible for a P99 of recorded values, but cheap to rule out) from making +Inf.
  return { record, expr: `${perNode}\n  / on (${PEERS}) group_left ()\n(${reference} > 0)` };
}

/** The straggler group's rules, in order (each reads the ones before it). */
export function stragglerRecordingRules(timeCosts: readonly string[], timeCostGauges: readonly string[] = TIME_COST_GAUGES): RecordingRule[] {
  const r = STRAGGLER_RECORDS;
  const out: RecordingRule[] = [];
  for (const metric of timeCosts) {
    out.push({
      record: r.timeCostP99,
      // Without observations in the window histogram_quantile gives NaN: such a node is left out.
      expr: ofRunningIncarnation(`histogram_quantile(0.99, rate(${metric}_bucket[5m]))\n` + `  and (rate(${metric}_count[5m]) > 0)`, '5m'),
      labels: { metric },
    });
  }
  for (const metric of timeCostGauges) {
    // Whole grouping key kept (default matching on every label): PersiaML's job/instance/ip_addr.
    out.push({
      record: r.timeCostP99,
      expr: ofRunningIncarnation(`quantile_over_time(0.99, ${metric}[5m])\n` + `  and (changes(push_time_seconds[5m]) > 0)`, '5m'),
      labels: { metric },
    });
  }
  out.push(referenceRule(r.timeCostReference, r.timeCostP99), slowdownRule(r.timeCostSlowdown, r.timeCostP99, r.timeCostReference));
  for (const metric of BATCH_TIME_COSTS.filter((name) => timeCosts.includes(name))) {
    out.push({ record: r.secondsPerBatch, expr: unlessPausedWithin(ofRunningIncarnation(`1 / (rate(${metric}_count[5m]) > 0)`, '5m'), '5m'), labels: { metric } });
  }
  out.push(referenceRule(r.secondsPerBatchReference, r.secondsPerBatch), slowdownRule(r.throughputSlowdown, r.secondsPerBatch, r.secondsPerBatchReference));
  return out;
}

export function stragglerAlertSpec(options: MonitoringOptions): AlertSpec {
  const r = STRAGGLER_RECORDS;
  const threshold = options.stragglerThreshold;
  return {
    alert: STRAGGLER_ALERT,
    // One alert per node, whichever of its time costs (or its batch rate) is slow at the moment.
    expr: `max without (metric) (${r.timeCostSlowdown}) > ${threshold}\n` + `or\n` + `max without (metric) (${r.throughputSlowdown}) > ${threshold}`,
    for: promDuration(options.stragglerForSeconds),
    severity: 'warning',
    summary: `${NODE_NAME} is a straggler`,
    description:
      `Its P99 time cost or its time per batch has stayed more than ${threshold} times that of a typical ` +
      `${NODE_ROLE} of the job for ${promDuration(options.stragglerForSeconds)}; in synchronous training it sets the pace ` +
      `of every node. ${r.timeCostSlowdown}{instance="{{ $labels.instance }}"} and ${r.throughputSlowdown} say which ` +
      'time cost; look at its host (CPU, network, a noisy neighbour) before its code.',
  };
}
