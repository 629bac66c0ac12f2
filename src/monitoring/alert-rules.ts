/**
 * The alerts of persia-metrics jobs, as data (so the promtool unit tests in alert-rule-tests.ts can expand
 * the very same annotations); src/deploy/prometheus writes them to YAML.
 *
 * The gateway adds `push_time_seconds` and `push_failure_time_seconds` to every group (one group per node),
 * which is what makes "a node stopped pushing" detectable at all: the gateway has no TTL, a dead node's
 * last values stay there and look alive to any query that ignores the push time.
 */
import { gatewaysDownPromql, ofRunningIncarnation, pushAgeVersusThreshold, STALE_ALERT_FOR_SECONDS, STOPPING_STATE, staleAfterSeconds } from './health.js';
import type { MonitoringOptions } from './options.js';
import { OPTION_BY_KEY } from '../config/options.js';
import { type AlertSpec, alertRule, NODE_NAME, type RuleGroup } from './rule-model.js';
import { fastAlertSpecs, fastRuleGroup } from './fast-rules.js';
import { timeCostMetrics } from './recording-rules.js';
import { stragglerAlertSpec } from './straggler-rules.js';
import { DUPLICATE_IDENTITY_ALERT, SOURCE_FAILURE_REASON } from './view-contract.js';

const NODE = NODE_NAME;

/** Failed attempts of two lost pushes, each tried 1 + push_retries times (src/push/pusher.ts): the most PersiaNodePushFailuresRising lets pass. */
export const PUSH_FAILURES_RISING_ATTEMPTS = 2 * (1 + (OPTION_BY_KEY.get('push_retries')?.default as number));

/** Every alert: the main group's and the fast group's (fast-rules.ts). */
export function alertSpecs(options: MonitoringOptions): readonly AlertSpec[] {
  return [...mainAlertSpecs(options), ...fastAlertSpecs(options)];
}

/**
 * Every node alert leaves out nodes whose last push said `stopping` (a clean shutdown never alerts) and, over
 * its window plus its `for`, nodes restarted under the same name (health.ts, ofRunningIncarnation): the
 * alerts that judge presence (stopped pushing, down, hung) read the state themselves.
 */
function mainAlertSpecs(options: MonitoringOptions): readonly AlertSpec[] {
  const staleSeconds = staleAfterSeconds(options);
  return [
    {
      alert: 'PersiaNodeStoppedPushing',
      // Each node by its own pace (persia_node_push_interval_seconds, in its group): a node pushing every
      // 5 minutes is not stale after a minute. A node that publishes no interval (PersiaML's own nodes, any
      // pusher keyed by job and instance) is judged by the job's configured interval, which PersiaML's nodes
      // read from the same file; a group without an instance (a batch job's last result) is not a node.
      // A node that announced `stopping` in its last push left on purpose (stopped, health.ts);
      // everything else is a crash or a hang. Matched on the node's whole grouping key (every label but
      // `state`): a neighbour's group that shares job, role and instance cannot silence it.
      expr: `(\n${pushAgeVersusThreshold(options, '>')}\n)\n` + `  unless ignoring (state) (persia_node_state{state="${STOPPING_STATE}"} == 1)`,
      for: `${STALE_ALERT_FOR_SECONDS}s`, // expire's recommended --after counts on it (expiry.ts)
      severity: 'warning',
      summary: `${NODE} has missed ${options.staleAfterIntervals} of its pushes`,
      description:
        `Its last successful push is older than ${options.staleAfterIntervals} of its own push intervals ` +
        `(${staleSeconds}s at the job's ${options.pushIntervalSeconds}s), or of the job's interval for a node that publishes none (PersiaML's own nodes). ` +
        'The node crashed, hangs, or cannot reach the gateway; ' +
        'its other series on the gateway are stale values, not live ones.',
    },
    {
      alert: 'PersiaNodePushesRejected',
      // With --push.disable-consistency-check the gateway answers 202 before applying a push, so a bad body
      // is never refused to the client: this metric is the only place such a failure shows.
      expr: ofRunningIncarnation('push_failure_time_seconds > push_time_seconds', '1m'),
      for: '1m',
      severity: 'warning',
      summary: `The gateway rejects the pushes of ${NODE}`,
      description:
        'The last push of this group failed on the gateway (malformed or inconsistent body). ' + 'The gateway log says why; the series shown are from the last accepted push.',
    },
    {
      alert: 'PersiaNodePushFailuresRising',
      // Counted by the node and delivered with its next successful push; a node that can never push shows
      // up as PersiaNodeStoppedPushing instead. Every failed attempt counts, so one lost push is up to
      // 1 + push_retries of them: more than two lost pushes' worth in every window, not a blip now and then.
      // Not reason="extra_source": an extra source (a scraped endpoint) that cannot be read is left out of a
      // push that itself reached the gateway (src/push/extra-sources.ts), so a slow endpoint is no push failure.
      expr: ofRunningIncarnation(
        `sum without (reason) (increase(persia_metrics_push_failures_total{reason!="${SOURCE_FAILURE_REASON}"}[5m])) > ${PUSH_FAILURES_RISING_ATTEMPTS}`,
        '10m',
      ),
      for: '5m',
      severity: 'warning',
      summary: `Pushes of ${NODE} keep failing`,
      description:
        `More than ${PUSH_FAILURES_RISING_ATTEMPTS} push attempts (two lost pushes with their retries) failed in every 5-minute window for 5 minutes (see the reason label of ` +
        'persia_metrics_push_failures_total): timeouts point at an overloaded gateway, connection errors at the network. ' +
        'Extra sources left out of a push that reached the gateway (reason extra_source) do not count.',
    },
    {
      alert: DUPLICATE_IDENTITY_ALERT,
      // Two processes pushing one group replace each other's values at every push: the stored incarnation
      // (a random number each node draws at start) then flips between theirs, which one restart never
      // does more than once. A node that saw another incarnation in its own group says so itself. Per
      // group (its whole grouping key), as every node rule: no `by (job, role, instance)` that would merge groups.
      // Only a series with its group's push_time_seconds of the very same labels is believed: a job-only
      // neighbour whose body sets role/instance (plus a label, not to collide) cannot flag a healthy node.
      // Restarts are what it counts: only a node that stopped cleanly is left out (its last push said so).
      expr: ofRunningIncarnation('(\n  changes(persia_node_incarnation[5m]) > 2\n  or\n  max_over_time(persia_node_duplicate_identity[5m]) == 1\n)\nand push_time_seconds'),
      severity: 'critical',
      summary: `Two processes push as ${NODE}`,
      description:
        'More than one process uses this node identity (job, role, instance): each push overwrites the other, ' +
        'so its counters jump back and forth and rate() is meaningless. Give every node its own ' +
        'PERSIA_METRICS_INSTANCE or REPLICA_INDEX (or the node restarts in a loop).',
    },
    {
      alert: 'PersiaNaNGradients',
      expr: ofRunningIncarnation('increase(nan_count[5m]) > 0', '5m'),
      severity: 'warning',
      summary: `NaN gradients on feature {{ $labels.feature }}{{ $labels.feat }} (${NODE})`, // PersiaML's own nodes label it `feat`
      description: 'nan_count rose in the last 5 minutes: numerical instability (learning rate, bad input rows).',
    },
    {
      alert: 'PersiaNaNGradientsSkipped',
      expr: ofRunningIncarnation('increase(nan_grad_skipped[5m]) > 0', '5m'),
      severity: 'warning',
      summary: `Gradient updates skipped for NaN on feature {{ $labels.feature }}{{ $labels.feat }} (${NODE})`,
      description: 'nan_grad_skipped rose in the last 5 minutes: those updates are lost to training.',
    },
    {
      alert: 'PersiaIndexMissRatioHigh',
      expr: ofRunningIncarnation(`index_miss_ratio > ${options.indexMissRatioThreshold}`, '10m'),
      // Every id misses during warm-up; only a ratio that stays high afterwards means too small a table.
      for: '10m',
      severity: 'warning',
      summary: `Index miss ratio above ${options.indexMissRatioThreshold} on ${NODE}`,
      description: 'More ids than expected are missing from the embedding server for 10 minutes: capacity too small, ' + 'or ids drifting faster than the table keeps them.',
    },
    {
      alert: 'PersiaStalenessHigh',
      expr: ofRunningIncarnation(`staleness > ${options.stalenessThreshold}`, '5m'),
      for: '5m',
      severity: 'warning',
      summary: `Staleness above ${options.stalenessThreshold} batches on ${NODE}`,
      description: 'Gradients lag behind training by many batches for 5 minutes, which hurts accuracy.',
    },
    {
      alert: 'PersiaGatewayDown',
      expr: gatewaysDownPromql(),
      for: '1m',
      severity: 'critical',
      // `up` is also 0 when the gateway runs but its /metrics answers 500: one group pushed with a clashing
      // type or a grouping value that is not UTF-8 breaks the whole page (src/gateway/scrape-health.ts), and
      // Prometheus keeps no signal that tells the two apart (scrape_samples_scraped is 0 in both).
      summary: 'Pushgateway {{ $labels.instance }} of job {{ $labels.persia_job }} cannot be scraped',
      description:
        'Prometheus cannot scrape this gateway (found by {{ $labels.job }}): it is down, or its /metrics page fails ' +
        "(the target's error on Prometheus's targets page says which). No metrics of any job on it arrive. A page that fails " +
        'while pushes are accepted is one group breaking it: `persia-metrics status` names the group, `persia-metrics repair` deletes it.',
    },
    stragglerAlertSpec(options),
  ];
}

/** The alert rule file's groups: the main one, and the fast path with the scores its alerts read. */
export function alertRuleGroups(options: MonitoringOptions): RuleGroup[] {
  return [{ name: 'persia-metrics', rules: mainAlertSpecs(options).map(alertRule) }, fastRuleGroup(timeCostMetrics(), options)];
}
