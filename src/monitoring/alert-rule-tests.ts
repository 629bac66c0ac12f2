/**
 * Test cases for every alert of alert-rules.ts, as data (src/deploy/prometheus/rule-tests.ts writes them as
 * the `promtool test rules` file): each alert is shown firing for a sick node and silent for a healthy one
 * (and, where the rule has a `for`, silent before it has lasted long enough). Thresholds come from the same
 * MonitoringOptions, so a rendering with other thresholds still passes.
 */
import { PUSH_FAILURES_RISING_ATTEMPTS } from './alert-rules.js';
import { fastRuleTestCases } from './fast-rule-tests.js';
import { atMs, formatDuration } from './duration.js';
import { STALE_ALERT_FOR_SECONDS, staleAfterSeconds } from './health.js';
import { lifecycleRuleTestCases } from './lifecycle-rule-tests.js';
import type { MonitoringOptions } from './options.js';
import { type RuleTestCase as Case, persiaml, stragglerRuleTestCases } from './straggler-rule-tests.js';

type Labels = Readonly<Record<string, string>>;

const node = (role: string, instance: string): Labels => ({ job: 'dlrm', role, instance });

/** Every case, the straggler rules' included. */
export function ruleTestCases(options: MonitoringOptions): Case[] {
  const stale = staleAfterSeconds(options);
  // Checked once the dead node passed its threshold and the alert's `for`, and a minute more.
  const staleBy = stale + STALE_ALERT_FOR_SECONDS + 60;
  // Past the job's threshold by then but within its own: it pushes every 10 intervals, or as rarely as that takes at short intervals.
  const rareInterval = atMs(Math.max(10 * options.pushIntervalSeconds, (staleBy + 60) / options.staleAfterIntervals));
  const missHigh = Math.min(1, options.indexMissRatioThreshold + 0.2).toFixed(2);
  const missLow = (options.indexMissRatioThreshold / 2).toFixed(3);
  const samplesIn = (minutes: number) => Math.ceil((minutes * 60) / 15);
  const long = samplesIn(Math.max(20, (stale * 3) / 60));
  const lostPush = PUSH_FAILURES_RISING_ATTEMPTS / 2;
  return [
    {
      comment:
        `a dead node (last push at 0) fires once ${options.staleAfterIntervals} of its own intervals + for have passed; live and stopping nodes, ` +
        `a node of a ${formatDuration(rareInterval)} interval (silent since 0: past the job's threshold, within its own) and another program's group (no interval published) never do; ` +
        "a neighbour's group under the dead node's job/role/instance plus one more label (pushing, and saying it stops) does not silence it; " +
        "a PersiaML node (no interval, job/instance/ip_addr) fires after as many of the job's intervals, its live namesake on another host does not",
      series: [
        [{ __name__: 'push_time_seconds', ...node('trainer', 'live') }, `0+15x${long}`],
        [{ __name__: 'persia_node_push_interval_seconds', ...node('trainer', 'live') }, `${options.pushIntervalSeconds}x${long}`],
        [{ __name__: 'push_time_seconds', ...node('trainer', 'dead') }, `0x${long}`],
        [{ __name__: 'persia_node_push_interval_seconds', ...node('trainer', 'dead') }, `${options.pushIntervalSeconds}x${long}`],
        [{ __name__: 'persia_node_state', ...node('trainer', 'dead'), state: 'stopping' }, `0x${long}`],
        [{ __name__: 'push_time_seconds', ...node('trainer', 'dead'), shadow: 'x' }, `0+15x${long}`],
        [{ __name__: 'persia_node_push_interval_seconds', ...node('trainer', 'dead'), shadow: 'x' }, `${options.pushIntervalSeconds}x${long}`],
        [{ __name__: 'persia_node_state', ...node('trainer', 'dead'), shadow: 'x', state: 'stopping' }, `1x${long}`],
        [{ __name__: 'push_time_seconds', ...node('server', 'stopped') }, `0x${long}`],
        [{ __name__: 'persia_node_push_interval_seconds', ...node('server', 'stopped') }, `${options.pushIntervalSeconds}x${long}`],
        [{ __name__: 'persia_node_state', ...node('server', 'stopped'), state: 'stopping' }, `1x${long}`],
        [{ __name__: 'push_time_seconds', ...node('server', 'slow') }, `0x${long}`],
        [{ __name__: 'persia_node_push_interval_seconds', ...node('server', 'slow') }, `${rareInterval}x${long}`],
        [{ __name__: 'push_time_seconds', job: 'nightly_export', instance: '' }, `0x${long}`],
        // PersiaML's own nodes publish no interval: judged by the job's, under their whole grouping key.
        [{ __name__: 'push_time_seconds', ...persiaml('rep_0', '10.0.0.5') }, `0x${long}`],
        [{ __name__: 'push_time_seconds', ...persiaml('rep_0', '10.0.0.6') }, `0+15x${long}`],
      ],
      evals: [
        { at: stale, alert: 'PersiaNodeStoppedPushing', firing: [] },
        { at: staleBy, alert: 'PersiaNodeStoppedPushing', firing: [node('trainer', 'dead'), persiaml('rep_0', '10.0.0.5')] },
      ],
    },
    {
      comment: 'the gateway rejected the last push: fires while the failure is newer than the last success',
      series: [
        [{ __name__: 'push_time_seconds', ...node('trainer', 'ok') }, '0+15x40'],
        [{ __name__: 'push_failure_time_seconds', ...node('trainer', 'ok') }, '0x40'],
        [{ __name__: 'push_time_seconds', ...node('middleware', 'bad') }, '0x40'],
        [{ __name__: 'push_failure_time_seconds', ...node('middleware', 'bad') }, '5+15x40'],
        // Failed at 100 s, then pushed fine again from 105 s on: fires at 1m, resolved by 5m.
        [{ __name__: 'push_time_seconds', ...node('server', 'recovered') }, '0+15x40'],
        [{ __name__: 'push_failure_time_seconds', ...node('server', 'recovered') }, '100x40'],
      ],
      evals: [
        { at: 30, alert: 'PersiaNodePushesRejected', firing: [] },
        { at: 90, alert: 'PersiaNodePushesRejected', firing: [node('middleware', 'bad'), node('server', 'recovered')] },
        { at: 300, alert: 'PersiaNodePushesRejected', firing: [node('middleware', 'bad')] },
      ],
    },
    {
      comment:
        'push failures counted by a node: rising for 5m fires (timeouts, pushes the gateway refused), an old constant count does not, ' +
        `nor do two lost pushes two minutes apart (${lostPush} failed attempts each, with the retries), ` +
        'nor an extra source left out of every push that reached the gateway (an agent scraping a slow endpoint)',
      series: [
        [{ __name__: 'persia_metrics_push_failures_total', ...node('trainer', 'flaky'), reason: 'timeout' }, '0+1x80'],
        [{ __name__: 'persia_metrics_push_failures_total', ...node('trainer', 'fine'), reason: 'timeout' }, '3x80'],
        [{ __name__: 'persia_metrics_push_failures_total', ...node('trainer', 'lost-two'), reason: 'timeout' }, `0x9 ${lostPush}x7 ${2 * lostPush}x62`],
        [{ __name__: 'persia_metrics_push_failures_total', ...node('middleware', 'refused'), reason: 'http_4xx' }, '0+1x80'],
        [{ __name__: 'persia_metrics_push_failures_total', ...node('trainer', 'agent'), reason: 'extra_source' }, '0+4x80'],
        [{ __name__: 'persia_metrics_push_failures_total', ...node('trainer', 'agent'), reason: 'timeout' }, '0x80'],
      ],
      evals: [
        { at: 240, alert: 'PersiaNodePushFailuresRising', firing: [] },
        { at: 480, alert: 'PersiaNodePushFailuresRising', firing: [node('trainer', 'flaky'), node('middleware', 'refused')] },
        { at: 900, alert: 'PersiaNodePushFailuresRising', firing: [node('trainer', 'flaky'), node('middleware', 'refused')] },
      ],
    },
    {
      comment:
        'one identity, two processes: the stored incarnation flips (or a node reports it); one restart never fires; ' +
        "a neighbour's group (one more grouping label) that says so flags itself, not the node it names; a job-only group naming a node in its body flags nobody",
      series: [
        [{ __name__: 'persia_node_incarnation', ...node('trainer', 'rep_3') }, '11 22 11 22 11 22 11 22 11 22 11 22 11 22 11 22 11 22 11 22 11 22'],
        [{ __name__: 'persia_node_incarnation', ...node('trainer', 'restarted') }, '11x10 22x30'],
        [{ __name__: 'persia_node_incarnation', ...node('server', 'fine') }, '33x40'],
        [{ __name__: 'persia_node_duplicate_identity', ...node('server', 'told') }, '0x5 1 0 1 0x30'],
        [{ __name__: 'persia_node_duplicate_identity', ...node('server', 'fine') }, '0x40'],
        [{ __name__: 'persia_node_duplicate_identity', ...node('server', 'fine'), shadow: 'x' }, '0x5 1x35'],
        // A job-only group (its push_time_seconds has the job alone) whose body names a healthy node: believed for nobody.
        [{ __name__: 'persia_node_duplicate_identity', ...node('trainer', 'healthy'), x: '1' }, '1x40'],
        [{ __name__: 'push_time_seconds', job: 'dlrm' }, '0+15x40'],
        [{ __name__: 'push_time_seconds', ...node('trainer', 'rep_3') }, '0+15x40'],
        [{ __name__: 'push_time_seconds', ...node('trainer', 'restarted') }, '0+15x40'],
        [{ __name__: 'push_time_seconds', ...node('server', 'told') }, '0+15x40'],
        [{ __name__: 'push_time_seconds', ...node('server', 'fine') }, '0+15x40'],
        [{ __name__: 'push_time_seconds', ...node('server', 'fine'), shadow: 'x' }, '0+15x40'],
        [{ __name__: 'push_time_seconds', ...node('trainer', 'healthy') }, '0+15x40'],
      ],
      evals: [
        { at: 15, alert: 'PersiaDuplicateNodeIdentity', firing: [] },
        {
          at: 180,
          alert: 'PersiaDuplicateNodeIdentity',
          firing: [node('trainer', 'rep_3'), node('server', 'told'), { ...node('server', 'fine'), shadow: 'x' }],
        },
        { at: 720, alert: 'PersiaDuplicateNodeIdentity', firing: [{ ...node('server', 'fine'), shadow: 'x' }] },
      ],
    },
    {
      comment: 'NaNs: a jump fires at once and clears 5m later; a constant count never fires',
      series: [
        [{ __name__: 'nan_count', ...node('trainer', 't0'), feature: 'age' }, '0x10 5x40'],
        [{ __name__: 'nan_count', ...node('trainer', 't0'), feature: 'city' }, '2x50'],
        [{ __name__: 'nan_grad_skipped', ...node('middleware', 'm0'), feature: 'age' }, '0x10 7x40'],
        [{ __name__: 'nan_grad_skipped', ...node('middleware', 'm0'), feature: 'city' }, '1x50'],
      ],
      evals: [
        { at: 120, alert: 'PersiaNaNGradients', firing: [] },
        { at: 180, alert: 'PersiaNaNGradients', firing: [{ ...node('trainer', 't0'), feature: 'age' }] },
        { at: 600, alert: 'PersiaNaNGradients', firing: [] },
        { at: 120, alert: 'PersiaNaNGradientsSkipped', firing: [] },
        { at: 180, alert: 'PersiaNaNGradientsSkipped', firing: [{ ...node('middleware', 'm0'), feature: 'age' }] },
      ],
    },
    {
      comment: 'index miss ratio: high for 10m fires; warm-up misses that then fall do not',
      series: [
        [{ __name__: 'index_miss_ratio', ...node('server', 'small') }, `${missHigh}x80`],
        [{ __name__: 'index_miss_ratio', ...node('server', 'warm') }, `1x20 ${missLow}x60`],
        [{ __name__: 'index_miss_ratio', ...node('server', 'fine') }, `${missLow}x80`],
      ],
      evals: [
        { at: 300, alert: 'PersiaIndexMissRatioHigh', firing: [] },
        { at: 900, alert: 'PersiaIndexMissRatioHigh', firing: [node('server', 'small')] },
      ],
    },
    {
      comment: 'staleness: above the threshold for 5m fires; at the threshold does not',
      series: [
        [{ __name__: 'staleness', ...node('trainer', 'lagging') }, `${options.stalenessThreshold * 2}x40`],
        [{ __name__: 'staleness', ...node('trainer', 'fine') }, `${options.stalenessThreshold}x40`],
      ],
      evals: [
        { at: 180, alert: 'PersiaStalenessHigh', firing: [] },
        { at: 480, alert: 'PersiaStalenessHigh', firing: [node('trainer', 'lagging')] },
      ],
    },
    {
      comment: 'gateway down: only gateway scrape jobs count, not Prometheus itself',
      series: [
        [{ __name__: 'up', job: 'persia_gateway_docker', instance: '10.0.0.2:9091', persia_job: 'dlrm' }, '0x20'],
        [{ __name__: 'up', job: 'persia_gateway_dns', instance: '10.0.0.3:9091', persia_job: 'other' }, '1x20'],
        [{ __name__: 'up', job: 'prometheus', instance: 'localhost:9090' }, '0x20'],
      ],
      evals: [
        { at: 30, alert: 'PersiaGatewayDown', firing: [] },
        { at: 180, alert: 'PersiaGatewayDown', firing: [{ job: 'persia_gateway_docker', instance: '10.0.0.2:9091', persia_job: 'dlrm' }] },
      ],
    },
    ...stragglerRuleTestCases(options),
    ...fastRuleTestCases(options),
    ...lifecycleRuleTestCases(options),
  ];
}

/** Alerts that have at least one firing and one silent evaluation in the tests (for the coverage check). */
export function testedAlerts(options: MonitoringOptions): { firing: Set<string>; silent: Set<string> } {
  const firing = new Set<string>();
  const silent = new Set<string>();
  for (const c of ruleTestCases(options)) for (const e of c.evals) (e.firing.length > 0 ? firing : silent).add(e.alert);
  return { firing, silent };
}
