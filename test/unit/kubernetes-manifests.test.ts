/**
 * The Kubernetes objects of `init --target kubernetes` validate against the Kubernetes schemas
 * (kubernetes-models, and its Prometheus Operator models for ServiceMonitor / PodMonitor), and hold
 * together the way the API server and the controllers need: names and labels the API accepts, selectors that
 * select their own pods, the Service the nodes push to, the config the nodes read. (promtool on the scrape
 * configuration: test/integration/kubernetes-scrape-config.test.ts; the pods on Podman: test/e2e.)
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAll } from 'js-yaml';
import { ConfigMap, Service } from 'kubernetes-models/v1';
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { PodMonitor, PrometheusRule, ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { afterAll, describe, expect, it } from 'vitest';
import { parseGatewayList } from '../../src/gateway/address.js';
import { loadConfig } from '../../src/config/resolve.js';
import { DEFAULT_DEPLOY_OPTIONS, resolveDeployOptions } from '../../src/deploy/deploy-options.js';
import { DEFAULT_KUBERNETES_OPTIONS, gatewayDeployment, type KubernetesObject, kubernetesNames } from '../../src/deploy/kubernetes/manifests.js';
import { MAX_GATEWAYS } from '../../src/monitoring/capacity.js';
import { KUBERNETES_SCRAPE_JOB, serviceMonitor } from '../../src/deploy/kubernetes/monitoring.js';
import { GATEWAY_SCRAPE_JOB_PREFIX } from '../../src/monitoring/health.js';
import { kubernetesObjectsByFile, renderKubernetesDeployment } from '../../src/deploy/kubernetes/render.js';
import { RULES_OBJECT_NAME } from '../../src/deploy/kubernetes/rules.js';
import { renderInitDeployment } from '../../src/deploy/render-deployment.js';
import { DeployUsageError } from '../../src/errors.js';

const scratch = mkdtempSync(join(tmpdir(), 'persia-k8s-unit-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Each kind's model: constructing it and calling validate() checks the object against the schema. */
const MODELS: Record<string, (object: KubernetesObject) => { validate(): void }> = {
  'v1/ConfigMap': (o) => new ConfigMap(o),
  'v1/Service': (o) => new Service(o),
  'apps/v1/Deployment': (o) => new Deployment(o),
  'apps/v1/StatefulSet': (o) => new StatefulSet(o),
  'monitoring.coreos.com/v1/ServiceMonitor': (o) => new ServiceMonitor(o as never),
  'monitoring.coreos.com/v1/PodMonitor': (o) => new PodMonitor(o as never),
  'monitoring.coreos.com/v1/PrometheusRule': (o) => new PrometheusRule(o as never),
};

// The API server's rules (the schema library checks types and required fields, not these).
const DNS_LABEL = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
const LABEL_NAME = /^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;

interface PodTemplate {
  metadata: { labels: Record<string, string> };
  spec: {
    containers: Array<{
      ports?: Array<{ name: string; containerPort: number }>;
      args?: string[];
      env?: Array<{ name: string; value?: string; valueFrom?: { fieldRef: { fieldPath: string } } }>;
      volumeMounts?: Array<{ name: string; mountPath: string }>;
    }>;
    volumes?: Array<{ name: string; configMap?: { name: string } }>;
  };
}
type Workload = KubernetesObject & { spec: { replicas: number; selector: { matchLabels: Record<string, string> }; template: PodTemplate; serviceName?: string } };
type ServiceObject = KubernetesObject & { spec: { clusterIP?: string; selector: Record<string, string>; ports?: Array<{ port: number; targetPort: string }> } };

const selects = (selector: Record<string, string>, labels: Record<string, string>): boolean => Object.entries(selector).every(([key, value]) => labels[key] === value);

const cases = [
  { job: DEFAULT_DEPLOY_OPTIONS.jobName, gateways: 1 },
  { job: 'dlrm_v1.0', gateways: 4 },
  { job: '2024.run-B', gateways: MAX_GATEWAYS },
];

describe.each(cases)('job $job with $gateways gateway(s)', ({ job, gateways }) => {
  const options = resolveDeployOptions({ jobName: job });
  const byFile = kubernetesObjectsByFile(options, { gateways });
  const objects = [...byFile.values()].flat();
  const names = kubernetesNames(job);
  const find = <T extends KubernetesObject>(kind: string, name: string): T => {
    const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
    if (found === undefined) throw new Error(`no ${kind} ${name}`);
    return found as T;
  };
  const gateway = find<Workload>('Deployment', names.gatewayDeployment);
  const service = find<ServiceObject>('Service', names.gatewayService);
  const statefulSets = objects.filter((o): o is Workload => o.kind === 'StatefulSet');

  it.each(objects.map((o) => [`${o.kind} ${o.metadata.name}`, o] as const))('%s validates against the Kubernetes schema', (_, object) => {
    const model = MODELS[`${object.apiVersion}/${object.kind}`];
    expect(model, `no model for ${object.apiVersion} ${object.kind}`).toBeDefined();
    expect(() => model?.(object).validate()).not.toThrow();
  });

  it('every name is a DNS label and every label is one the API server accepts', () => {
    for (const object of objects) {
      expect(object.metadata.name).toMatch(DNS_LABEL);
      for (const [key, value] of Object.entries(object.metadata.labels ?? {})) {
        expect(key).toMatch(LABEL_NAME);
        expect(value).toMatch(LABEL_VALUE);
      }
    }
    // A StatefulSet's pods are <name>-<ordinal>, and the controller-revision-hash label needs ≤ 52 characters.
    for (const set of statefulSets) expect(set.metadata.name.length).toBeLessThanOrEqual(52);
  });

  it('each workload selects its own pods, and the files hold what their names say', () => {
    for (const workload of [gateway, ...statefulSets]) expect(selects(workload.spec.selector.matchLabels, workload.spec.template.metadata.labels)).toBe(true);
    expect([...byFile.keys()]).toEqual(expect.arrayContaining(['kubernetes/gateway.yaml', 'kubernetes/nodes-example.yaml', 'kubernetes/global-config.yaml']));
    expect(byFile.get('kubernetes/gateway.yaml')?.map((o) => o.kind)).toEqual(['Deployment', 'Service']);
  });

  it('the gateway runs as the compose files run it, with as many replicas as asked, behind a headless Service', () => {
    expect(gateway.spec.replicas).toBe(gateways);
    const [container] = gateway.spec.template.spec.containers;
    expect(container?.args).toContain('--push.disable-consistency-check');
    expect(container?.ports).toEqual([{ name: 'http', containerPort: 9091 }]);
    // Headless: the name resolves to every gateway pod, so nodes shard over them (no virtual IP in between).
    expect(service.spec.clusterIP).toBe('None');
    expect(selects(service.spec.selector, gateway.spec.template.metadata.labels)).toBe(true);
    expect(service.spec.ports).toEqual([{ name: 'http', port: 9091, targetPort: 'http' }]);
    expect(names.gatewayService).toBe(`${names.base}-metrics-gateway-service`);
  });

  it('every node pushes to the Service by name, reads the ConfigMap and takes REPLICA_INDEX from its ordinal', () => {
    const configMap = find<KubernetesObject & { data: Record<string, string> }>('ConfigMap', names.globalConfig);
    expect(statefulSets.map((s) => s.metadata.name).sort()).toEqual(['middleware', 'server', 'trainer'].map((role) => `${names.base}-${role}`));
    for (const set of statefulSets) {
      expect(set.spec.serviceName).toBe(names.nodesService);
      const [container] = set.spec.template.spec.containers;
      const env = new Map(container?.env?.map((e) => [e.name, e]));
      const address = env.get('PERSIA_METRICS_GATEWAY_ADDR')?.value ?? '';
      expect(address).toBe(`${service.metadata.name}:9091`);
      expect(parseGatewayList(address).error).toBeUndefined();
      expect(env.get('PERSIA_NODE_ROLE')?.value).toBe(set.spec.template.metadata.labels['persia.metrics.role']);
      expect(env.get('REPLICA_INDEX')?.valueFrom?.fieldRef.fieldPath).toBe("metadata.labels['apps.kubernetes.io/pod-index']");
      expect(env.get('REPLICA_SIZE')?.value).toBe(String(set.spec.replicas));
      const volume = set.spec.template.spec.volumes?.find((v) => v.configMap !== undefined);
      expect(volume?.configMap?.name).toBe(configMap.metadata.name);
      const mount = container?.volumeMounts?.find((m) => m.name === volume?.name);
      expect(env.get('PERSIA_GLOBAL_CONFIG')?.value).toBe(`${mount?.mountPath ?? ''}/global_config.yaml`);
    }
    // The file the nodes read is a valid PersiaMetricsConfig for this job.
    const file = join(scratch, `${names.base}.yaml`);
    writeFileSync(file, configMap.data['global_config.yaml'] ?? '');
    expect(loadConfig({ file, env: {} }).options.jobName).toBe(job);
  });

  it('the monitors select the gateway Service and pods, with honorLabels off (the relabelling puts the pushed job back)', () => {
    const serviceMonitor = find<
      KubernetesObject & {
        spec: {
          selector: { matchLabels: Record<string, string> };
          endpoints: Array<{ port: string; honorLabels: boolean; relabelings: unknown[]; metricRelabelings: Array<{ action: string }> }>;
        };
      }
    >('ServiceMonitor', names.gatewayDeployment);
    const podMonitor = find<
      KubernetesObject & {
        spec: {
          selector: { matchLabels: Record<string, string> };
          podMetricsEndpoints: Array<{ port: string; honorLabels: boolean; relabelings: unknown[]; metricRelabelings: Array<{ action: string }> }>;
        };
      }
    >('PodMonitor', names.gatewayDeployment);
    expect(selects(serviceMonitor.spec.selector.matchLabels, service.metadata.labels ?? {})).toBe(true);
    expect(serviceMonitor.spec.endpoints).toEqual([expect.objectContaining({ port: 'http', honorLabels: false })]);
    expect(selects(podMonitor.spec.selector.matchLabels, gateway.spec.template.metadata.labels)).toBe(true);
    expect(podMonitor.spec.podMetricsEndpoints).toEqual([expect.objectContaining({ port: 'http', honorLabels: false })]);
    // The scrape job's name the gateway-down alert and the job health dashboard select, and the training job.
    for (const endpoint of [...serviceMonitor.spec.endpoints, ...podMonitor.spec.podMetricsEndpoints]) {
      expect(endpoint.relabelings).toEqual([
        { targetLabel: 'job', replacement: KUBERNETES_SCRAPE_JOB, action: 'replace' },
        { targetLabel: 'persia_job', replacement: job, action: 'replace' },
      ]);
      // A group pushed under another job is dropped (src/deploy/prometheus/gateway-series.ts).
      expect(endpoint.metricRelabelings.map((step) => step.action)).toContain('keepequal');
    }
    expect(KUBERNETES_SCRAPE_JOB.startsWith(GATEWAY_SCRAPE_JOB_PREFIX)).toBe(true);
  });

  it('the written YAML reads back as exactly these objects', () => {
    const files = renderKubernetesDeployment(options, { gateways });
    for (const [path, expected] of byFile) expect(loadAll(files.get(path) ?? '')).toEqual(expected);
  });
});

describe('the schema check', () => {
  // kubernetes-models checks types, required fields and formats (not unknown fields, not the API server's name rules above).
  it('refuses a wrong type or a missing required field, so the passes above mean something', () => {
    const options = DEFAULT_DEPLOY_OPTIONS;
    const deployment = gatewayDeployment(options, kubernetesNames(options.jobName), DEFAULT_KUBERNETES_OPTIONS) as KubernetesObject & { spec: Record<string, unknown> };
    expect(() => new Deployment({ ...deployment, spec: { ...deployment.spec, replicas: '2' } } as never).validate()).toThrow(/replicas must be integer/);
    const { template: _, ...withoutTemplate } = deployment.spec;
    expect(() => new Deployment({ ...deployment, spec: withoutTemplate } as never).validate()).toThrow(/template/);
    const monitor = serviceMonitor(options, kubernetesNames(options.jobName)) as KubernetesObject & { spec: { endpoints: Array<Record<string, unknown>> } };
    const endpoints = monitor.spec.endpoints.map((endpoint) => ({ ...endpoint, honorLabels: 'yes' }));
    expect(() => new ServiceMonitor({ ...monitor, spec: { ...monitor.spec, endpoints } } as never).validate()).toThrow(/honorLabels must be boolean/);
  });
});

describe('names and options', () => {
  it('keeps a job name that is a DNS label already; maps any other and adds a hash of the exact name', () => {
    expect(kubernetesNames('dlrm-v1-0').gatewayService).toBe('dlrm-v1-0-metrics-gateway-service');
    expect(kubernetesNames('dlrm_v1.0').gatewayService).toMatch(/^dlrm-v1-0-[0-9a-f]{6}-metrics-gateway-service$/);
    expect(kubernetesNames('2024.run').base).toMatch(/^job-2024-run-[0-9a-f]{6}$/);
    expect(kubernetesNames('Persia__Demo').base).toMatch(/^persia-demo-[0-9a-f]{6}$/);
    // Stable: rendering again (another init, another machine) gives the same names.
    expect(kubernetesNames('dlrm_v1.0').base).toBe(kubernetesNames('dlrm_v1.0').base);
  });

  it('jobs whose names map to the same DNS label get distinct objects, so one namespace can hold both', () => {
    const jobs = ['dlrm_v1.0', 'dlrm-v1-0', 'DLRM.V1.0', 'dlrm.v1.0', 'dlrm_v1_0', 'Dlrm-V1-0'];
    // The rules are every job's (one copy per Prometheus, see the next describe); everything else is the job's own.
    const namesByFile = jobs.map((job) =>
      [...kubernetesObjectsByFile(resolveDeployOptions({ jobName: job }), DEFAULT_KUBERNETES_OPTIONS).values()]
        .flat()
        .filter((o) => o.metadata.name !== RULES_OBJECT_NAME)
        .map((o) => `${o.kind}/${o.metadata.name}`),
    );
    const all = namesByFile.flat();
    expect(new Set(all).size, all.join(' ')).toBe(all.length);
    for (const names of namesByFile) for (const name of names) expect(name.slice(name.indexOf('/') + 1)).toMatch(DNS_LABEL);
  });

  it.each([
    ['persia_', /end with a letter or digit/],
    ['a'.repeat(40), /longer than 39 characters/],
    ['a_' + 'a'.repeat(31), /longer than 32 characters/],
  ])('refuses job %s with a DeployUsageError', (job, message) => {
    // The one check of a job name, for the target it is rendered for (init --target kubernetes makes it).
    expect(() => resolveDeployOptions({ jobName: job }, 'kubernetes')).toThrow(DeployUsageError);
    expect(() => resolveDeployOptions({ jobName: job }, 'kubernetes')).toThrow(message);
  });

  it.each([0, -1, 1.5, MAX_GATEWAYS + 1, Number.NaN])('refuses %s gateways', (gateways) => {
    expect(() => renderKubernetesDeployment(DEFAULT_DEPLOY_OPTIONS, { gateways })).toThrow(/--gateways must be a whole number from 1 to 64/);
  });
});

describe('alert and recording rules for a Prometheus on Kubernetes', () => {
  const options = resolveDeployOptions({ jobName: 'dlrm_v1.0', pushIntervalSeconds: 30 });
  const byFile = kubernetesObjectsByFile(options, DEFAULT_KUBERNETES_OPTIONS);
  const compose = renderInitDeployment(options);
  const composeRules = ['persia-alerts.yml', 'persia-recording.yml'].map((file) => compose.get(`config/prometheus/rules/${file}`) ?? '');

  it('the ConfigMap holds exactly the rule files of the compose deployment', () => {
    const [configMap] = byFile.get('kubernetes/prometheus-rules.yaml') ?? [];
    const data = (configMap as KubernetesObject & { data: Record<string, string> }).data;
    expect(Object.keys(data)).toEqual(['persia-alerts.yml', 'persia-recording.yml']);
    expect(Object.values(data)).toEqual(composeRules);
  });

  it('the PrometheusRule holds the same groups, with every alert and record, and validates', () => {
    const [rule] = byFile.get('kubernetes/prometheus-operator/prometheus-rule.yaml') ?? [];
    const groups = (rule as KubernetesObject & { spec: { groups: Array<{ name: string; rules: Array<{ alert?: string; record?: string }> }> } }).spec.groups;
    const expected = composeRules.flatMap((text) => (loadAll(text)[0] as { groups: unknown[] }).groups);
    expect(groups).toEqual(expected);
    const alerts = groups.flatMap((g) => g.rules.flatMap((r) => (r.alert === undefined ? [] : [r.alert])));
    expect(alerts).toEqual(expect.arrayContaining(['PersiaNodeStoppedPushing', 'PersiaGatewayDown', 'PersiaStragglerNode']));
    expect(() => new PrometheusRule(rule as never).validate()).not.toThrow();
  });

  it('is named for every job: a second job rendered into the same namespace replaces it rather than doubling every alert', () => {
    const other = kubernetesObjectsByFile(resolveDeployOptions({ jobName: 'other' }), DEFAULT_KUBERNETES_OPTIONS);
    for (const path of ['kubernetes/prometheus-rules.yaml', 'kubernetes/prometheus-operator/prometheus-rule.yaml']) {
      expect(other.get(path)?.[0]?.metadata.name).toBe(RULES_OBJECT_NAME);
      expect(byFile.get(path)?.[0]?.metadata.name).toBe(RULES_OBJECT_NAME);
    }
  });
});
