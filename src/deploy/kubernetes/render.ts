/**
 * The Kubernetes deployment as files: the objects of manifests.ts, monitoring.ts and rules.ts through the
 * YAML emitter (src/deploy/yaml.ts), each file opening with the comment that says how to use it. Objects
 * rather than a text template: they are what the tests validate against the Kubernetes schemas.
 */
import { type DeployOptions } from '../deploy-options.js';
import type { RenderedFiles } from '../render-deployment.js';
import { yamlDocuments } from '../yaml.js';
import {
  gatewayAddress,
  gatewayDeployment,
  gatewayService,
  globalConfigMap,
  type KubernetesDeployOptions,
  type KubernetesNames,
  type KubernetesObject,
  kubernetesNames,
  nodesService,
  nodeStatefulSets,
} from './manifests.js';
import { podMonitor, renderKubernetesScrapeConfig, serviceMonitor } from './monitoring.js';
import { prometheusRule, prometheusRulesConfigMap, RULES_MOUNT_DIR, RULES_OBJECT_NAME } from './rules.js';

/** Folder of the Kubernetes files, in `init`'s directory and in this repository. */
export const KUBERNETES_DIR = 'kubernetes';

/** Every object, by the file it is written to (the scrape configuration is not an object and is left out). */
export function kubernetesObjectsByFile(options: DeployOptions, k8s: KubernetesDeployOptions): ReadonlyMap<string, readonly KubernetesObject[]> {
  return objectsByFile(options, kubernetesNames(options.jobName), k8s);
}

function objectsByFile(options: DeployOptions, names: KubernetesNames, k8s: KubernetesDeployOptions): ReadonlyMap<string, readonly KubernetesObject[]> {
  return new Map([
    [`${KUBERNETES_DIR}/global-config.yaml`, [globalConfigMap(options, names)]],
    [`${KUBERNETES_DIR}/gateway.yaml`, [gatewayDeployment(options, names, k8s), gatewayService(options, names)]],
    [`${KUBERNETES_DIR}/nodes-example.yaml`, [nodesService(options, names), ...nodeStatefulSets(options, names)]],
    [`${KUBERNETES_DIR}/prometheus-operator/service-monitor.yaml`, [serviceMonitor(options, names)]],
    [`${KUBERNETES_DIR}/prometheus-operator/pod-monitor.yaml`, [podMonitor(options, names)]],
    [`${KUBERNETES_DIR}/prometheus-rules.yaml`, [prometheusRulesConfigMap(options)]],
    [`${KUBERNETES_DIR}/prometheus-operator/prometheus-rule.yaml`, [prometheusRule(options)]],
  ]);
}

function headers(options: DeployOptions, names: KubernetesNames, k8s: KubernetesDeployOptions): Record<string, string> {
  const apply = `kubectl apply -n <namespace> -f`;
  return {
    'global-config.yaml': `global_config.yaml for the nodes of job "${options.jobName}"; mount it and point PERSIA_GLOBAL_CONFIG at it.
  ${apply} ${KUBERNETES_DIR}/global-config.yaml`,
    'gateway.yaml': `The job's own gateway: ${k8s.gateways} ${k8s.gateways === 1 ? 'replica' : 'replicas'} behind the headless Service ${names.gatewayService}.
Nodes push to ${gatewayAddress(names)}; the name resolves to every ready replica and each node keeps
to one of them (rendezvous hashing over the addresses), failing over to the next when its gateway goes away.
Each node re-resolves the name every 3 push intervals, at least every 30 s (no option: it follows
push_interval_seconds). Scale with: kubectl scale deployment ${names.gatewayDeployment} --replicas=N
  ${apply} ${KUBERNETES_DIR}/gateway.yaml`,
    'nodes-example.yaml': `Example nodes: one StatefulSet per role running simulated nodes. For a real job keep the environment
(PERSIA_GLOBAL_CONFIG, PERSIA_METRICS_GATEWAY_ADDR, PERSIA_NODE_ROLE, REPLICA_INDEX, REPLICA_SIZE) and the
global-config volume, and run your own image. REPLICA_INDEX needs Kubernetes >= 1.28 (the pod-index label).
The image: build docker/node/Dockerfile and push it where the cluster can pull it.
  ${apply} ${KUBERNETES_DIR}/nodes-example.yaml`,
    'service-monitor.yaml': `For a Prometheus run by the Prometheus Operator: scrapes the job's gateways through their Service.
Apply this or pod-monitor.yaml, not both. Your Prometheus resource selects monitors by label
(serviceMonitorSelector, e.g. release: kube-prometheus-stack): add that label under metadata.labels.
Apply it into the job's namespace, which the Prometheus' serviceMonitorNamespaceSelector must select
(unset, it selects only the Prometheus' own namespace).
  ${apply} ${KUBERNETES_DIR}/prometheus-operator/service-monitor.yaml`,
    'pod-monitor.yaml': `For a Prometheus run by the Prometheus Operator that watches PodMonitors: the gateways as pods.
Apply this or service-monitor.yaml, not both; add the label your podMonitorSelector wants. Apply it into
the job's namespace, which the Prometheus' podMonitorNamespaceSelector must select (unset: its own only).
  ${apply} ${KUBERNETES_DIR}/prometheus-operator/pod-monitor.yaml`,
    'prometheus-rules.yaml': `The alert and recording rules (the compose deployment's config/prometheus/rules/) for a Prometheus
configured by file: apply into Prometheus' namespace, mount the ConfigMap ${RULES_OBJECT_NAME} at ${RULES_MOUNT_DIR}
and add to prometheus.yml:  rule_files: [${RULES_MOUNT_DIR}/*.yml]
The rules cover every persia-metrics job: one copy per Prometheus (a second job's init renders the same object).
  kubectl apply -n <prometheus-namespace> -f ${KUBERNETES_DIR}/prometheus-rules.yaml`,
    'prometheus-rule.yaml': `The same alert and recording rules for a Prometheus run by the Prometheus Operator. Your Prometheus
resource selects rules by label (ruleSelector, e.g. release: kube-prometheus-stack): add that label under
metadata.labels. The rules cover every persia-metrics job the Prometheus scrapes, in every namespace: apply
one copy per Prometheus, into a namespace its ruleNamespaceSelector selects (unset: the Prometheus' own),
not one into each job's namespace (Prometheus would evaluate every copy it selects). A Prometheus with
enforcedNamespaceLabel set limits a copy to the series of its own namespace: there, apply one copy into
each namespace that runs jobs.
  kubectl apply -n <prometheus-namespace> -f ${KUBERNETES_DIR}/prometheus-operator/prometheus-rule.yaml`,
  };
}

/** What `init --target kubernetes` writes (paths relative to its directory). */
export function renderKubernetesDeployment(options: DeployOptions, k8s: KubernetesDeployOptions): RenderedFiles {
  const names = kubernetesNames(options.jobName);
  const texts = headers(options, names, k8s);
  const files: Array<[string, string]> = [...objectsByFile(options, names, k8s)].map(([path, objects]) => [
    path,
    yamlDocuments(`${texts[path.slice(path.lastIndexOf('/') + 1)] ?? ''}\n(rendered by \`persia-metrics init --target kubernetes\`)`, objects),
  ]);
  files.push([`${KUBERNETES_DIR}/prometheus-scrape.yml`, renderKubernetesScrapeConfig(options)]);
  return new Map(files);
}
