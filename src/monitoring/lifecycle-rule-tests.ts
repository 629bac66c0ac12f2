/**
 * promtool cases for how every node alert treats a node's life (health.ts, ofRunningIncarnation): a node that
 * shut down cleanly (its last push said `stopping`) while sick never alerts, though its last values stay on
 * the gateway; a node restarted under the same name (a new persia_node_incarnation) does not inherit the old
 * process's window or pending alert. Each case has a twin that stays sick and fires, so it can fail. And the
 * NaN burst judges a young series by the history it has: a steady rate from the start never fires, a real
 * burst two minutes in does.
 */
import { DOWN_ALERT, fastWindowSeconds, NAN_BURST_ALERT } from './fast-rules.js';
import { formatDuration } from './duration.js';
import type { MonitoringOptions } from './options.js';
import type { RuleTestCase } from './straggler-rule-tests.js';
import { FAST_STRAGGLER_ALERT, HUNG_ALERT, STRAGGLER_ALERT, STOPPING_STATE } from './view-contract.js';
import { PUSH_FAILURES_RISING_ATTEMPTS } from './alert-rules.js';

type Labels = Readonly<Record<string, string>>;
type Series = RuleTestCase['series'][number];

const STEP = 15;
const node = (role: string, instance: string): Labels => ({ job: 'dlrm', role, instance });
const values = (steps: number, at: (k: number) => number): string => Array.from({ length: steps + 1 }, (_, k) => String(Math.round(at(k) * 1e6) / 1e6)).join(' ');

interface Life {
  /** Step of its last push: a clean stop there (`stopping`), or a restart as a new process there (`restart`). */
  readonly at: number;
  readonly end: 'stopping' | 'restart';
}

/** Push time, state, incarnation and metrics start of a node pushing every step; `life` ends or renews it at a step. */
function lifeSeries(labels: Labels, steps: number, life?: Life): Series[] {
  const stopped = (k: number): boolean => life?.end === 'stopping' && k >= life.at;
  const incarnation = (k: number): number => (life?.end === 'restart' && k >= life.at ? 2 : 1);
  return [
    [{ __name__: 'push_time_seconds', ...labels }, values(steps, (k) => STEP * (stopped(k) && life !== undefined ? life.at : k))],
    [{ __name__: 'persia_node_state', ...labels, state: 'running' }, values(steps, (k) => (stopped(k) ? 0 : 1))],
    [{ __name__: 'persia_node_state', ...labels, state: STOPPING_STATE }, values(steps, (k) => (stopped(k) ? 1 : 0))],
    [{ __name__: 'persia_node_incarnation', ...labels }, values(steps, incarnation)],
    [{ __name__: 'persia_node_start_time_seconds', ...labels }, values(steps, (k) => (life?.end === 'restart' && k >= life.at ? STEP * life.at : 0))],
  ];
}

/**
 * A time-cost histogram (three buckets as in straggler-rule-tests.ts: fast at or under 10 ms, slow between
 * 10 and 100 ms), 150 observations a step; a stopped node's counters freeze, a restarted one's start at 0.
 */
function histogram(metric: string, labels: Labels, steps: number, slowUntil: (k: number) => boolean, life?: Life): Series[] {
  let fast = 0;
  let slow = 0;
  const points = Array.from({ length: steps + 1 }, (_, k) => {
    if (life?.end === 'restart' && k === life.at) [fast, slow] = [0, 0];
    const frozen = life?.end === 'stopping' && k > life.at;
    if (k > 0 && !frozen) {
      if (slowUntil(k)) slow += 150;
      else fast += 150;
    }
    return { fast, slow };
  });
  const series = (name: string, le: string | undefined, of: (p: { fast: number; slow: number }) => number): Series => [
    { __name__: name, ...labels, ...(le === undefined ? {} : { le }) },
    points.map((p) => String(Math.round(of(p) * 1e6) / 1e6)).join(' '),
  ];
  return [
    series(`${metric}_bucket`, '0.01', (p) => p.fast),
    series(`${metric}_bucket`, '0.1', (p) => p.fast + p.slow),
    series(`${metric}_bucket`, '+Inf', (p) => p.fast + p.slow),
    series(`${metric}_count`, undefined, (p) => p.fast + p.slow),
    series(`${metric}_sum`, undefined, (p) => p.fast * 0.005 + p.slow * 0.05),
  ];
}

function stopAndRestartCases(options: MonitoringOptions): RuleTestCase[] {
  const forSteps = Math.ceil(options.stragglerForSeconds / STEP);
  // The slow nodes are sick from the start; one stops, one restarts as a healthy process, before the `for` ends.
  const change = Math.max(8, forSteps - 8);
  const steps = forSteps + 12;
  const rpc = 'lookup_rpc_time_cost';
  const always = (): boolean => true;
  const never = (): boolean => false;
  const stop: Life = { at: change, end: 'stopping' };
  const restart: Life = { at: change, end: 'restart' };
  const untilRestart = (k: number): boolean => k < change;
  const gauge = (name: string, labels: Labels, value: (k: number) => number, life?: Life): Series[] => [
    [{ __name__: name, ...labels }, values(steps, (k) => (life?.end === 'stopping' && k > life.at ? value(life.at) : value(k)))],
    ...lifeSeries(labels, steps, life),
  ];
  const miss = Math.min(1, options.indexMissRatioThreshold + 0.2);
  const staleness = options.stalenessThreshold + 5;
  const failures = (k: number): number => k * PUSH_FAILURES_RISING_ATTEMPTS;
  const after = (forSteps + 4) * STEP;
  const soon = (change + 4) * STEP;
  return [
    {
      comment:
        `nodes sick from the start (10x P99, high miss ratio and staleness, failing pushes, NaNs) that shut down cleanly at ${change * STEP}s, ` +
        'or restart there as a new process, never alert afterwards (their last values stay on the gateway); their twins that go on do',
      series: [
        ...histogram(rpc, node('middleware', 'm0'), steps, never),
        ...lifeSeries(node('middleware', 'm0'), steps),
        ...['m1', 'm2', 'm3'].flatMap((instance) => [...histogram(rpc, node('middleware', instance), steps, never), ...lifeSeries(node('middleware', instance), steps)]),
        ...histogram(rpc, node('middleware', 'stops'), steps, always, stop),
        ...lifeSeries(node('middleware', 'stops'), steps, stop),
        ...histogram(rpc, node('middleware', 'restarts'), steps, untilRestart, restart),
        ...lifeSeries(node('middleware', 'restarts'), steps, restart),
        ...histogram(rpc, node('middleware', 'goes-on'), steps, always),
        ...lifeSeries(node('middleware', 'goes-on'), steps),
        ...gauge('index_miss_ratio', node('server', 'stops'), () => miss, stop),
        ...gauge('index_miss_ratio', node('server', 'restarts'), () => miss, restart),
        ...gauge('index_miss_ratio', node('server', 'goes-on'), () => miss),
        ...gauge('staleness', node('trainer', 'stops'), () => staleness, stop),
        ...gauge('staleness', node('trainer', 'goes-on'), () => staleness),
        ...gauge('persia_metrics_push_failures_total', node('embedding_worker', 'stops'), failures, stop),
        ...gauge('persia_metrics_push_failures_total', node('embedding_worker', 'goes-on'), failures),
        [{ __name__: 'nan_count', ...node('trainer', 'nan-stops'), feature: 'age' }, values(steps, (k) => Math.min(k, change))],
        ...lifeSeries(node('trainer', 'nan-stops'), steps, stop),
        [{ __name__: 'nan_count', ...node('trainer', 'nan-goes-on'), feature: 'age' }, values(steps, (k) => k)],
        ...lifeSeries(node('trainer', 'nan-goes-on'), steps),
      ],
      evals: [
        { at: after, alert: STRAGGLER_ALERT, firing: [node('middleware', 'goes-on')] },
        { at: after, alert: 'PersiaIndexMissRatioHigh', firing: [node('server', 'goes-on')] },
        { at: after, alert: 'PersiaStalenessHigh', firing: [node('trainer', 'goes-on')] },
        { at: after, alert: 'PersiaNodePushFailuresRising', firing: [node('embedding_worker', 'goes-on')] },
        { at: soon, alert: 'PersiaNaNGradients', firing: [{ ...node('trainer', 'nan-goes-on'), feature: 'age' }] },
        // Nothing they shut down or restarted into reads as dead, down or hung either.
        { at: after, alert: 'PersiaNodeStoppedPushing', firing: [] },
        { at: after, alert: DOWN_ALERT, firing: [] },
        { at: after, alert: HUNG_ALERT, firing: [] },
      ],
    },
  ];
}

/** The fast straggler: a slow node's last window is a stopped process's once it says `stopping`. */
function fastStopCases(options: MonitoringOptions): RuleTestCase[] {
  const window = fastWindowSeconds(options);
  const stopAt = Math.ceil(Math.max(120, 2 * window) / STEP);
  const steps = stopAt + Math.ceil((2 * window) / STEP) + 2;
  const mixed = 'lookup_mixed_batch_time_cost';
  const stop: Life = { at: stopAt, end: 'stopping' };
  const slow = (k: number): boolean => k > 2;
  return [
    {
      comment: `a server 10x slower than its peers fires the fast alert, until it shuts down cleanly at ${stopAt * STEP}s: silent from that scrape on; its slow twin goes on firing`,
      series: [
        ...['s0', 's1', 's2'].flatMap((instance) => [...histogram(mixed, node('server', instance), steps, () => false), ...lifeSeries(node('server', instance), steps)]),
        ...histogram(mixed, node('server', 'stops'), steps, slow, stop),
        ...lifeSeries(node('server', 'stops'), steps, stop),
        ...histogram(mixed, node('server', 'goes-on'), steps, slow),
        ...lifeSeries(node('server', 'goes-on'), steps),
      ],
      evals: [
        { at: (stopAt - 1) * STEP, alert: FAST_STRAGGLER_ALERT, firing: [node('server', 'goes-on'), node('server', 'stops')] },
        ...Array.from({ length: steps - stopAt + 1 }, (_, k) => ({ at: (stopAt + k) * STEP, alert: FAST_STRAGGLER_ALERT, firing: [node('server', 'goes-on')] })),
      ],
    },
  ];
}

/** PersiaNaNGradientBurst on young series and restarted nodes. */
function nanHistoryCases(options: MonitoringOptions): RuleTestCase[] {
  const n = options.nanBurstCount;
  const window = fastWindowSeconds(options);
  const windowSteps = Math.max(1, Math.ceil(window / STEP));
  // A steady rate that fills the burst count in every window: from the job's start, and from a restart.
  const perStep = Math.ceil(n / windowSteps);
  const steps = Math.ceil((45 * 60) / STEP);
  // Two minutes in, and past the first window (the burst is judged against the history before its window).
  const burstAt = Math.max(8, 2 * windowSteps);
  const restartAt = Math.ceil((25 * 60) / STEP);
  const restart: Life = { at: restartAt, end: 'restart' };
  const feature = (labels: Labels): Labels => ({ ...labels, feature: 'age' });
  // Every scrape of the first ten minutes and of the ten after the restart, then every minute.
  const quiet = Array.from({ length: steps + 1 }, (_, k) => k).filter(
    (k) => (k < burstAt || k >= burstAt + windowSteps) && (k <= 40 || (k >= restartAt && k <= restartAt + 40) || k % 4 === 0),
  );
  return [
    {
      comment:
        `a steady ${perStep} NaNs a scrape from the job's start (the history before its first window is minutes, not half an hour), ` +
        `and the same from a restart after 25 idle minutes (the old process's zeros are not its history), never fire; ` +
        `${2 * n} NaNs at once ${formatDuration(burstAt * STEP)} into a job with none before do`,
      series: [
        [{ __name__: 'nan_count', ...feature(node('trainer', 'steady')) }, values(steps, (k) => perStep * k)],
        ...lifeSeries(node('trainer', 'steady'), steps),
        [{ __name__: 'nan_count', ...feature(node('trainer', 'restarted')) }, values(steps, (k) => (k < restartAt ? 0 : perStep * (k - restartAt)))],
        ...lifeSeries(node('trainer', 'restarted'), steps, restart),
        [{ __name__: 'nan_count', ...feature(node('trainer', 'burst')) }, values(steps, (k) => (k >= burstAt ? 2 * n : 0))],
        ...lifeSeries(node('trainer', 'burst'), steps),
        // PersiaML's own nodes: no state, no incarnation.
        [{ __name__: 'nan_count', job: 'dlrm', instance: 'w0', ip_addr: '10.0.0.1', feat: 'age' }, values(steps, (k) => perStep * k)],
      ],
      evals: [
        // Firing while its window holds the burst.
        ...Array.from({ length: windowSteps }, (_, k) => ({ at: (burstAt + k) * STEP, alert: NAN_BURST_ALERT, firing: [feature(node('trainer', 'burst'))] })),
        ...quiet.map((k) => ({ at: k * STEP, alert: NAN_BURST_ALERT, firing: [] })),
      ],
    },
  ];
}

export function lifecycleRuleTestCases(options: MonitoringOptions): RuleTestCase[] {
  return [...stopAndRestartCases(options), ...fastStopCases(options), ...nanHistoryCases(options)].map((c) => ({ ...c, intervalSeconds: STEP }));
}
