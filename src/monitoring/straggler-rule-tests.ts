/**
 * promtool cases for the straggler rules (straggler-rules.ts), written into persia-alerts.test.yml with
 * alert-rule-tests.ts' own cases: one slow node fires, a uniformly slow job does not, one node per role scores exactly 1,
 * and the slow one of two nodes fires (its reference is the faster node).
 *
 * Histograms are reduced to three buckets: a fast node observes everything at or under 10 ms (P99 9.9 ms), a
 * slow one between 10 and 100 ms (P99 99.1 ms), ten times slower.
 */
import type { MonitoringOptions } from './options.js';
import { STRAGGLER_RECORDS } from './straggler-rules.js';
import { STRAGGLER_ALERT } from './view-contract.js';

type Labels = Readonly<Record<string, string>>;
type Series = readonly [Labels & { __name__: string }, string];

export interface RuleTestCase {
  readonly comment: string;
  /** Seconds between two samples of the input series (a scrape interval); 15 when not given. */
  readonly intervalSeconds?: number;
  readonly series: readonly Series[];
  /** `at`: seconds into the test (the test file writes them as Prometheus durations, src/monitoring/duration.ts). */
  readonly evals: ReadonlyArray<{ readonly at: number; readonly alert: string; readonly firing: readonly Labels[] }>;
  /** promql_expr_test items: the query's exact result at `at` (labels including `__name__`). */
  readonly exprs?: ReadonlyArray<{ readonly at: number; readonly expr: string; readonly samples: ReadonlyArray<{ readonly labels: Labels; readonly value: number }> }>;
}

const STEP_SECONDS = 15;
const node = (role: string, instance: string): Labels => ({ job: 'dlrm', role, instance });
/** A PersiaML Rust node's grouping key: no role, its host's address beside the replica. */
export const persiaml = (instance: string, ipAddr: string): Labels => ({ job: 'dlrm', instance, ip_addr: ipAddr });

/**
 * A histogram's series for `steps` intervals: `perStep` observations each interval, all fast or all slow.
 */
function histogram(metric: string, labels: Labels, steps: number, speed: 'fast' | 'slow', perStep = 150): Series[] {
  const rising = `0+${perStep}x${steps}`;
  const bucket = (le: string, values: string): Series => [{ __name__: `${metric}_bucket`, ...labels, le }, values];
  return [
    bucket('0.01', speed === 'fast' ? rising : `0x${steps}`),
    bucket('0.1', rising),
    bucket('+Inf', rising),
    [{ __name__: `${metric}_count`, ...labels }, rising],
    [{ __name__: `${metric}_sum`, ...labels }, `0+${speed === 'fast' ? perStep * 0.005 : perStep * 0.05}x${steps}`],
  ];
}

export function stragglerRuleTestCases(options: MonitoringOptions): RuleTestCase[] {
  const forSeconds = options.stragglerForSeconds;
  const steps = Math.ceil((forSeconds + 240) / STEP_SECONDS);
  const before = Math.max(STEP_SECONDS, Math.floor(forSeconds / 2));
  const after = forSeconds + 120;
  const rpc = 'lookup_rpc_time_cost';
  const mixed = 'lookup_mixed_batch_time_cost';
  // Slower than the threshold for sure: a tenth of the peers' batch rate is ten times their seconds per batch.
  const slowRate = 15;
  return [
    {
      comment: `a slow middleware (10x P99) and a server with a tenth of its peers' batch rate fire after ${forSeconds}s; their peers never`,
      series: [
        ...histogram(rpc, node('middleware', 'm0'), steps, 'fast'),
        ...histogram(rpc, node('middleware', 'm1'), steps, 'fast'),
        ...histogram(rpc, node('middleware', 'm2'), steps, 'slow'),
        ...histogram(mixed, node('server', 's0'), steps, 'fast'),
        ...histogram(mixed, node('server', 's1'), steps, 'fast'),
        ...histogram(mixed, node('server', 's2'), steps, 'fast', slowRate),
      ],
      evals: [
        { at: before, alert: STRAGGLER_ALERT, firing: [] },
        { at: after, alert: STRAGGLER_ALERT, firing: [node('middleware', 'm2'), node('server', 's2')] },
      ],
    },
    {
      comment: 'a job slow everywhere has no straggler: every node scores 1',
      series: [
        ...histogram(rpc, node('middleware', 'm0'), steps, 'slow'),
        ...histogram(rpc, node('middleware', 'm1'), steps, 'slow'),
        ...histogram(rpc, node('middleware', 'm2'), steps, 'slow'),
        ...histogram(mixed, node('server', 's0'), steps, 'slow', slowRate),
        ...histogram(mixed, node('server', 's1'), steps, 'slow', slowRate),
      ],
      evals: [{ at: after, alert: STRAGGLER_ALERT, firing: [] }],
    },
    {
      comment: 'one node per role is its own reference: scores exactly 1 (no division by zero or NaN), never fires',
      series: [...histogram(rpc, node('middleware', 'm0'), steps, 'slow'), ...histogram(mixed, node('server', 's0'), steps, 'slow', slowRate)],
      evals: [{ at: after, alert: STRAGGLER_ALERT, firing: [] }],
      exprs: [
        {
          at: after,
          expr: STRAGGLER_RECORDS.timeCostSlowdown,
          samples: [
            { labels: { __name__: STRAGGLER_RECORDS.timeCostSlowdown, ...node('middleware', 'm0'), metric: rpc }, value: 1 },
            { labels: { __name__: STRAGGLER_RECORDS.timeCostSlowdown, ...node('server', 's0'), metric: mixed }, value: 1 },
          ],
        },
        {
          at: after,
          expr: STRAGGLER_RECORDS.throughputSlowdown,
          samples: [{ labels: { __name__: STRAGGLER_RECORDS.throughputSlowdown, ...node('server', 's0'), metric: mixed }, value: 1 }],
        },
      ],
    },
    {
      comment: 'two nodes of a role: the slower is compared with the faster (the median of two, their mean, would cap its score below 2)',
      series: [
        ...histogram(rpc, node('middleware', 'fast'), steps, 'fast'),
        ...histogram(rpc, node('middleware', 'slow'), steps, 'slow'),
        ...histogram(mixed, node('server', 's0'), steps, 'fast'),
        ...histogram(mixed, node('server', 's1'), steps, 'fast'),
      ],
      evals: [
        { at: before, alert: STRAGGLER_ALERT, firing: [] },
        { at: after, alert: STRAGGLER_ALERT, firing: [node('middleware', 'slow')] },
      ],
      exprs: [
        {
          at: after,
          expr: `${STRAGGLER_RECORDS.timeCostSlowdown}{instance!="slow"}`,
          samples: ['fast', 's0', 's1'].map((instance) => ({
            labels: { __name__: STRAGGLER_RECORDS.timeCostSlowdown, ...node(instance === 'fast' ? 'middleware' : 'server', instance), metric: instance === 'fast' ? rpc : mixed },
            value: 1,
          })),
        },
      ],
    },
    {
      comment:
        "PersiaML's nodes (last-value gauges, no role, job/instance/ip_addr): a worker 10x slower than its peers fires, a server does not; " +
        'scores are per gauge, among the nodes that push it, and a dead worker (its push time frozen) is not scored',
      series: [
        ...['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'].flatMap((ip, index): Series[] => [
          [{ __name__: 'push_time_seconds', ...persiaml(`rep_${index}`, ip) }, index === 3 ? `0x${steps}` : `0+15x${steps}`],
          [{ __name__: 'lookup_total_time_cost_sec', ...persiaml(`rep_${index}`, ip) }, `${index === 2 ? 0.5 : index === 3 ? 9 : 0.05}x${steps}`],
        ]),
        [{ __name__: 'push_time_seconds', ...persiaml('rep_0', '10.0.0.9') }, `0+15x${steps}`],
        [{ __name__: 'lookup_hashmap_time_cost_sec', ...persiaml('rep_0', '10.0.0.9') }, `0.2x${steps}`],
      ],
      evals: [
        { at: before, alert: STRAGGLER_ALERT, firing: [] },
        { at: after, alert: STRAGGLER_ALERT, firing: [persiaml('rep_2', '10.0.0.3')] },
      ],
      exprs: [
        {
          at: after,
          expr: `${STRAGGLER_RECORDS.timeCostSlowdown}{instance!="rep_2"}`,
          samples: [
            ...[0, 1].map((index) => ({
              labels: { __name__: STRAGGLER_RECORDS.timeCostSlowdown, ...persiaml(`rep_${index}`, `10.0.0.${index + 1}`), metric: 'lookup_total_time_cost_sec' },
              value: 1,
            })),
            { labels: { __name__: STRAGGLER_RECORDS.timeCostSlowdown, ...persiaml('rep_0', '10.0.0.9'), metric: 'lookup_hashmap_time_cost_sec' }, value: 1 },
          ],
        },
      ],
    },
  ];
}
