/**
 * What every gateway scrape job keeps of a gateway's series, and under which labels: the one home of that
 * part of the scrape config, for the compose and swarm files (prometheus-config.ts), the Kubernetes scrape
 * job and the Prometheus Operator's monitors (src/deploy/kubernetes/monitoring.ts) and the demo.
 *
 * A gateway serves every group any process pushed to it, and the Pushgateway checks no identity per group.
 * Two rules follow:
 * - Only Prometheus writes ALERTS, the recorded series, `up` and `scrape_*` (src/monitoring/rule-series.ts):
 *   a pushed copy is dropped, or a pusher could flag a healthy node or raise PersiaGatewayDown for a gateway
 *   that does not exist.
 * - A gateway belongs to one training job (one gateway per job: the target's `persia_job` label, which each
 *   scrape job sets from what the deployment knows: init's own job, a discovered container's or pod's job
 *   label). A series it serves may carry that job only: a node of job A pushing a group `job=B/…` to A's
 *   gateway must not pass for B's node.
 *
 * The dashboards, the rules and the view select nodes by the `job` / `role` / `instance` they pushed (their
 * grouping key), so those must reach the stored series as pushed. `honor_labels: true` would do that, but it
 * lets any pushed label replace a target label too: a group pushed with `persia_job="B"` (or, on Kubernetes,
 * `namespace`) is then indistinguishable from B's own. So honor_labels is off: the target's labels always
 * win, a pushed `job` / `instance` arrives as `exported_job` / `exported_instance`, and the relabelling below
 * checks the pushed job against the target's and then puts job and instance back (a group pushed without an
 * instance gets none, as the node model expects: src/monitoring/view-contract.ts, isNodeGroup). The gateway's
 * own series (pushgateway_*, process_*) were pushed by no one: they keep the scrape job's name and the
 * gateway's address. keepequal needs Prometheus 2.41 or later.
 *
 * A target without `persia_job` (a swarm service or a pod without the job label) belongs to no known job: its
 * groups keep whatever job they were pushed under. docs/security.md says what a deployment should do then.
 */
import { prometheusSeriesRegex } from '../../monitoring/rule-series.js';
import { commented, flow, yamlValue } from '../yaml.js';

/** The target label each gateway scrape job sets to the training job the gateway belongs to. */
export const GATEWAY_JOB_LABEL = 'persia_job';

/** Temporary labels of the relabelling (Prometheus keeps `__tmp` free for this); dropped at its end. */
const ALLOWED_JOB = '__tmp_persia_allowed_job';
const PUSHED = '__tmp_persia_pushed';

/** One metric relabel step, in Prometheus's keys, with why it is there. */
interface RelabelStep {
  readonly why?: string;
  readonly source_labels?: readonly string[];
  readonly regex?: string;
  readonly target_label?: string;
  readonly replacement?: string;
  readonly action: 'replace' | 'drop' | 'keepequal' | 'labeldrop';
}

/** The steps, in order (see the file comment). */
function relabelSteps(): RelabelStep[] {
  return [
    {
      why: 'Only Prometheus writes ALERTS, the recorded series, up and scrape_*: a pushed copy would pass for its own\n(flag a healthy node, raise PersiaGatewayDown for a gateway that does not exist).',
      source_labels: ['__name__'],
      regex: prometheusSeriesRegex(),
      action: 'drop',
    },
    {
      why: `The job a pushed series may carry: the gateway's (${GATEWAY_JOB_LABEL}), or where no job is known, the one it was pushed under.`,
      source_labels: ['exported_job'],
      target_label: ALLOWED_JOB,
      action: 'replace',
    },
    { source_labels: [GATEWAY_JOB_LABEL], regex: '(.+)', target_label: ALLOWED_JOB, action: 'replace' },
    {
      why: "The gateway's own series (pushgateway_*, process_*) were pushed by no one: nothing to check.",
      source_labels: ['exported_job'],
      // Matches the empty value only; not written '' because the Prometheus Operator leaves an empty regex
      // out of the configuration it generates, and Prometheus's default (.*) would then match every series.
      regex: '()',
      target_label: ALLOWED_JOB,
      replacement: '',
      action: 'replace',
    },
    {
      why: "A group pushed under another job is dropped: one job's nodes cannot write another job's series.",
      source_labels: ['exported_job'],
      target_label: ALLOWED_JOB,
      action: 'keepequal',
    },
    {
      why: 'The pushed job and instance back in their places (a group pushed without an instance gets none).',
      source_labels: ['exported_job'],
      regex: '(.+)',
      target_label: 'job',
      action: 'replace',
    },
    { source_labels: ['exported_job'], regex: '.+', target_label: PUSHED, replacement: 'true', action: 'replace' },
    // (?s): an instance pushed with a newline in it (a base64 grouping value) is still the pushed one.
    { source_labels: [PUSHED, 'exported_instance'], regex: 'true;(?s:(.*))', target_label: 'instance', action: 'replace' },
    { regex: `exported_job|exported_instance|${ALLOWED_JOB}|${PUSHED}`, action: 'labeldrop' },
  ];
}

/**
 * `honor_labels` and `metric_relabel_configs` of a gateway scrape job in a Prometheus configuration file, to
 * spread into the job (its `persia_job` comes from the job's static labels or relabel_configs).
 */
export function gatewaySeriesLabels(): Record<string, unknown> {
  return {
    honor_labels: commented(
      "Off: a pushed label must never replace the target's persia_job (or namespace); the pushed job and instance\narrive as exported_job / exported_instance and are checked and put back below (src/deploy/prometheus/gateway-series.ts).",
      false,
    ),
    metric_relabel_configs: relabelSteps().map(({ why, source_labels, ...step }) => {
      const data = { ...(source_labels === undefined ? {} : { source_labels: flow(source_labels) }), ...step };
      return why === undefined ? data : commented(why, data);
    }),
  };
}

/** The same steps as a Prometheus Operator monitor endpoint's `metricRelabelings` (camelCase keys). */
export function operatorMetricRelabelings(): Array<Record<string, unknown>> {
  return relabelSteps().map(({ why: _, source_labels, target_label, ...rest }) => ({
    ...(source_labels === undefined ? {} : { sourceLabels: [...source_labels] }),
    ...(target_label === undefined ? {} : { targetLabel: target_label }),
    ...rest,
  }));
}

/**
 * A gateway scrape job over fixed addresses, as YAML sequence items for a local Prometheus's extra scrape
 * configs (the demo's; tests aim the deployment's label handling at their own gateways with it). `job`: the
 * training job the gateways belong to; without it, their groups keep any job they were pushed under.
 */
export function staticGatewayScrapeJobYaml(name: string, targets: readonly string[], job?: string): string {
  const labels = job === undefined ? {} : { labels: { [GATEWAY_JOB_LABEL]: job } };
  return yamlValue([{ job_name: name, static_configs: [{ targets: flow(targets), ...labels }], ...gatewaySeriesLabels() }]);
}
