/**
 * The shipped deployment files hold together: the rule tests cover every alert, the dashboards query known
 * series filtered by job, the compose files wire nodes to their gateway. (That the tools which will read them
 * accept them, promtool and docker-compose 1.29, is in test/integration/deploy-assets-tools.test.ts.)
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { METRIC_CATALOG, PERSIA_METRIC_NAMES } from '../../src/metrics/catalog.js';
import { GPU_FAMILIES } from '../../src/monitoring/view-contract.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PROM = join(ROOT, 'config', 'prometheus');
const DASHBOARDS = join(ROOT, 'config', 'grafana', 'dashboards');
const COMPOSE = join(ROOT, 'compose');

const dashboardFiles = readdirSync(DASHBOARDS).filter((file) => file.endsWith('.json'));

describe('Prometheus rule tests', () => {
  it('the rule tests cover every alert, both firing and not firing', () => {
    const rules = load(readFileSync(join(PROM, 'rules', 'persia-alerts.yml'), 'utf8')) as { groups: Array<{ rules: Array<{ alert?: string }> }> };
    const alerts = rules.groups
      .flatMap((group) => group.rules)
      .map((rule) => rule.alert)
      .filter((a): a is string => a !== undefined);
    const tests = load(readFileSync(join(PROM, 'rules', 'persia-alerts.test.yml'), 'utf8')) as {
      tests: Array<{ alert_rule_test: Array<{ alertname: string; exp_alerts: unknown[] }> }>;
    };
    const evals = tests.tests.flatMap((test) => test.alert_rule_test);
    expect(alerts.length).toBeGreaterThanOrEqual(7);
    for (const alert of alerts) {
      expect(
        evals.some((e) => e.alertname === alert && e.exp_alerts.length > 0),
        `${alert} firing`,
      ).toBe(true);
      expect(
        evals.some((e) => e.alertname === alert && e.exp_alerts.length === 0),
        `${alert} silent`,
      ).toBe(true);
    }
  });
});

describe('Grafana dashboards', () => {
  it('has the three dashboards', () => {
    expect(dashboardFiles.sort()).toEqual(['persia-accuracy.json', 'persia-efficiency.json', 'persia-job-health.json']);
  });

  it.each(dashboardFiles)('%s: parses, has a job variable, every panel has PromQL on known metrics', (file) => {
    const dashboard = JSON.parse(readFileSync(join(DASHBOARDS, file), 'utf8')) as {
      uid: string;
      templating: { list: Array<{ name: string }> };
      panels: Array<{ type: string; title: string; targets?: Array<{ expr?: string }> }>;
    };
    expect(dashboard.uid).toMatch(/^persia-/);
    expect(dashboard.templating.list.map((v) => v.name)).toContain('job');
    const known = knownSeriesNames();
    for (const panel of dashboard.panels.filter((p) => p.type !== 'row')) {
      expect(panel.targets?.length ?? 0, `${panel.title} has no query`).toBeGreaterThan(0);
      for (const target of panel.targets ?? []) {
        expect(target.expr ?? '', panel.title).not.toBe('');
        expect(target.expr, `${panel.title} is not filtered by $job`).toContain('"$job"');
        for (const name of seriesNames(target.expr ?? '')) expect(known.has(name), `${panel.title}: unknown series ${name}`).toBe(true);
      }
    }
  });

  it('every PersiaML metric of the spec appears on some dashboard', () => {
    const all = dashboardFiles.map((file) => readFileSync(join(DASHBOARDS, file), 'utf8')).join('\n');
    for (const name of PERSIA_METRIC_NAMES) expect(all, name).toContain(name);
  });
});

/** Names of selected series: an identifier directly followed by `{` (every panel selects with a matcher). */
function seriesNames(expr: string): string[] {
  return [...expr.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\{/g)].map((m) => m[1] ?? '');
}

/** What nodes and gateways push, plus what the shipped recording rules record (a panel may read those). */
function knownSeriesNames(): Set<string> {
  // The gateway's own series, and dcgm-exporter's families the GPU panels draw (pushed by persia-metrics agent).
  const names = new Set(['push_time_seconds', 'push_failure_time_seconds', 'up', ...GPU_FAMILIES]);
  const recording = load(readFileSync(join(PROM, 'rules', 'persia-recording.yml'), 'utf8')) as { groups: Array<{ rules: Array<{ record: string }> }> };
  for (const rule of recording.groups.flatMap((group) => group.rules)) names.add(rule.record);
  for (const spec of METRIC_CATALOG) {
    if (spec.type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(spec.name + suffix);
    else names.add(spec.name);
  }
  return names;
}

describe('compose wiring', () => {
  type Service = { image?: string; command?: string[]; labels?: Record<string, string>; environment?: Record<string, string>; deploy?: { labels?: Record<string, string> } };
  const read = (file: string) => (load(readFileSync(join(COMPOSE, file), 'utf8')) as { services: Record<string, Service> }).services;

  it.each(['docker-compose.yml', 'docker-compose.swarm.yml', 'docker-compose.second-job.yml'])(
    '%s: gateways labelled, consistency check off, nodes pointed at their gateway',
    (file) => {
      const services = read(file);
      const gateways = Object.entries(services).filter(([name]) => name.startsWith('metrics_gateway'));
      expect(gateways.length).toBe(1);
      for (const [, gateway] of gateways) {
        expect(gateway.image).toBe('prom/pushgateway:v1.5.1');
        expect(gateway.command).toContain('--push.disable-consistency-check');
        expect(gateway.labels?.['persia.metrics.gateway']).toBe('true');
        if (file.includes('swarm')) expect(gateway.deploy?.labels?.['persia.metrics.gateway']).toBe('true');
      }
      const [gatewayName, gateway] = gateways[0] ?? ['', {}];
      const nodes = Object.values(services).filter((s) => s.environment?.['PERSIA_NODE_ROLE'] !== undefined);
      expect(nodes.map((n) => n.environment?.['PERSIA_NODE_ROLE']).sort()).toEqual(['middleware', 'server', 'trainer']);
      for (const node of nodes) {
        expect(node.environment?.['PERSIA_METRICS_GATEWAY_ADDR']).toBe(`${gatewayName}:9091`);
        expect(node.environment?.['PERSIA_METRICS_JOB_NAME']).toBe(gateway.labels?.['persia.metrics.job']);
      }
    },
  );
});
