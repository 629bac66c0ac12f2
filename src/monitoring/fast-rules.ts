/**
 * The fast path: alerts that answer within a few push intervals instead of minutes. Their windows are sized
 * from the job's push interval and Prometheus's scrape interval (MonitoringOptions), never fixed minutes:
 * at 10 s pushes and 15 s scrapes each one is pending about two push intervals plus one rule evaluation after
 * the fault. They sit in one rule group with the recording rules they read, in order, so an alert reads this
 * evaluation's scores and not the previous one's (rules of one group run in order; two groups do not wait
 * for each other).
 *
 * - PersiaNodeHung: a node that keeps pushing, in state `running`, whose progress (persia_node_steps_total,
 *   its time-cost counts) has not risen for `hangAfterIntervals` of its own pushes. The node measures that
 *   itself (persia_node_progress_age_seconds, src/metrics/progress.ts), on its own clock, so one scraped
 *   sample tells. Before its first step a node expected to progress counts from its start; any other publishes no age.
 *   A node paused on purpose (state `paused`, NodeMetrics.paused(): a checkpoint, an evaluation) is not running,
 *   so not hung; back to running, its age counts from the resume. Its job's other nodes wait for it (a
 *   middleware node gets no batch while the trainers checkpoint): none is hung until one window after the pause.
 * - PersiaNodeDown: a node whose last push, as Prometheus scraped it, was already `downAfterIntervals` of
 *   its own intervals old (SIGKILL, a lost host). Measured at the scrape (`timestamp()`), so a slow scrape or
 *   rule evaluation never makes a live node look old; a node whose last push said `stopping` shut down
 *   cleanly and is left out, as by PersiaNodeStoppedPushing, which still reports every stale node later.
 * - PersiaStragglerNodeFast: the straggler scores of straggler-rules.ts (same reference: the median of the
 *   role, the faster of two) over one fast window, on the mean time cost rather than the P99 (a P99 of a
 *   few dozen observations is noise; for PersiaML's last-value gauges, the mean of the window's values) and
 *   on the time per batch (seconds between the window's pushes per batch, so the scrape's timing cancels out).
 *   A score fires when it passes the threshold by more than the chance wander of the batches behind it
 *   (FAST_STRAGGLER_EVIDENCE): without it, at 1.4, healthy nodes crossed the threshold by chance, mostly in
 *   jobs of slow batches (docs/detection.md gives the figures before and after).
 * - PersiaNaNGradientBurst: at least `nanBurstCount` NaNs on one node and feature within one fast window, at
 *   least three times the node's rate before it (a node that always produces a few is not a burst): over the
 *   half hour before, or the history there is (nanBaseline).
 *
 * Every per-node score and alert leaves out nodes whose last push said `stopping` and those restarted within
 * its window (health.ts, ofRunningIncarnation); the time-per-batch scores also those paused within it (unlessPausedWithin).
 */
import { ofRunningIncarnation, unlessPausedWithin } from './health.js';
import { PAUSED_STATE, STOPPING_STATE } from './view-contract.js';
import { atMs } from './duration.js';
import type { MonitoringOptions } from './options.js';
import { type AlertSpec, alertRule, NODE_NAME, NODE_ROLE, type RecordingRule, type RuleGroup } from './rule-model.js';
import { BATCH_TIME_COSTS, referenceRule, slowdownRule, TIME_COST_GAUGES } from './straggler-rules.js';
import { FAST_STRAGGLER_ALERT, HUNG_ALERT, hungAfterIntervals, RUNNING_STATE } from './view-contract.js';
import { PROGRESS_AGE_METRIC } from '../metrics/catalog.js';

/** A node that stopped pushing without saying so, seconds after its last push. */
export const DOWN_ALERT = 'PersiaNodeDown';
/** Many NaN gradients at once on one node and feature. */
export const NAN_BURST_ALERT = 'PersiaNaNGradientBurst';

export const FAST_RULE_GROUP = 'persia-metrics-fast';

/** Each series of these carries a `metric` label naming the histogram it comes from. */
export const FAST_STRAGGLER_RECORDS = {
  meanTimeCost: 'job_role_instance:persia_time_cost_seconds:mean_fast',
  meanTimeCostReference: 'job_role:persia_time_cost_seconds:mean_reference_fast',
  timeCostSlowdown: 'job_role_instance:persia_time_cost_slowdown:ratio_fast',
  secondsPerBatch: 'job_role_instance:persia_seconds_per_batch:fast',
  secondsPerBatchReference: 'job_role:persia_seconds_per_batch:reference_fast',
  throughputSlowdown: 'job_role_instance:persia_batch_throughput_slowdown:ratio_fast',
  batches: 'job_role_instance:persia_time_cost_count:fast',
} as const;

/**
 * How clearly a fast score must stand out from the chance wander of the batches behind it: (score - 1) x
 * sqrt(batches in the window) above this, besides the threshold. A node's batches arrive about at random, so
 * its time per batch over n of them wanders by about 1/sqrt(n): at 4.5 such wanders a job of 0.5 s batches
 * (60 in the window) needs a slowdown of about 2 to fire in one window, one of 0.02 s batches (1,500) just
 * the threshold. A mean time cost wanders far more: it carries the rare slow batches (a tail ten times the
 * median, as src/simulate/workload.ts draws it), and a handful of them among a few hundred moves it by tens of
 * percent; so it alone raises the alert only over thousands of batches, where they average out.
 */
export const FAST_STRAGGLER_EVIDENCE = { throughput: 4.5, timeCost: 15 } as const;

/**
 * The fast window, whole seconds: two of the longer of the push and scrape intervals, so it always holds
 * two scraped samples that show two different pushes (30 s at 10 s pushes and 15 s scrapes); in whole scrape
 * intervals, so an `offset` by it lands on a scrape (the NaN baseline of a young series read the scrape
 * before its start at 100 s pushes, and a steady rate looked like a burst).
 */
export function fastWindowSeconds(options: MonitoringOptions): number {
  const scrape = options.scrapeIntervalSeconds;
  return Math.ceil((2 * Math.max(options.pushIntervalSeconds, scrape)) / scrape) * scrape;
}

/** How old a node's last push was when Prometheus last scraped it (scrape time, not evaluation time). */
const PUSH_AGE_AT_SCRAPE = 'timestamp(push_time_seconds) - push_time_seconds';
const NODE = NODE_NAME;

/** The fast straggler scores, in order (each reads the ones before it). */
export function fastStragglerRecordingRules(timeCosts: readonly string[], options: MonitoringOptions, timeCostGauges: readonly string[] = TIME_COST_GAUGES): RecordingRule[] {
  const r = FAST_STRAGGLER_RECORDS;
  const w = `${fastWindowSeconds(options)}s`;
  const out: RecordingRule[] = [];
  for (const metric of timeCosts) {
    // increase() of both: their extrapolations cancel, leaving the mean of the observations between the window's samples.
    out.push({ record: r.meanTimeCost, expr: ofRunningIncarnation(`increase(${metric}_sum[${w}])\n  / (increase(${metric}_count[${w}]) > 0)`, w), labels: { metric } });
  }
  for (const metric of timeCostGauges) {
    // PersiaML's last-value gauges: the mean of the window's scraped values, from a node that pushed in it.
    out.push({ record: r.meanTimeCost, expr: ofRunningIncarnation(`avg_over_time(${metric}[${w}])\n  and (changes(push_time_seconds[${w}]) > 0)`, w), labels: { metric } });
  }
  out.push(referenceRule(r.meanTimeCostReference, r.meanTimeCost), slowdownRule(r.timeCostSlowdown, r.meanTimeCost, r.meanTimeCostReference));
  for (const metric of timeCosts) {
    // The batches behind each score: how far a score of this many batches wanders by chance (FAST_STRAGGLER_EVIDENCE).
    out.push({ record: r.batches, expr: ofRunningIncarnation(`increase(${metric}_count[${w}])`, w), labels: { metric } });
  }
  for (const metric of BATCH_TIME_COSTS.filter((name) => timeCosts.includes(name))) {
    // Seconds between the pushes the window saw, per batch they reported: the scrapes' own timing cancels out.
    // A node paused within the window (a checkpoint) did fewer batches without being slower: no score (health.ts, unlessPausedWithin).
    const perBatch = ofRunningIncarnation(`increase(push_time_seconds[${w}])\n  / (increase(${metric}_count[${w}]) > 0)`, w);
    out.push({ record: r.secondsPerBatch, expr: unlessPausedWithin(perBatch, w), labels: { metric } });
  }
  out.push(referenceRule(r.secondsPerBatchReference, r.secondsPerBatch), slowdownRule(r.throughputSlowdown, r.secondsPerBatch, r.secondsPerBatchReference));
  return out;
}

export function fastAlertSpecs(options: MonitoringOptions): AlertSpec[] {
  const w = `${fastWindowSeconds(options)}s`;
  const hang = options.hangAfterIntervals;
  const down = options.downAfterIntervals;
  const threshold = options.fastStragglerThreshold;
  const r = FAST_STRAGGLER_RECORDS;
  return [
    {
      alert: HUNG_ALERT,
      // As `status` and the view judge it (view-contract.ts, nodeHung); only a node that still pushes (not down).
      expr:
        `${PROGRESS_AGE_METRIC} > ${hungAfterIntervals(hang)} * persia_node_push_interval_seconds\n` +
        `  and ignoring (state) (persia_node_state{state="${RUNNING_STATE}"} == 1)\n` +
        `  and (${PUSH_AGE_AT_SCRAPE} <= ${down} * persia_node_push_interval_seconds)\n` +
        // Its peers wait for a paused node (no batch while the trainers checkpoint): none is hung until a window after the pause.
        `  unless on (job) (max by (job) (max_over_time(persia_node_state{state="${PAUSED_STATE}"}[${w}])) == 1)`,
      severity: 'critical',
      summary: `${NODE} is hung: it pushes but makes no progress`,
      description:
        `It keeps pushing and says it is running, but neither persia_node_steps_total nor any of its time-cost counts has risen ` +
        `for ${hang} of its push intervals or more (${PROGRESS_AGE_METRIC}): a deadlock, a collective or an RPC that never returns. ` +
        'In synchronous training its peers wait for it: look at its stack first. A pause on purpose (a checkpoint, an evaluation) is no hang: ' +
        "mark it with metrics.paused(fn) (state paused): neither the node nor its job's nodes that wait for it are then called hung.",
    },
    {
      alert: DOWN_ALERT,
      // A node that publishes no interval (PersiaML's own nodes) by the job's, as PersiaNodeStoppedPushing judges it.
      expr:
        `(\n` +
        `  ${PUSH_AGE_AT_SCRAPE} > ${down} * persia_node_push_interval_seconds\n` +
        `or\n` +
        `  (timestamp(push_time_seconds{instance!=""}) - push_time_seconds{instance!=""} > ${atMs(down * options.pushIntervalSeconds)}) unless persia_node_push_interval_seconds\n` +
        `)\n` +
        `  unless ignoring (state) (persia_node_state{state="${STOPPING_STATE}"} == 1)`,
      severity: 'critical',
      summary: `${NODE} stopped pushing without shutting down`,
      description:
        `Its last push was already ${down} of its own push intervals old (of the job's ${options.pushIntervalSeconds}s for a node that publishes none) ` +
        'when Prometheus scraped the gateway, and it did not say it was stopping: ' +
        'it was killed (SIGKILL, out of memory), its host is gone, or it cannot reach the gateway. PersiaNodeStoppedPushing confirms it later.',
    },
    {
      alert: FAST_STRAGGLER_ALERT,
      // A score above the threshold that its batches show clearly; PersiaML's gauges count no batches: by the threshold alone.
      expr:
        `max without (metric) (\n` +
        `    ${evident(r.timeCostSlowdown, threshold, FAST_STRAGGLER_EVIDENCE.timeCost)}\n` +
        `  or\n` +
        `    (${r.timeCostSlowdown} > ${threshold} unless ${r.batches})\n` +
        `  or\n` +
        `    ${evident(r.throughputSlowdown, threshold, FAST_STRAGGLER_EVIDENCE.throughput)}\n` +
        `)\n` +
        // A node whose last push saw no progress is hung (PersiaNodeHung), not slow: its batch rate falls to nothing as the hang begins.
        `unless (${PROGRESS_AGE_METRIC} > 0)`,
      severity: 'warning',
      summary: `${NODE} is slower than its peers`,
      description:
        `Over the last ${w} its mean time cost or its time per batch was more than ${threshold} times that of a typical ` +
        `${NODE_ROLE} of the job (${r.timeCostSlowdown}, ${r.throughputSlowdown}), by more than the chance wander of the batches behind it ` +
        `(${r.batches}). If it stays, PersiaStragglerNode confirms it on 5-minute P99s.`,
    },
    {
      alert: NAN_BURST_ALERT,
      // The difference, not increase(): its extrapolation would turn 9 NaNs seen over most of the window into 10.
      expr: ofRunningIncarnation(`nan_count - nan_count offset ${w} >= ${options.nanBurstCount}\n` + `and rate(nan_count[${w}]) > 3 * (\n${nanBaseline(options)}\n)`, w),
      severity: 'warning',
      summary: `A burst of NaN gradients on feature {{ $labels.feature }} (${NODE})`,
      description:
        `At least ${options.nanBurstCount} NaN gradients within ${w}, more than three times their rate before (over the half hour before, or the ` +
        'history there is: since the node started its metrics or the series began): ' +
        'the model is diverging (learning rate, a bad batch of input rows) on this node or feature.',
    },
  ];
}

/** How far back a node's NaN rate is judged before the burst window. */
const NAN_HISTORY = '30m';
const NAN_HISTORY_SECONDS = 1800;

/**
 * A node's NaN rate before the burst window: over the half hour before it, or over the history there is, so a
 * young series (a job's first minutes) is not judged by a few minutes of NaNs spread over 30 (which made a
 * steady rate from the start a "burst").
 * - A node that says when its metrics started (persia_node_start_time_seconds, src/metrics/runtime.ts) within
 *   that half hour counts its NaNs from 0 there: its count before the window over the seconds since. That is
 *   also the whole history after a restart under the same name, where the old process's values (its zeros of
 *   25 idle minutes, say) are not the new one's. Started within the window itself, it has no history: a divisor
 *   of 0 makes the baseline infinite (or NaN), above which no rate is, so it stays silent rather than judge the
 *   old process's count.
 * - Any other (older, or PersiaML's own nodes and the agent's, which push no start): increase() over the half
 *   hour divided by the span its samples cover, count_over_time() scrapes (for a full half hour, the half hour;
 *   for a young series, the seconds since its first sample, give or take what increase() extrapolates).
 * With fewer than two samples before the window there is no baseline and no alert. Range selectors over
 * nan_count only, and no subquery: the cost is the NaN series' samples, whatever the job's size (a subquery of
 * every node's incarnation over the half hour held 120 points per node: a job of 256 nodes passed promtool's
 * limit of 10,000 samples per query, and it grows with every node of a live job).
 */
function nanBaseline(options: MonitoringOptions): string {
  const w = fastWindowSeconds(options);
  const start = 'persia_node_start_time_seconds';
  return (
    `    (\n` +
    `      nan_count offset ${w}s\n` +
    `        / ignoring (feature, feat) group_left ()\n` +
    `      clamp_min(time() - ${w} - ${start}, 0)\n` +
    `    )\n` +
    `    and ignoring (feature, feat) (${start} > time() - ${w} - ${NAN_HISTORY_SECONDS})\n` +
    `  or\n` +
    `    increase(nan_count[${NAN_HISTORY}] offset ${w}s)\n` +
    `      / (count_over_time(nan_count[${NAN_HISTORY}] offset ${w}s) * ${options.scrapeIntervalSeconds})`
  );
}

/** A slowdown score above the threshold and clear of the noise of the batches behind it. */
function evident(score: string, threshold: number, evidence: number): string {
  return `(${score} > ${threshold} and (${score} - 1) * sqrt(${FAST_STRAGGLER_RECORDS.batches}) > ${evidence})`;
}

/** The fast group: its recording rules first, then the alerts that read them. */
export function fastRuleGroup(timeCosts: readonly string[], options: MonitoringOptions): RuleGroup {
  return { name: FAST_RULE_GROUP, rules: [...fastStragglerRecordingRules(timeCosts, options), ...fastAlertSpecs(options).map(alertRule)] };
}
