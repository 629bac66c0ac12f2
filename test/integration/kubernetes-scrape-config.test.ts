/**
 * The scrape job of kubernetes/prometheus-scrape.yml, checked by promtool and run by the real Prometheus.
 *
 * Debian's Prometheus 2.42 is built without Kubernetes service discovery, so its promtool refuses the
 * `kubernetes_sd_configs` key itself ("field kubernetes_sd_configs not found"). The test accepts exactly that
 * refusal (any other one fails it; a promtool with Kubernetes discovery must accept the file as it is), then
 * checks the job with its discovery swapped for file_sd that hands Prometheus the same `__meta_kubernetes_*`
 * labels a gateway pod has. Run by the real Prometheus against a real gateway, its relabelling keeps the
 * gateway pod and drops a pod of another kind, a pod not Running and another port, keeps the node's own job /
 * role / instance, and drops a group pushed under another job; a pushed `namespace` or `persia_job` never
 * replaces the pod's. What stays unproven here: the pod discovery itself (an API server).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dump, load } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KUBERNETES_SCRAPE_JOB } from '../../src/deploy/kubernetes/monitoring.js';
import { GATEWAY_SCRAPE_JOB_PREFIX } from '../../src/monitoring/health.js';
import { startPrometheus, startPushgateway, type RunningPrometheus, type RunningPushgateway } from '../../src/local-stack/index.js';
import { requireBinary } from '../helpers/binaries.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SHIPPED = join(ROOT, 'kubernetes', 'prometheus-scrape.yml');
const promtool = requireBinary('promtool');
const prometheus = requireBinary('prometheus');
const pushgateway = requireBinary('prometheus-pushgateway');
const scratch = mkdtempSync(join(tmpdir(), 'persia-k8s-scrape-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface ScrapeJob {
  job_name: string;
  kubernetes_sd_configs?: unknown;
  file_sd_configs?: unknown;
  [key: string]: unknown;
}

/** The shipped file's gateway job with its pod discovery replaced by file_sd reading `targetsFile`. */
function jobWithFileSd(targetsFile: string): ScrapeJob {
  const config = load(readFileSync(SHIPPED, 'utf8')) as { scrape_configs: ScrapeJob[] };
  const [job] = config.scrape_configs;
  if (job === undefined || job.kubernetes_sd_configs === undefined) throw new Error(`${SHIPPED} has no kubernetes_sd_configs job`);
  const { kubernetes_sd_configs: _, ...rest } = job;
  return { ...rest, file_sd_configs: [{ files: [targetsFile], refresh_interval: '1s' }] };
}

/** The meta labels Prometheus' pod discovery gives a container port of a pod. */
function pod(address: string, overrides: Record<string, string>): { targets: string[]; labels: Record<string, string> } {
  return {
    targets: [address],
    labels: {
      __meta_kubernetes_namespace: 'training',
      __meta_kubernetes_pod_name: 'dlrm-v1-0-metrics-gateway-7d9f-abcde',
      __meta_kubernetes_pod_phase: 'Running',
      __meta_kubernetes_pod_label_persia_metrics_gateway: 'true',
      __meta_kubernetes_pod_label_persia_metrics_job: 'dlrm_v1.0',
      __meta_kubernetes_pod_container_port_number: '9091',
      ...overrides,
    },
  };
}

describe.skipIf(promtool === undefined)('kubernetes/prometheus-scrape.yml and promtool', () => {
  it('is accepted as it is, or refused only for the Kubernetes discovery this promtool was built without', () => {
    const result = spawnSync(promtool ?? '', ['check', 'config', SHIPPED], { encoding: 'utf8' });
    const output = `${result.stdout}${result.stderr}`;
    if (result.status === 0) return;
    const errors = output.split('\n').filter((line) => /not found in type|FAILED|error/i.test(line));
    expect(output).toContain('field kubernetes_sd_configs not found in type config.ScrapeConfig');
    expect(errors.join('\n').replace(/.*field kubernetes_sd_configs not found in type config\.ScrapeConfig/g, '')).not.toMatch(/not found in type|invalid|unknown/i);
  });

  it('everything but the discovery passes promtool check config', () => {
    const config = load(readFileSync(SHIPPED, 'utf8')) as Record<string, unknown>;
    const file = join(scratch, 'prometheus.yml');
    writeFileSync(file, dump({ ...config, scrape_configs: [jobWithFileSd(join(scratch, 'targets.json'))] }));
    writeFileSync(join(scratch, 'targets.json'), '[]');
    const result = spawnSync(promtool ?? '', ['check', 'config', file], { encoding: 'utf8' });
    expect(result.status, `${result.stdout}${result.stderr}`).toBe(0);
  });
});

describe.skipIf(prometheus === undefined || pushgateway === undefined)('the scrape job run by the real Prometheus', () => {
  let gateway: RunningPushgateway;
  let server: RunningPrometheus;

  beforeAll(async () => {
    gateway = await startPushgateway({ extraArgs: ['--push.disable-consistency-check'] });
    const pushes: Array<[string, string]> = [
      ['job/dlrm_v1.0/role/trainer/instance/rep_3', 'staleness 4\n'],
      // A process of this job posing as another namespace's and another job's node.
      ['job/dlrm_v1.0/role/trainer/instance/rep_4', 'staleness{namespace="kube-system",persia_job="other"} 5\n'],
      ['job/other/role/trainer/instance/rep_3', 'staleness{namespace="kube-system",persia_job="other"} 6\n'],
    ];
    for (const [path, body] of pushes) {
      const response = await fetch(`${gateway.url}/metrics/${path}`, { method: 'PUT', body });
      expect(response.ok).toBe(true);
    }
    const targetsFile = join(scratch, 'pods.json');
    writeFileSync(
      targetsFile,
      JSON.stringify([
        pod(gateway.address, {}),
        // Each decoy points at the same gateway from another namespace: kept by mistake, it would be a second target.
        pod(gateway.address, { __meta_kubernetes_pod_label_persia_metrics_gateway: 'false', __meta_kubernetes_pod_name: 'other-app', __meta_kubernetes_namespace: 'decoy-1' }),
        pod(gateway.address, { __meta_kubernetes_pod_phase: 'Pending', __meta_kubernetes_pod_name: 'pending-gateway', __meta_kubernetes_namespace: 'decoy-2' }),
        pod(gateway.address, { __meta_kubernetes_pod_container_port_number: '8080', __meta_kubernetes_pod_name: 'sidecar-port', __meta_kubernetes_namespace: 'decoy-3' }),
      ]),
    );
    server = await startPrometheus({ scrapeTargets: [], extraScrapeConfigsYaml: dump([jobWithFileSd(targetsFile)]) });
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    await gateway?.stop();
  });

  it('keeps the gateway pod only, labelled with the training job and namespace, never the pod name', async () => {
    const deadline = Date.now() + 20_000;
    let targets = await server.targets();
    while (!targets.some((t) => t.health === 'up') && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      targets = await server.targets();
    }
    expect(targets.map((t) => [t.scrapePool, t.health, t.labels])).toEqual([
      [KUBERNETES_SCRAPE_JOB, 'up', { instance: gateway.address, job: KUBERNETES_SCRAPE_JOB, namespace: 'training', persia_job: 'dlrm_v1.0' }],
    ]);
    // What the gateway-down alert and the job health dashboard select (src/monitoring/alert-rules.ts, dashboards.ts).
    const up = await server.queryUntil(`up{job=~"${GATEWAY_SCRAPE_JOB_PREFIX}.*", persia_job="dlrm_v1.0"}`, (samples) => samples.length === 1);
    expect(up[0]?.value).toBe(1);
  });

  it("keeps the node's pushed job, role and instance, with no exported_* labels", async () => {
    const [sample] = await server.queryUntil('staleness{instance="rep_3"}', (samples) => samples.length === 1);
    expect(sample?.metric).toEqual({ __name__: 'staleness', job: 'dlrm_v1.0', role: 'trainer', instance: 'rep_3', namespace: 'training', persia_job: 'dlrm_v1.0' });
    expect(sample?.value).toBe(4);
  });

  it("a pushed namespace or persia_job never replaces the pod's, and a group pushed under another job is dropped", async () => {
    const [posing] = await server.queryUntil('staleness{instance="rep_4"}', (samples) => samples.length === 1);
    expect(posing?.metric).toMatchObject({ job: 'dlrm_v1.0', namespace: 'training', persia_job: 'dlrm_v1.0', exported_namespace: 'kube-system' });
    expect(await server.query('count_over_time(staleness{job="other"}[5m])')).toEqual([]);
    expect(await server.query('count_over_time(staleness{namespace="kube-system"}[5m])')).toEqual([]);
  });
});

/**
 * The ServiceMonitor's metricRelabelings as the Prometheus Operator writes them into Prometheus's configuration:
 * snake_case keys, and a field whose value is empty left out (the operator omits an empty regex, so a step
 * relying on one would fall back to Prometheus's default `(.*)`).
 */
function asTheOperatorWritesThem(steps: ReadonlyArray<Record<string, unknown>>): Array<Record<string, unknown>> {
  const keys: Record<string, string> = { sourceLabels: 'source_labels', targetLabel: 'target_label' };
  return steps.map((step) => Object.fromEntries(Object.entries(step).flatMap(([key, value]) => (value === '' ? [] : [[keys[key] ?? key, value]]))));
}

describe.skipIf(prometheus === undefined || pushgateway === undefined)("the Operator's ServiceMonitor, as the operator configures Prometheus", () => {
  let gateway: RunningPushgateway;
  let server: RunningPrometheus;

  beforeAll(async () => {
    gateway = await startPushgateway();
    const pushes: Array<[string, string]> = [
      ['job/persia_demo/role/trainer/instance/rep_3', 'staleness 4\n'],
      ['job/persia_demo', 'staleness 5\n'],
      ['job/other/role/trainer/instance/rep_3', 'staleness{persia_job="persia_demo"} 6\n'],
    ];
    for (const [path, body] of pushes) {
      expect((await fetch(`${gateway.url}/metrics/${path}`, { method: 'PUT', body })).ok).toBe(true);
    }
    const monitor = load(readFileSync(join(ROOT, 'kubernetes/prometheus-operator/service-monitor.yaml'), 'utf8')) as {
      spec: { endpoints: Array<{ honorLabels: boolean; metricRelabelings: Array<Record<string, unknown>> }> };
    };
    const [endpoint] = monitor.spec.endpoints;
    if (endpoint === undefined) throw new Error('the ServiceMonitor has no endpoint');
    // The labels its relabelings give a target: the scrape job's name and the training job it was rendered for.
    const job = {
      job_name: KUBERNETES_SCRAPE_JOB,
      honor_labels: endpoint.honorLabels,
      static_configs: [{ targets: [gateway.address], labels: { persia_job: 'persia_demo', namespace: 'training' } }],
      metric_relabel_configs: asTheOperatorWritesThem(endpoint.metricRelabelings),
    };
    server = await startPrometheus({ scrapeTargets: [], extraScrapeConfigsYaml: dump([job]) });
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    await gateway?.stop();
  });

  it("keeps its own job's groups with their pushed labels and drops another job's", async () => {
    const samples = await server.queryUntil('staleness', (found) => found.length === 2);
    const labels = (metric: Record<string, string>): string => JSON.stringify(Object.entries(metric).sort());
    expect(samples.map((sample) => labels(sample.metric)).sort()).toEqual(
      [
        { __name__: 'staleness', job: 'persia_demo', role: 'trainer', instance: 'rep_3', namespace: 'training', persia_job: 'persia_demo' },
        { __name__: 'staleness', job: 'persia_demo', namespace: 'training', persia_job: 'persia_demo' },
      ]
        .map(labels)
        .sort(),
    );
    expect(await server.query('count_over_time(staleness{job="other"}[5m])')).toEqual([]);
    // The gateway's own series keep the scrape job's name.
    expect((await server.query('pushgateway_build_info'))[0]?.metric['job']).toBe(KUBERNETES_SCRAPE_JOB);
  });
});
