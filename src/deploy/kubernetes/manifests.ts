/**
 * Kubernetes objects for one job's metrics: the job's gateway (Deployment + headless Service), the ConfigMap
 * holding global_config.yaml, and an example StatefulSet of simulated nodes per role. Plain objects, rendered
 * to YAML by render.ts and validated against the Kubernetes schemas by
 * test/unit/kubernetes-manifests.test.ts.
 */
import { DEFAULT_GATEWAY_PORT } from '../../gateway/address.js';
import { NODE_ROLES, type NodeRole } from '../../metrics/catalog.js';
import { validateGatewayCount } from '../../monitoring/capacity.js';
import { consistencyCheckFlags } from '../../monitoring/consistency-check.js';
import { kubernetesBaseName, LONGEST_KUBERNETES_SUFFIX } from '../../monitoring/job-name.js';
import { type DeployOptions } from '../deploy-options.js';
import { renderGlobalConfig } from '../global-config.js';
import { NODE_IMAGE, PUSHGATEWAY_IMAGE } from '../images.js';

/** A Kubernetes object as rendered: the schema is checked by the tests, not by these types. */
export interface KubernetesObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly labels?: Readonly<Record<string, string>> };
  readonly [field: string]: unknown;
}

export interface KubernetesDeployOptions {
  /** Gateway replicas (shards). Nodes spread over them by rendezvous hashing (src/gateway/replicas.ts). @default 1 */
  readonly gateways: number;
  /** Each gateway pod's requests, when the job's size is known (`gatewayResourcesFor`); GATEWAY_RESOURCES otherwise. */
  readonly gatewayResources?: GatewayResources;
  /** Run the gateways with their own consistency check, when the job's size allows it (src/monitoring/consistency-check.ts). @default false */
  readonly gatewayConsistencyCheck?: boolean;
}

export interface GatewayResources {
  readonly requests: { readonly cpu: string; readonly memory: string };
  readonly limits: { readonly memory: string };
}

export const DEFAULT_KUBERNETES_OPTIONS: KubernetesDeployOptions = Object.freeze({ gateways: 1 });

/** Replicas of each example node StatefulSet (as the swarm file has). */
const EXAMPLE_REPLICAS: Readonly<Record<NodeRole, number>> = { trainer: 2, middleware: 1, server: 2 };

/** Where the nodes find global_config.yaml (PERSIA_GLOBAL_CONFIG points there). */
export const GLOBAL_CONFIG_DIR = '/etc/persia-metrics';

/** Names of the job's objects; `base` is the job name turned into a DNS label. */
export interface KubernetesNames {
  readonly base: string;
  readonly gatewayDeployment: string;
  /** The headless Service: the DNS name nodes push to. PersiaML's operator uses the same name. */
  readonly gatewayService: string;
  readonly globalConfig: string;
  readonly nodesService: string;
  nodeStatefulSet(role: NodeRole): string;
}

/** The job's object names, from its one Kubernetes mapping (src/monitoring/job-name.ts); for a name resolveDeployOptions accepted for Kubernetes. */
export function kubernetesNames(jobName: string): KubernetesNames {
  const base = kubernetesBaseName(jobName);
  return {
    base,
    gatewayDeployment: `${base}-metrics-gateway`,
    gatewayService: `${base}${LONGEST_KUBERNETES_SUFFIX}`,
    globalConfig: `${base}-global-config`,
    nodesService: `${base}-nodes`,
    nodeStatefulSet: (role) => `${base}-${role}`,
  };
}

/** The address nodes push to: the headless Service's name, which resolves to every ready gateway pod. */
export function gatewayAddress(names: KubernetesNames): string {
  return `${names.gatewayService}:${DEFAULT_GATEWAY_PORT}`;
}

function jobLabels(jobName: string): Record<string, string> {
  return { 'app.kubernetes.io/part-of': 'persia-metrics', 'persia.metrics.job': jobName };
}

/** The labels every gateway pod and Service carry: what the scrape configuration and the monitors select. */
export function gatewaySelector(jobName: string): Record<string, string> {
  return { 'persia.metrics.gateway': 'true', 'persia.metrics.job': jobName };
}

function gatewayLabels(jobName: string): Record<string, string> {
  return { ...jobLabels(jobName), 'app.kubernetes.io/component': 'metrics-gateway', ...gatewaySelector(jobName) };
}

/**
 * Requests sized from bench/README.md section 3: one gateway with the consistency check off held 1,024
 * nodes × 1,000 series (1.04 M series) at 0.37 cores and 894 MiB RSS. No CPU limit: a throttled gateway
 * answers Prometheus' multi-second scrape even later; the memory limit leaves room for the text rendering
 * of a scrape beside the stored groups.
 */
export const GATEWAY_RESOURCES: GatewayResources = Object.freeze({ requests: { cpu: '500m', memory: '1Gi' }, limits: { memory: '2Gi' } });

/**
 * Per-pod requests for a job whose size `init` was told (--nodes, --series-per-node): the capacity model's
 * cores and memory for all gateways (src/monitoring/capacity.ts, headroom included) divided over the
 * replicas, at least 100m and 256Mi each; the memory limit twice the request, for a scrape's rendering.
 */
export function gatewayResourcesFor(totalCores: number, totalGiB: number, gateways: number): GatewayResources {
  const millicores = Math.max(100, Math.ceil((totalCores * 1000) / gateways / 50) * 50);
  const mebibytes = Math.max(256, Math.ceil((totalGiB * 1024) / gateways / 64) * 64);
  return { requests: { cpu: `${millicores}m`, memory: `${mebibytes}Mi` }, limits: { memory: `${2 * mebibytes}Mi` } };
}

export function gatewayDeployment(options: DeployOptions, names: KubernetesNames, k8s: KubernetesDeployOptions): KubernetesObject {
  const labels = gatewayLabels(options.jobName);
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: names.gatewayDeployment, labels },
    spec: {
      replicas: validateGatewayCount(k8s.gateways),
      selector: { matchLabels: gatewaySelector(options.jobName) },
      // One replica at a time, a new one ready first: a node whose gateway goes away fails over to another.
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: { labels },
        spec: {
          automountServiceAccountToken: false,
          // The upstream image's user (nobody): the gateway keeps its groups in memory only.
          securityContext: { runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534 },
          // Shards on different machines: one machine lost takes one shard's nodes to the others.
          affinity: {
            podAntiAffinity: {
              preferredDuringSchedulingIgnoredDuringExecution: [
                { weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: gatewaySelector(options.jobName) } } },
              ],
            },
          },
          containers: [
            {
              name: 'pushgateway',
              image: PUSHGATEWAY_IMAGE,
              // The gateway's own consistency check refuses a push whose family clashes with another group's type
              // (that family is lost, not the gateway's whole /metrics); it costs ~0.5 µs per stored series per
              // push, so it is on only where the job's size allows (src/monitoring/consistency-check.ts). No persistence file.
              args: [...consistencyCheckFlags({ on: k8s.gatewayConsistencyCheck === true }), '--persistence.file='],
              ports: [{ name: 'http', containerPort: DEFAULT_GATEWAY_PORT }],
              // Only ready gateways are in the headless Service's DNS answer, so nodes never pick a starting one.
              readinessProbe: { httpGet: { path: '/-/ready', port: 'http' }, periodSeconds: 5, timeoutSeconds: 5 },
              livenessProbe: { httpGet: { path: '/-/healthy', port: 'http' }, periodSeconds: 15, timeoutSeconds: 5, failureThreshold: 4 },
              resources: k8s.gatewayResources ?? GATEWAY_RESOURCES,
              securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
            },
          ],
        },
      },
    },
  };
}

/**
 * Headless (no virtual IP), whatever the replica count: the name resolves to one address per ready gateway
 * and each node picks its shard itself, as with a comma-separated list. A virtual IP would balance each new
 * connection, so one node's pushes would land on several gateways, each keeping its own copy of its group.
 */
export function gatewayService(options: DeployOptions, names: KubernetesNames): KubernetesObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: names.gatewayService, labels: gatewayLabels(options.jobName) },
    spec: {
      clusterIP: 'None',
      selector: gatewaySelector(options.jobName),
      ports: [{ name: 'http', port: DEFAULT_GATEWAY_PORT, targetPort: 'http' }],
    },
  };
}

export function globalConfigMap(options: DeployOptions, names: KubernetesNames): KubernetesObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: names.globalConfig, labels: jobLabels(options.jobName) },
    data: { 'global_config.yaml': renderGlobalConfig(options) },
  };
}

/** StatefulSets need a governing Service; headless without ports, it only gives each node pod a DNS name. */
export function nodesService(options: DeployOptions, names: KubernetesNames): KubernetesObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: names.nodesService, labels: jobLabels(options.jobName) },
    spec: { clusterIP: 'None', selector: { ...jobLabels(options.jobName), 'app.kubernetes.io/component': 'node' } },
  };
}

/**
 * An example node StatefulSet for `role`: the simulated node stands in for the job's own container, which
 * keeps the same environment. REPLICA_INDEX comes from the pod's ordinal through the downward API: the
 * StatefulSet controller labels each pod `apps.kubernetes.io/pod-index` (Kubernetes ≥ 1.28). A stable
 * ordinal gives a restarted pod its old instance label `rep_<n>`, so it replaces its own group instead of
 * leaving a stale one.
 */
export function nodeStatefulSet(options: DeployOptions, names: KubernetesNames, role: NodeRole): KubernetesObject {
  const labels = { ...jobLabels(options.jobName), 'app.kubernetes.io/component': 'node', 'persia.metrics.role': role };
  const replicas = EXAMPLE_REPLICAS[role];
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: names.nodeStatefulSet(role), labels },
    spec: {
      serviceName: names.nodesService,
      replicas,
      // Nodes do not wait for each other: all start (and stop) at once.
      podManagementPolicy: 'Parallel',
      selector: { matchLabels: { 'persia.metrics.job': options.jobName, 'persia.metrics.role': role } },
      template: {
        metadata: { labels },
        spec: {
          automountServiceAccountToken: false,
          // The final push on SIGTERM (delete_on_shutdown) needs well under this.
          terminationGracePeriodSeconds: 30,
          securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000 },
          containers: [
            {
              name: 'node',
              image: NODE_IMAGE,
              args: ['simulate-node'],
              env: [
                { name: 'PERSIA_GLOBAL_CONFIG', value: `${GLOBAL_CONFIG_DIR}/global_config.yaml` },
                { name: 'PERSIA_METRICS_GATEWAY_ADDR', value: gatewayAddress(names) },
                { name: 'PERSIA_NODE_ROLE', value: role },
                // Without the label (Kubernetes < 1.28) this is empty and the node refuses to start, naming REPLICA_INDEX.
                { name: 'REPLICA_INDEX', valueFrom: { fieldRef: { fieldPath: "metadata.labels['apps.kubernetes.io/pod-index']" } } },
                { name: 'REPLICA_SIZE', value: String(replicas) },
              ],
              volumeMounts: [{ name: 'global-config', mountPath: GLOBAL_CONFIG_DIR, readOnly: true }],
              resources: { requests: { cpu: '50m', memory: '96Mi' }, limits: { memory: '256Mi' } },
              securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
            },
          ],
          volumes: [{ name: 'global-config', configMap: { name: names.globalConfig } }],
        },
      },
    },
  };
}

export function nodeStatefulSets(options: DeployOptions, names: KubernetesNames): KubernetesObject[] {
  return NODE_ROLES.map((role) => nodeStatefulSet(options, names, role));
}
