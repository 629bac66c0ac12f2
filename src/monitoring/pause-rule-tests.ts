/**
 * promtool cases for a node paused on purpose (state `paused`, NodeMetrics.paused(): a checkpoint, an
 * evaluation): its progress age grows past the hang threshold, yet PersiaNodeHung stays silent, since only a
 * running node can be hung, and so it does for the nodes of its job that wait for it; and a window that holds its pause, with a tenth of its batches, gives it no time
 * per batch (health.ts, unlessPausedWithin), so PersiaStragglerNodeFast stays silent too, while its time
 * costs are still scored. Each has a twin that does the same without saying it paused, and fires.
 */
import { PROGRESS_AGE_METRIC } from '../metrics/catalog.js';
import { type Labels, node, pushingNode, type Sampling, type Series } from './fast-rule-series.js';
import { FAST_STRAGGLER_RECORDS, fastWindowSeconds } from './fast-rules.js';
import type { MonitoringOptions } from './options.js';
import type { RuleTestCase } from './straggler-rule-tests.js';
import { STRAGGLER_RECORDS } from './straggler-rules.js';
import { FAST_STRAGGLER_ALERT, HUNG_ALERT, hungAfterIntervals, PAUSED_STATE, RUNNING_STATE } from './view-contract.js';

/** A node that stops stepping while it says it is paused, and its twin that stops as it says it runs. */
function pausedHangCase(options: MonitoringOptions, at: Sampling): RuleTestCase {
  const p = options.pushIntervalSeconds;
  const pause = at.atOrAfter(Math.max(120, 2 * p));
  const hungBy = at.atOrAfter(pause + (options.hangAfterIntervals + 1) * p + at.step);
  const steps = Math.ceil((hungBy + 20 * p) / at.step);
  const end = Math.floor((steps * at.step) / at.evaluation) * at.evaluation;
  const pauser = node('trainer', 'checkpointing');
  const twin = { job: 'unpaused', role: 'trainer', instance: 'stuck' };
  return {
    comment:
      `a node that stops stepping at ${pause}s inside metrics.paused() (its pushes say ${PAUSED_STATE}) is never hung, though its ${PROGRESS_AGE_METRIC} ` +
      `passes the threshold, nor is a node of its job that waits for it (${RUNNING_STATE}, no batch since); their twin in a job without a pause, ` +
      `stopping at the same moment while it says ${RUNNING_STATE}, is hung by ${hungBy}s`,
    series: [
      ...pushingNode(at, { labels: pauser, interval: p, progressUntil: pause, pausedFrom: pause }, steps),
      ...pushingNode(at, { labels: node('middleware', 'waiting'), interval: p, progressUntil: pause }, steps),
      ...pushingNode(at, { labels: twin, interval: p, progressUntil: pause }, steps),
    ],
    evals: [
      { at: pause, alert: HUNG_ALERT, firing: [] },
      { at: hungBy, alert: HUNG_ALERT, firing: [twin] },
      { at: end, alert: HUNG_ALERT, firing: [twin] },
    ],
    // The paused node's age is past the threshold as well: only its state keeps it from being hung.
    exprs: [
      {
        at: end,
        expr: `count(${PROGRESS_AGE_METRIC}{instance="checkpointing"} > ${hungAfterIntervals(options.hangAfterIntervals)} * persia_node_push_interval_seconds)`,
        samples: [{ labels: {}, value: 1 }],
      },
    ],
  };
}

/** A batch histogram's count and sum (each batch 5 ms), the node's push time, and its state set, from `batchesAt(t)` batches in the step ending at t. */
function batchNode(at: Sampling, metric: string, labels: Labels, steps: number, batchesAt: (t: number) => number, pausedAt: (t: number) => boolean): Series[] {
  let count = 0;
  const counts = Array.from({ length: steps + 1 }, (_, k) => (count += k === 0 ? 0 : batchesAt(k * at.step)));
  return [
    [{ __name__: `${metric}_count`, ...labels }, counts.join(' ')],
    [{ __name__: `${metric}_sum`, ...labels }, counts.map((c) => Math.round(c * 0.005 * 1e6) / 1e6).join(' ')],
    [{ __name__: 'push_time_seconds', ...labels }, `0+${at.step}x${steps}`],
    [{ __name__: 'persia_node_state', ...labels, state: RUNNING_STATE }, at.values(steps, (t) => (pausedAt(t) ? 0 : 1))],
    [{ __name__: 'persia_node_state', ...labels, state: PAUSED_STATE }, at.values(steps, (t) => (pausedAt(t) ? 1 : 0))],
  ];
}

/** A node that does a tenth of its batches while it says it is paused, and its twin that does so while it says it runs. */
function pausedStragglerCase(options: MonitoringOptions, at: Sampling): RuleTestCase {
  const window = fastWindowSeconds(options);
  const stepsPerWindow = Math.max(1, Math.floor(window / at.step));
  const onset = at.atOrAfter(Math.max(360, 2 * window));
  // The pause: the steps ending from `onset` to `last`; checked once the window holds nothing else.
  const check = at.atOrAfter(onset + stepsPerWindow * at.step);
  const last = check + at.step;
  const steps = Math.ceil((last + 2 * window) / at.step);
  const perStep = 150;
  const inPause = (t: number): boolean => t >= onset && t <= last;
  const slowed = (t: number): number => (inPause(t) ? perStep / 10 : perStep);
  const metric = 'lookup_mixed_batch_time_cost';
  const pauser = node('trainer', 'checkpointing');
  const twin = node('trainer', 'stalled');
  const never = (): boolean => false;
  return {
    comment:
      `from ${onset}s to ${last}s a node does a tenth of its batches inside metrics.paused() (a checkpoint): no time per batch for it over a window that holds ` +
      `the pause (nor over 5m), so no straggler, while its time cost is still scored; its twin doing the same while it says ${RUNNING_STATE} is slow by ${check}s`,
    series: [
      ...batchNode(at, metric, node('trainer', 'busy0'), steps, () => perStep, never),
      ...batchNode(at, metric, node('trainer', 'busy1'), steps, () => perStep, never),
      ...batchNode(at, metric, pauser, steps, slowed, inPause),
      ...batchNode(at, metric, twin, steps, slowed, never),
    ],
    evals: [
      { at: onset - at.evaluation, alert: FAST_STRAGGLER_ALERT, firing: [] },
      { at: check, alert: FAST_STRAGGLER_ALERT, firing: [twin] },
    ],
    exprs: [
      { at: check, expr: `${FAST_STRAGGLER_RECORDS.secondsPerBatch}{instance="checkpointing"}`, samples: [] },
      {
        at: check,
        expr: `count by (instance) (${STRAGGLER_RECORDS.secondsPerBatch}{instance=~"checkpointing|stalled"})`,
        samples: [{ labels: { instance: 'stalled' }, value: 1 }],
      },
      {
        at: check,
        expr: `round(${FAST_STRAGGLER_RECORDS.timeCostSlowdown}{instance="checkpointing"}, 0.001)`,
        samples: [{ labels: { ...pauser, metric }, value: 1 }],
      },
    ],
  };
}

export function pauseRuleTestCases(options: MonitoringOptions, at: Sampling): RuleTestCase[] {
  return [pausedHangCase(options, at), pausedStragglerCase(options, at)];
}
