/**
 * The render functions for a job other than the shipped default: job name, thresholds and service names
 * follow the options. (That the rendered files pass promtool and docker-compose too, not only the golden
 * ones, is in test/integration/deploy-render-tools.test.ts: it runs the real tools.)
 */
import { load } from 'js-yaml';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { alertSpecs } from '../../src/monitoring/alert-rules.js';
import { testedAlerts } from '../../src/monitoring/alert-rule-tests.js';
import { DeployUsageError } from '../../src/errors.js';
import { resolveDeployOptions } from '../../src/deploy/deploy-options.js';
import { serviceSuffix } from '../../src/monitoring/job-name.js';
import { renderInitDeployment } from '../../src/deploy/render-deployment.js';

const options = resolveDeployOptions({ jobName: 'dlrm_v1.0', pushIntervalSeconds: 30, indexMissRatioThreshold: 0.5, stalenessThreshold: 4 });
const files = renderInitDeployment(options, 'ctr.b');
const text = (path: string): string => {
  const found = files.get(path);
  if (found === undefined) throw new Error(`${path} not rendered`);
  return found;
};
type Service = { labels?: Record<string, string>; environment?: Record<string, string>; volumes?: string[] };
const services = (path: string) => (load(text(path)) as { services: Record<string, Service> }).services;

describe('deploy options', () => {
  it.each(['', 'has space', '-leading', 'a/b', 'x'.repeat(64), 'ünicode'])('rejects job name %j', (name) => {
    expect(() => resolveDeployOptions({ jobName: name })).toThrow(DeployUsageError);
  });

  it('accepts PersiaML-style names and refuses nonsense thresholds', () => {
    expect(resolveDeployOptions({ jobName: 'dlrm_v1.0' }).jobName).toBe('dlrm_v1.0');
    expect(() => resolveDeployOptions({ jobName: 'j', indexMissRatioThreshold: 1.5 })).toThrow(/between 0 and 1/);
    expect(() => resolveDeployOptions({ jobName: 'j', pushIntervalSeconds: 0 })).toThrow(/push interval 0 is not a valid push_interval_seconds/); // the node's own rule for the interval
  });

  it('turns job names into DNS-safe service suffixes', () => {
    expect(serviceSuffix('DLRM_v1.0')).toBe('dlrm_v1_0');
  });
});

describe('renderInitDeployment', () => {
  it('lays the files out for `docker-compose up` in the target directory', () => {
    expect([...files.keys()].sort()).toEqual([
      'config/grafana/dashboards/persia-accuracy.json',
      'config/grafana/dashboards/persia-efficiency.json',
      'config/grafana/dashboards/persia-job-health.json',
      'config/grafana/provisioning/dashboards/persia.yml',
      'config/grafana/provisioning/datasources/prometheus.yml',
      'config/prometheus/prometheus-swarm.yml',
      'config/prometheus/prometheus.yml',
      'config/prometheus/rules/persia-alerts.test.yml',
      'config/prometheus/rules/persia-alerts.yml',
      'config/prometheus/rules/persia-recording.yml',
      'docker-compose.second-job.yml',
      'docker-compose.swarm.yml',
      'docker-compose.yml',
      'global_config.yaml',
    ]);
    expect(renderInitDeployment(options).has('docker-compose.second-job.yml')).toBe(false);
  });

  it('puts the job name where nodes, gateway labels and DNS discovery need it', () => {
    const config = load(text('global_config.yaml')) as { PersiaMetricsConfig: Record<string, unknown> };
    expect(config.PersiaMetricsConfig).toMatchObject({ enable_metrics: true, job_name: 'dlrm_v1.0', push_interval_seconds: 30 });
    const main = services('docker-compose.yml');
    expect(main['metrics_gateway']?.labels).toEqual({ 'persia.metrics.gateway': 'true', 'persia.metrics.job': 'dlrm_v1.0' });
    expect(main['trainer']?.environment?.['PERSIA_METRICS_JOB_NAME']).toBe('dlrm_v1.0');
    expect(main['prometheus']?.volumes).toContain('./config/prometheus:/etc/prometheus:ro');
    const scrapeJobs = (load(text('config/prometheus/prometheus.yml')) as { scrape_configs: Array<{ job_name: string; relabel_configs?: Array<Record<string, string>> }> })
      .scrape_configs;
    expect(scrapeJobs.find((job) => job.job_name === 'persia_gateway_dns')?.relabel_configs).toContainEqual({ target_label: 'persia_job', replacement: 'dlrm_v1.0' });
    const second = services('docker-compose.second-job.yml');
    expect(Object.keys(second).sort()).toEqual(['metrics_gateway_ctr_b', 'middleware_ctr_b', 'server_ctr_b', 'trainer_ctr_b']);
    expect(second['server_ctr_b']?.environment).toMatchObject({ PERSIA_METRICS_GATEWAY_ADDR: 'metrics_gateway_ctr_b:9091', PERSIA_METRICS_JOB_NAME: 'ctr.b' });
  });

  it('scales alert thresholds with the options', () => {
    const rules = text('config/prometheus/rules/persia-alerts.yml');
    // Each node by its own interval (6 of them); the description names the job's figure, 6 × 30 s.
    expect(rules).toContain('time() - push_time_seconds > 6 * persia_node_push_interval_seconds');
    expect(rules).toContain("(180s at the job's 30s)");
    expect(rules).toContain('index_miss_ratio > 0.5');
    expect(rules).toContain('staleness > 4');
    const tested = testedAlerts(options);
    for (const spec of alertSpecs(options)) {
      expect(tested.firing.has(spec.alert), spec.alert).toBe(true);
      expect(tested.silent.has(spec.alert), spec.alert).toBe(true);
    }
  });

  it('renders dashboards that filter every query by the job variable, with a stale threshold from the options', () => {
    const health = text('config/grafana/dashboards/persia-job-health.json');
    expect(health).toContain('<= 6 * persia_node_push_interval_seconds');
    expect(health).toContain('(180s at 30s');
    const efficiency = JSON.parse(text('config/grafana/dashboards/persia-efficiency.json')) as { panels: Array<{ type: string }> };
    // 6 time costs x (P50/P99, heatmap, rate) + pending batches.
    expect(efficiency.panels.filter((p) => p.type === 'heatmap')).toHaveLength(6);
  });
});

// docker-compose reads YAML 1.1 (PyYAML), Prometheus go-yaml: a job name either would read as a number, a
// boolean, a date or null must reach the nodes, the gateway labels and the DNS job as the same string.
describe('the scrape interval the fast rules are sized from', () => {
  it('is the one prometheus.yml scrapes and evaluates at, with a timeout that fits in it', () => {
    for (const [seconds, timeout] of [
      [15, '10s'],
      [5, '5s'],
    ] as const) {
      const rendered = renderInitDeployment(resolveDeployOptions({ jobName: 'j', scrapeIntervalSeconds: seconds }));
      const config = load(rendered.get('config/prometheus/prometheus.yml') ?? '') as { global: Record<string, string> };
      expect(config.global).toEqual({ scrape_interval: `${seconds}s`, scrape_timeout: timeout, evaluation_interval: `${seconds}s` });
    }
  });
});

describe('job names YAML would read as something else', () => {
  it.each(['123', '1.10', 'true', 'on', 'yes', 'No', 'null', '0x1F', '0o17', '1e3', '2024-01-01', '1_000', '1:30'])('%s stays a string in every file', (jobName) => {
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/.test(jobName)) return; // not a deployable name: refused before rendering
    const rendered = renderInitDeployment(resolveDeployOptions({ jobName }));
    const read = (path: string): unknown[] => [load(rendered.get(path) ?? ''), parseYaml(rendered.get(path) ?? '', { version: '1.1', merge: true })];
    for (const config of read('global_config.yaml')) expect((config as { PersiaMetricsConfig: { job_name: unknown } }).PersiaMetricsConfig.job_name).toBe(jobName);
    for (const compose of read('docker-compose.yml')) {
      const main = (compose as { services: Record<string, Service> }).services;
      expect(main['metrics_gateway']?.labels?.['persia.metrics.job']).toBe(jobName);
      expect(main['trainer']?.environment?.['PERSIA_METRICS_JOB_NAME']).toBe(jobName);
    }
    for (const prometheus of read('config/prometheus/prometheus.yml')) {
      const dns = (prometheus as { scrape_configs: Array<{ job_name: string; relabel_configs?: unknown[] }> }).scrape_configs.find((job) => job.job_name === 'persia_gateway_dns');
      expect(dns?.relabel_configs).toContainEqual({ target_label: 'persia_job', replacement: jobName });
    }
  });
});

// Grafana's provisioning format (apiVersion 1): the datasource every panel names by uid, the dashboards
// provider reading the folder compose mounts. No Grafana can run here (shared/CONTAINERS.md), so the wiring is checked.
describe('Grafana provisioning', () => {
  it('provides the datasource every panel names and the dashboards folder compose mounts', () => {
    const datasources = load(text('config/grafana/provisioning/datasources/prometheus.yml')) as { apiVersion: number; datasources: Array<Record<string, unknown>> };
    expect(datasources.apiVersion).toBe(1);
    expect(datasources.datasources).toEqual([
      {
        name: 'Prometheus',
        uid: 'persia-prometheus',
        type: 'prometheus',
        access: 'proxy',
        url: 'http://prometheus:9090',
        isDefault: true,
        editable: false,
        jsonData: { timeInterval: '15s' },
      },
    ]);
    const uids = new Set([...text('config/grafana/dashboards/persia-job-health.json').matchAll(/"uid": "([^"]+)"/g)].map((m) => m[1]));
    expect(uids).toContain('persia-prometheus');
    const providers = load(text('config/grafana/provisioning/dashboards/persia.yml')) as { apiVersion: number; providers: Array<{ type: string; options: { path: string } }> };
    expect(providers.apiVersion).toBe(1);
    expect(providers.providers.map((p) => [p.type, p.options.path])).toEqual([['file', '/var/lib/grafana/dashboards']]);
    const grafana = services('docker-compose.yml')['grafana'];
    expect(grafana?.volumes).toEqual(['./config/grafana/provisioning:/etc/grafana/provisioning:ro', './config/grafana/dashboards:/var/lib/grafana/dashboards:ro']);
  });
});
