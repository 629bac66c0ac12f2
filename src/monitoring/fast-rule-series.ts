/**
 * The series of the fast path's promtool cases (fast-rule-tests.ts, pause-rule-tests.ts): what the gateway
 * holds for each node, as Prometheus would scrape it every `step` seconds (promtool's input interval), from
 * nodes pushing every `pushIntervalSeconds`: a scrape shows the node's latest push, so the cases hold at any
 * push interval. Times of faults and checks fall on a scrape and on a rule evaluation of the test file both.
 */
import { PROGRESS_AGE_METRIC } from '../metrics/catalog.js';
import { PAUSED_STATE, STOPPING_STATE } from './view-contract.js';

export type Labels = Readonly<Record<string, string>>;
export type Series = readonly [Labels & { __name__: string }, string];

export const node = (role: string, instance: string, extra: Labels = {}): Labels => ({ job: 'dlrm', role, instance, ...extra });

/** The test file's evaluation_interval (src/deploy/prometheus/rule-files.ts): the other cases' `for`s count on it. */
export const RULE_TEST_EVALUATION_SECONDS = 15;

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/**
 * Series sampled every `step` seconds (the scrape interval); times of faults and checks fall on a scrape and
 * on a rule evaluation of the test file both.
 */
export function sampling(step: number) {
  const aligned = (step * RULE_TEST_EVALUATION_SECONDS) / gcd(step, RULE_TEST_EVALUATION_SECONDS);
  return {
    step,
    /** Between two evaluations of the rules. */
    evaluation: aligned,
    values: (steps: number, at: (t: number) => number): string => Array.from({ length: steps + 1 }, (_, k) => String(Math.round(at(k * step) * 1000) / 1000)).join(' '),
    /** The first evaluation at or after `seconds`. */
    atOrAfter: (seconds: number): number => Math.ceil(seconds / aligned) * aligned,
  };
}
export type Sampling = ReturnType<typeof sampling>;

export interface PushingNode {
  readonly labels: Labels;
  readonly interval: number;
  /** Its last push, if it stops pushing (killed, or shut down cleanly when `stopping`). */
  readonly lastPush?: number;
  /** It makes no progress after this time (hung; or never, with `neverStarted`). */
  readonly progressUntil?: number;
  readonly neverStarted?: boolean;
  /** Its last push said `stopping`. */
  readonly stopping?: boolean;
  /** Its pushes from this time on say `paused` (NodeMetrics.paused(): a checkpoint); it pushes a `paused` series only when given. */
  readonly pausedFrom?: number;
  /** Pushes nothing of this library's (PersiaML's own nodes): no interval, state or progress age. */
  readonly bare?: boolean;
  /** Its pushes start at this second of each interval (0 when not given). */
  readonly phase?: number;
  /** Seconds a push takes to land on the gateway, which stamps that moment (0 when not given). */
  readonly delay?: number;
  /** The push started at this second was lost: every attempt of it failed; the next one took `lateBy` seconds to land. */
  readonly lost?: number;
  readonly lateBy?: number;
}

/** What the gateway holds for one node at each scrape: its push time, interval, state and progress age. */
export function pushingNode(at: Sampling, n: PushingNode, steps: number): Series[] {
  const phase = n.phase ?? 0;
  const delay = n.delay ?? 0;
  const same = (a: number, b: number | undefined): boolean => b !== undefined && Math.abs(a - b) < 1e-9;
  const landing = (start: number): number => start + (same(start - n.interval, n.lost) ? (n.lateBy ?? delay) : delay);
  // The push time the gateway holds at t: the last push that landed by then (and started by its last push).
  const lastPushBy = (t: number): number => {
    let start = phase + Math.floor((Math.min(t - delay, n.lastPush ?? Infinity) - phase) / n.interval) * n.interval;
    while (same(start, n.lost) || landing(start) > t) start -= n.interval;
    return landing(start);
  };
  // The first push at or after the hang still carries the last progress; every later one adds an interval.
  const firstStalled = n.progressUntil === undefined ? Infinity : Math.ceil(n.progressUntil / n.interval) * n.interval;
  const age = (t: number): number => (n.neverStarted ? 0 : Math.max(0, lastPushBy(t) - firstStalled));
  const stopped = (t: number): boolean => n.stopping === true && n.lastPush !== undefined && t >= n.lastPush;
  const paused = (t: number): boolean => n.pausedFrom !== undefined && !stopped(t) && lastPushBy(t) >= n.pausedFrom;
  const pushTime: Series = [{ __name__: 'push_time_seconds', ...n.labels }, at.values(steps, lastPushBy)];
  if (n.bare === true) return [pushTime];
  return [
    pushTime,
    [{ __name__: 'persia_node_push_interval_seconds', ...n.labels }, at.values(steps, () => n.interval)],
    [{ __name__: 'persia_node_state', ...n.labels, state: 'running' }, at.values(steps, (t) => (stopped(t) || paused(t) ? 0 : 1))],
    ...(n.pausedFrom === undefined ? [] : [[{ __name__: 'persia_node_state', ...n.labels, state: PAUSED_STATE }, at.values(steps, (t) => (paused(t) ? 1 : 0))] as const]),
    [{ __name__: 'persia_node_state', ...n.labels, state: STOPPING_STATE }, at.values(steps, (t) => (stopped(t) ? 1 : 0))],
    [{ __name__: PROGRESS_AGE_METRIC, ...n.labels }, at.values(steps, age)],
  ];
}

/**
 * A histogram's count and sum (all the fast scores read), `perStep` observations of `mean(t)` seconds each
 * step; `hiccupAt`: the step ending then held a pause of `hiccupSeconds` (latencies x3, half the batches).
 */
export function meanHistogram(
  { step }: Sampling,
  metric: string,
  labels: Labels,
  steps: number,
  mean: (t: number) => number,
  perStep = 150,
  hiccup?: { readonly at: number; readonly seconds: number },
  stopsAt = Infinity,
): Series[] {
  let sum = 0;
  let count = 0;
  const counts: number[] = [];
  const sums = Array.from({ length: steps + 1 }, (_, k) => {
    const paused = k > 0 && hiccup !== undefined && Math.abs(k * step - hiccup.at) < 1e-9 ? hiccup.seconds / step : 0;
    if (k > 0 && k * step <= stopsAt) {
      count += perStep * (1 - paused / 2);
      sum += perStep * mean(k * step) * (1 - paused + (paused / 2) * 3);
    }
    counts.push(Math.round(count * 1e6) / 1e6);
    return Math.round(sum * 1e6) / 1e6;
  });
  return [
    [{ __name__: `${metric}_count`, ...labels }, counts.join(' ')],
    [{ __name__: `${metric}_sum`, ...labels }, sums.join(' ')],
    [{ __name__: 'push_time_seconds', ...labels }, `0+${step}x${steps}`],
  ];
}

/** A PersiaML node's last-value time gauge, as scraped, and its push time. */
export function gaugeNode(at: Sampling, labels: Labels, steps: number, cost: (t: number) => number): Series[] {
  return [
    [{ __name__: 'lookup_rpc_time_cost_sec', ...labels }, at.values(steps, cost)],
    [{ __name__: 'push_time_seconds', ...labels }, `0+${at.step}x${steps}`],
  ];
}
