/**
 * promtool cases for the fast path (fast-rules.ts), written into persia-alerts.test.yml with the others. Each
 * sick node must fire within the design bound, about two push intervals plus one evaluation after its fault,
 * and each look-alike must stay silent: a node that pushes every ten intervals, one that shut down cleanly,
 * one that has not made its first step, a neighbour's group under the sick node's job/role/instance, one
 * paused on purpose (pause-rule-tests.ts). The series: fast-rule-series.ts.
 */
import { PROGRESS_AGE_METRIC } from '../metrics/catalog.js';
import { atMs } from './duration.js';
import { gaugeNode, type Labels, meanHistogram, node, pushingNode, type PushingNode, type Sampling, sampling } from './fast-rule-series.js';
import { DOWN_ALERT, FAST_STRAGGLER_EVIDENCE, FAST_STRAGGLER_RECORDS, fastWindowSeconds, NAN_BURST_ALERT } from './fast-rules.js';
import type { MonitoringOptions } from './options.js';
import { pauseRuleTestCases } from './pause-rule-tests.js';
import type { RuleTestCase } from './straggler-rule-tests.js';
import { FAST_STRAGGLER_ALERT, HUNG_ALERT } from './view-contract.js';

function hangAndDownCases(options: MonitoringOptions, at: Sampling): RuleTestCase[] {
  const p = options.pushIntervalSeconds;
  // A fault at a push and a scrape of every tested interval, late enough for a silent evaluation before it.
  const fault = at.atOrAfter(Math.max(120, 2 * p));
  const hungBy = at.atOrAfter(fault + (options.hangAfterIntervals + 1) * p + at.step);
  const downBy = at.atOrAfter(fault + options.downAfterIntervals * p + at.step);
  const steps = Math.ceil((Math.max(hungBy, downBy) + 20 * p) / at.step);
  const end = Math.floor((steps * at.step) / at.evaluation) * at.evaluation;
  const hung = node('middleware', 'm1');
  const killed = node('server', 'killed');
  // Lost a push, and the next one, slow to land (a fifth of an interval, the gateway busy), lands just after
  // the scrape at `fault`: its last push as scraped is older than two intervals, yet not down.
  // Times at the millisecond, as the series hold them, so the age promtool computes is the one expected.
  const lateBy = atMs(0.2 * p);
  const delay = atMs(0.005 * p);
  const nextAt = atMs(fault - lateBy + Math.max(0.001, atMs(0.01 * p)));
  const lostOne: PushingNode = { labels: node('server', 'lost-one'), interval: p, phase: atMs((((nextAt - p) % p) + p) % p), delay, lost: atMs(nextAt - p), lateBy };
  const lostAge = atMs(fault - atMs(nextAt - 2 * p + delay));
  // PersiaML's own nodes: keyed by job, instance and ip_addr, no interval published (judged by the job's).
  const persiaml = (instance: string): Labels => ({ job: 'dlrm', instance, ip_addr: '10.0.0.7' });
  return [
    {
      comment:
        `a node that pushes every ${p}s but stops progressing at ${fault}s is hung by ${hungBy}s, a SIGKILLed one (and a PersiaML node without an interval) down by ${downBy}s; ` +
        'silent: a healthy node, a neighbour group under the hung node plus a shadow label, a node pushing every 10 intervals, ' +
        'one that has not made its first step, one that shut down cleanly (its last push said stopping), ' +
        `one that lost a push (its last push ${lostAge}s old at the scrape at ${fault}s)`,
      series: [
        ...pushingNode(at, { labels: node('middleware', 'm0'), interval: p }, steps),
        ...pushingNode(at, { labels: hung, interval: p, progressUntil: fault }, steps),
        ...pushingNode(at, { labels: node('middleware', 'm1', { shadow: 'x' }), interval: p }, steps),
        ...pushingNode(at, { labels: node('trainer', 'rare'), interval: 10 * p }, steps),
        ...pushingNode(at, { labels: node('trainer', 'starting'), interval: p, neverStarted: true }, steps),
        ...pushingNode(at, { labels: node('server', 'stopped'), interval: p, lastPush: fault, progressUntil: fault - p, stopping: true }, steps),
        ...pushingNode(at, { labels: killed, interval: p, lastPush: fault }, steps),
        ...(lostAge < options.downAfterIntervals * p ? pushingNode(at, lostOne, steps) : []),
        ...pushingNode(at, { labels: persiaml('worker_0'), interval: p, bare: true }, steps),
        ...pushingNode(at, { labels: persiaml('worker_1'), interval: p, lastPush: fault, bare: true }, steps),
      ],
      evals: [
        { at: fault - at.evaluation, alert: HUNG_ALERT, firing: [] },
        { at: fault - at.evaluation, alert: DOWN_ALERT, firing: [] },
        { at: fault, alert: DOWN_ALERT, firing: [] },
        { at: hungBy, alert: HUNG_ALERT, firing: [hung] },
        { at: downBy, alert: DOWN_ALERT, firing: [killed, persiaml('worker_1')] },
        // Long after: still exactly those two, and the killed node is down, not hung.
        { at: end, alert: HUNG_ALERT, firing: [hung] },
        { at: end, alert: DOWN_ALERT, firing: [killed, persiaml('worker_1')] },
      ],
      // The lost push is seen: the node's last push, as scraped at `fault`, is more than two intervals old.
      exprs:
        lostAge >= options.downAfterIntervals * p
          ? []
          : [
              {
                at: fault,
                expr: `round(timestamp(push_time_seconds{instance="lost-one"}) - push_time_seconds{instance="lost-one"}, 0.001)`,
                samples: [{ labels: node('server', 'lost-one'), value: lostAge }],
              },
            ],
    },
  ];
}

function fastStragglerCases(options: MonitoringOptions, at: Sampling): RuleTestCase[] {
  const window = fastWindowSeconds(options);
  const onset = at.atOrAfter(Math.max(120, 2 * window));
  const by = at.atOrAfter(onset + window + at.step);
  const steps = Math.ceil((by + 4 * window) / at.step);
  const rpc = 'lookup_rpc_time_cost';
  const mixed = 'lookup_mixed_batch_time_cost';
  const theta = options.fastStragglerThreshold;
  // Just above the threshold and at 1.5x: the fast path's goal is every straggler of r >= 1.5.
  const slow = atMs(Math.max(1.5, theta * 1.1));
  const fast = (): number => 0.005;
  const slowFrom = (t: number): number => (t > onset ? 0.005 * slow : 0.005);
  // Batches per step that show a time-cost-only slowdown at the threshold twice as clearly as the rule asks
  // (FAST_STRAGGLER_EVIDENCE), and that leave one of `slow` at half of it (within their chance wander).
  const stepsPerWindow = Math.max(1, Math.floor(window / at.step));
  const many = Math.ceil(((2 * FAST_STRAGGLER_EVIDENCE.timeCost) / (theta - 1)) ** 2 / stepsPerWindow);
  const few = Math.floor((FAST_STRAGGLER_EVIDENCE.timeCost / 2 / (slow - 1)) ** 2 / stepsPerWindow);
  // A healthy node's pause (a GC, a page-cache flush) of one push interval, within one scrape step and a third of the data the window holds.
  const hiccup = { at: onset, seconds: Math.min(options.pushIntervalSeconds, at.step, (stepsPerWindow * at.step) / 3) };
  const data = stepsPerWindow * at.step;
  // Its window's mean time cost over its peers': the pause's batches are half as many and three times as long.
  const hiccupScore = (data + hiccup.seconds / 2) / (data - hiccup.seconds / 2);
  const cases: RuleTestCase[] = [
    {
      comment:
        `from ${onset}s a middleware (${many} batches a step) and a PersiaML worker (gauges) ${slow}x slower (mean time cost) and a server doing a third of its peers' batches fire by ${by}s, ` +
        `not before; their peers never; nor does a trainer as slow but of ${few} batches a step (its slowdown is within their chance wander); one node per role and a job slow everywhere score 1`,
      series: [
        ...meanHistogram(at, rpc, node('middleware', 'm0'), steps, fast, many),
        ...meanHistogram(at, rpc, node('middleware', 'm1'), steps, fast, many),
        ...meanHistogram(at, rpc, node('middleware', 'm2'), steps, slowFrom, many),
        ...meanHistogram(at, mixed, node('server', 's0'), steps, fast),
        ...meanHistogram(at, mixed, node('server', 's1'), steps, fast),
        ...meanHistogram(at, mixed, node('server', 's2'), steps, fast, 50),
        ...meanHistogram(at, rpc, node('trainer', 't0'), steps, fast, few),
        ...meanHistogram(at, rpc, node('trainer', 't1'), steps, fast, few),
        ...meanHistogram(at, rpc, node('trainer', 't2'), steps, slowFrom, few),
        // PersiaML's nodes time with last-value gauges, under job/instance/ip_addr.
        ...gaugeNode(at, { job: 'dlrm', instance: 'w0', ip_addr: '10.0.0.1' }, steps, fast),
        ...gaugeNode(at, { job: 'dlrm', instance: 'w1', ip_addr: '10.0.0.2' }, steps, fast),
        ...gaugeNode(at, { job: 'dlrm', instance: 'w2', ip_addr: '10.0.0.3' }, steps, slowFrom),
        // Another job: one node of its role, and slow everywhere.
        ...meanHistogram(at, rpc, { job: 'solo', role: 'middleware', instance: 'm0' }, steps, () => 0.5),
        ...meanHistogram(at, mixed, { job: 'uniform', role: 'server', instance: 's0' }, steps, () => 0.05),
        ...meanHistogram(at, mixed, { job: 'uniform', role: 'server', instance: 's1' }, steps, () => 0.05),
        ...meanHistogram(at, mixed, { job: 'uniform', role: 'server', instance: 's2' }, steps, () => 0.05),
      ],
      evals: [
        { at: onset, alert: FAST_STRAGGLER_ALERT, firing: [node('server', 's2')] },
        { at: by, alert: FAST_STRAGGLER_ALERT, firing: [node('middleware', 'm2'), node('server', 's2'), { job: 'dlrm', instance: 'w2', ip_addr: '10.0.0.3' }] },
      ],
      exprs: [
        {
          at: by,
          expr: `${FAST_STRAGGLER_RECORDS.timeCostSlowdown}{job!="dlrm"}`,
          samples: [
            { labels: { __name__: FAST_STRAGGLER_RECORDS.timeCostSlowdown, job: 'solo', role: 'middleware', instance: 'm0', metric: rpc }, value: 1 },
            ...['s0', 's1', 's2'].map((instance) => ({
              labels: { __name__: FAST_STRAGGLER_RECORDS.timeCostSlowdown, job: 'uniform', role: 'server', instance, metric: mixed },
              value: 1,
            })),
          ],
        },
        // The trainer is as slow as the middleware: only its batches are fewer.
        {
          at: by,
          expr: `round(${FAST_STRAGGLER_RECORDS.timeCostSlowdown}{instance="t2"}, 0.001)`,
          samples: [{ labels: { ...node('trainer', 't2'), metric: rpc }, value: Math.round(slow * 1000) / 1000 }],
        },
      ],
    },
    {
      comment: 'two nodes of a role: the slower is compared with the faster; no straggler before the onset',
      series: [...meanHistogram(at, rpc, node('middleware', 'fast'), steps, fast, many), ...meanHistogram(at, rpc, node('middleware', 'slow'), steps, slowFrom, many)],
      evals: [
        { at: onset, alert: FAST_STRAGGLER_ALERT, firing: [] },
        { at: by, alert: FAST_STRAGGLER_ALERT, firing: [node('middleware', 'slow')] },
      ],
    },
  ];
  const hung = node('trainer', 'hung');
  const hungScore = stepsPerWindow / (stepsPerWindow - 1);
  cases.push({
    comment:
      `a node of ${many} batches a step that hangs at ${onset}s: its batch rate falls to nothing over the window, yet it is hung ` +
      `(${PROGRESS_AGE_METRIC} above 0, PersiaNodeHung), not a straggler`,
    series: [
      ...meanHistogram(at, mixed, node('trainer', 'busy0'), steps, fast, many),
      ...meanHistogram(at, mixed, node('trainer', 'busy1'), steps, fast, many),
      ...meanHistogram(at, mixed, hung, steps, fast, many, undefined, onset),
      [{ __name__: PROGRESS_AGE_METRIC, ...hung }, at.values(steps, (t) => Math.max(0, t - onset))],
    ],
    evals: Array.from({ length: stepsPerWindow + 2 }, (_, k) => ({ at: onset + k * at.step, alert: FAST_STRAGGLER_ALERT, firing: [] })),
    // Its time per batch over the window's: what would have fired. Only where the window holds few enough
    // scrapes that losing one step's batches crosses the threshold (2 at 10 s pushes; 4/3 at 30 s, below it).
    ...(hungScore > theta
      ? {
          exprs: [
            {
              at: onset + at.step,
              expr: `${FAST_STRAGGLER_RECORDS.throughputSlowdown}{instance="hung"} > ${theta}`,
              samples: [{ labels: { __name__: FAST_STRAGGLER_RECORDS.throughputSlowdown, ...hung, metric: mixed }, value: hungScore }],
            },
          ],
        }
      : {}),
  });
  if (hiccupScore < theta) {
    cases.push({
      comment:
        `a healthy node's ${hiccup.seconds}s pause (latencies x3, half its batches) in the step ending at ${onset}s scores ${hiccupScore.toFixed(2)} over the ${window}s window, ` +
        `below ${theta}: silent in every window that holds it, though its ${many} batches a step would show a real slowdown at once`,
      series: [
        ...meanHistogram(at, rpc, node('trainer', 'h0'), steps, fast, many),
        ...meanHistogram(at, rpc, node('trainer', 'h1'), steps, fast, many),
        ...meanHistogram(at, rpc, node('trainer', 'h2'), steps, fast, many, hiccup),
      ],
      evals: Array.from({ length: stepsPerWindow + 1 }, (_, k) => ({ at: onset + k * at.step, alert: FAST_STRAGGLER_ALERT, firing: [] })),
      exprs: [
        {
          at: onset,
          expr: `round(${FAST_STRAGGLER_RECORDS.timeCostSlowdown}{instance="h2"}, 0.001)`,
          samples: [{ labels: { ...node('trainer', 'h2'), metric: rpc }, value: Math.round(hiccupScore * 1000) / 1000 }],
        },
      ],
    });
  }
  return cases;
}

function nanBurstCases(options: MonitoringOptions, at: Sampling): RuleTestCase[] {
  const n = options.nanBurstCount;
  const window = Math.ceil(2 * Math.max(options.pushIntervalSeconds, options.scrapeIntervalSeconds));
  // Half an hour of history first, so the background rate is known.
  const burst = at.atOrAfter(1800 + 2 * window);
  const steps = Math.ceil((burst + 600) / at.step);
  const per = (t: number, everySeconds: number, amount = 1): number => Math.floor(t / everySeconds) * amount;
  const feature = (instance: string, name: string): Labels => ({ ...node('trainer', instance), feature: name });
  return [
    {
      comment: `${2 * n} NaNs at once over a background of one a minute fire on the next scrape; a steady ${n} per ${window}s, ` + `a jump below ${n} and a constant count do not`,
      series: [
        [{ __name__: 'nan_count', ...feature('t0', 'age') }, at.values(steps, (t) => per(t, 60) + (t >= burst ? 2 * n : 0))],
        [{ __name__: 'nan_count', ...feature('t0', 'city') }, at.values(steps, (t) => per(t, at.step, Math.ceil(n / 2)))],
        [{ __name__: 'nan_count', ...feature('t1', 'age') }, at.values(steps, (t) => 3 + (t >= burst ? n - 1 : 0))],
        [{ __name__: 'nan_count', ...feature('t1', 'city') }, at.values(steps, () => 7)],
      ],
      evals: [
        { at: burst - at.evaluation, alert: NAN_BURST_ALERT, firing: [] },
        { at: burst, alert: NAN_BURST_ALERT, firing: [feature('t0', 'age')] },
      ],
    },
  ];
}

export function fastRuleTestCases(options: MonitoringOptions): RuleTestCase[] {
  const at = sampling(options.scrapeIntervalSeconds);
  const cases = [...hangAndDownCases(options, at), ...fastStragglerCases(options, at), ...nanBurstCases(options, at), ...pauseRuleTestCases(options, at)];
  return cases.map((c) => ({ ...c, intervalSeconds: at.step }));
}
