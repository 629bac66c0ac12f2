/**
 * How the cluster's Prometheus finds the job's gateways: a scrape job with kubernetes_sd_configs for a
 * Prometheus configured by file, and ServiceMonitor / PodMonitor objects for one run by the Prometheus
 * Operator. Every variant keeps the gateway's series as src/deploy/prometheus/gateway-series.ts decides (the
 * nodes' pushed job / role / instance, only the gateway's own training job, no pushed copy of what only
 * Prometheus writes) and adds no per-gateway label to the nodes' series: a node that fails over to another
 * shard keeps its series.
 */
import { DEFAULT_GATEWAY_PORT } from '../../gateway/address.js';
import { promDuration } from '../../monitoring/duration.js';
import { GATEWAY_SCRAPE_JOB_PREFIX } from '../../monitoring/health.js';
import { gatewaySeriesLabels, operatorMetricRelabelings } from '../prometheus/gateway-series.js';
import { scrapeTimeout } from '../prometheus/prometheus-config.js';
import { type DeployOptions } from '../deploy-options.js';
import { commented, flow, spaced, yamlFile } from '../yaml.js';
import { gatewaySelector, type KubernetesNames, type KubernetesObject } from './manifests.js';

/** Scrape job name in the cluster's Prometheus; starts like the compose ones, so `up{job=~"persia_gateway_.*"}` finds it. */
export const KUBERNETES_SCRAPE_JOB = `${GATEWAY_SCRAPE_JOB_PREFIX}kubernetes`;


/**
 * A whole Prometheus configuration (so `promtool check config` can check it) whose only gateway job is the
 * part to merge into the cluster's Prometheus. One job finds the gateways of every persia-metrics job in
 * every namespace, as docker_sd does on one host.
 */
export function renderKubernetesScrapeConfig(options: DeployOptions): string {
  const header = `Prometheus scrape configuration for persia-metrics gateways on Kubernetes (rendered by \`persia-metrics init
--target kubernetes\` for job "${options.jobName}"; the job below finds the gateways of every job).
Merge the ${KUBERNETES_SCRAPE_JOB} entry into your Prometheus' scrape_configs; the alert and recording
rules are in prometheus-rules.yaml (a ConfigMap to mount; its header says how).
Prometheus needs RBAC to get/list/watch pods (the community Helm chart's ClusterRole has it).
Check: promtool check config prometheus-scrape.yml, with a promtool built with Kubernetes discovery (the
upstream release binaries): Debian's promtool is built without it and refuses kubernetes_sd_configs itself.`;
  return yamlFile(header, {
    global: { scrape_interval: promDuration(options.scrapeIntervalSeconds), scrape_timeout: scrapeTimeout(options.scrapeIntervalSeconds) },
    scrape_configs: spaced([
      {
        job_name: KUBERNETES_SCRAPE_JOB,
        kubernetes_sd_configs: commented("Pods, not the Service's endpoints: the gateways are found even without (or with several) Services.", [
          {
            role: 'pod',
            selectors: commented(
              "Narrow to the jobs' namespaces if Prometheus may not list pods cluster-wide:\nnamespaces: {names: [training]}",
              [{ role: 'pod', label: 'persia.metrics.gateway=true' }],
            ),
          },
        ]),
        relabel_configs: [
          commented('Repeats the selector, so a wider one (or none) stays safe.', {
            source_labels: flow(['__meta_kubernetes_pod_label_persia_metrics_gateway']),
            regex: 'true',
            action: 'keep',
          }),
          commented('One target per gateway pod: its gateway port only.', {
            source_labels: flow(['__meta_kubernetes_pod_container_port_number']),
            regex: String(DEFAULT_GATEWAY_PORT),
            action: 'keep',
          }),
          commented('Finished or evicted pods keep their address for a while; another pod may already have it.', {
            source_labels: flow(['__meta_kubernetes_pod_phase']),
            regex: 'Running',
            action: 'keep',
          }),
          commented(
            "The training job the gateway pod belongs to: a series it serves may carry that job only. A gateway pod\nwithout the label belongs to no known job, and its groups keep any job they were pushed under.",
            { source_labels: flow(['__meta_kubernetes_pod_label_persia_metrics_job']), target_label: 'persia_job' },
          ),
          commented(
            'The namespace, and deliberately no pod name: it would be added to every node series, and a node that\nmoves to another shard would start new series.',
            { source_labels: flow(['__meta_kubernetes_namespace']), target_label: 'namespace' },
          ),
        ],
        ...gatewaySeriesLabels(),
      },
    ]),
  });
}

/**
 * The operator adds namespace, service, pod, container and endpoint to every series it scrapes; the ones
 * that name a particular gateway are dropped for the reason given above.
 */
const DROP_GATEWAY_IDENTITY = { action: 'labeldrop', regex: 'pod|container|endpoint|service' };

function monitorEndpoint(jobName: string, scrapeIntervalSeconds: number): Record<string, unknown> {
  return {
    port: 'http',
    interval: promDuration(scrapeIntervalSeconds),
    scrapeTimeout: scrapeTimeout(scrapeIntervalSeconds),
    // Off, with the relabelling of src/deploy/prometheus/gateway-series.ts: a pushed label never replaces the
    // target's persia_job or namespace, and a group pushed under another job is dropped.
    honorLabels: false,
    relabelings: [
      // The scrape job's name, as without the operator: the gateway-down alert and the job health dashboard
      // select up{job=~"persia_gateway_.*"} (src/monitoring/alert-rules.ts).
      { targetLabel: 'job', replacement: KUBERNETES_SCRAPE_JOB, action: 'replace' },
      { targetLabel: 'persia_job', replacement: jobName, action: 'replace' },
    ],
    metricRelabelings: [...operatorMetricRelabelings(), DROP_GATEWAY_IDENTITY],
  };
}

/** Selects the job's gateway Service. Your Prometheus resource selects monitors by label: add that label. */
export function serviceMonitor(options: DeployOptions, names: KubernetesNames): KubernetesObject {
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'ServiceMonitor',
    metadata: { name: names.gatewayDeployment, labels: { 'app.kubernetes.io/part-of': 'persia-metrics', 'persia.metrics.job': options.jobName } },
    spec: {
      selector: { matchLabels: gatewaySelector(options.jobName) },
      endpoints: [monitorEndpoint(options.jobName, options.scrapeIntervalSeconds)],
    },
  };
}

/** The same gateways selected as pods: for clusters whose Prometheus watches PodMonitors only. Apply one of the two. */
export function podMonitor(options: DeployOptions, names: KubernetesNames): KubernetesObject {
  const { port: _, ...endpoint } = monitorEndpoint(options.jobName, options.scrapeIntervalSeconds);
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PodMonitor',
    metadata: { name: names.gatewayDeployment, labels: { 'app.kubernetes.io/part-of': 'persia-metrics', 'persia.metrics.job': options.jobName } },
    spec: {
      selector: { matchLabels: gatewaySelector(options.jobName) },
      podMetricsEndpoints: [{ port: 'http', ...endpoint }],
    },
  };
}
