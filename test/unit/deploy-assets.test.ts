/**
 * The shipped deployment files are valid for the tools that will read them: promtool for the Prometheus
 * configs, rules and rule tests; promtool again for every dashboard panel's PromQL; docker-compose 1.29 for
 * every compose file. Under CI=true a missing tool fails the run instead of skipping it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { load } from 'js-yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { METRIC_CATALOG, PERSIA_METRIC_NAMES } from '../../src/metrics/catalog.js';
import { dashboardExpressions, substituteGrafanaVariables } from '../../src/deploy/grafana-model.js';
import { requireBinary } from '../helpers/binaries.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PROM = join(ROOT, 'config', 'prometheus');
const DASHBOARDS = join(ROOT, 'config', 'grafana', 'dashboards');
const COMPOSE = join(ROOT, 'compose');

/** docker-compose is not among the shared helper's binaries; same rule: CI=true and missing is a failure. */
function requireDockerCompose(): string | undefined {
  const dirs = [...(process.env['PATH'] ?? '').split(delimiter).filter(Boolean), '/usr/bin'];
  for (const dir of dirs) {
    try {
      accessSync(join(dir, 'docker-compose'), constants.X_OK);
      return join(dir, 'docker-compose');
    } catch {
      // next
    }
  }
  if (process.env['CI'] === 'true') {
    throw new Error('CI=true and docker-compose not found; install it with: apt-get install --no-install-recommends docker-compose');
  }
  return undefined;
}

const promtool = requireBinary('promtool');
const dockerCompose = requireDockerCompose();
const scratch = mkdtempSync(join(tmpdir(), 'persia-deploy-assets-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Runs a tool; on failure the assertion message carries its output, which says what is wrong. */
function run(bin: string, args: string[], cwd = ROOT): string {
  const result = spawnSync(bin, args, { cwd, encoding: 'utf8', timeout: 30_000 });
  const output = `${result.stdout}${result.stderr}`;
  expect(result.status, `${bin} ${args.join(' ')}\n${output}`).toBe(0);
  return output;
}

const dashboardFiles = readdirSync(DASHBOARDS).filter((file) => file.endsWith('.json'));

describe.skipIf(promtool === undefined)('Prometheus files (promtool)', () => {
  const tool = promtool ?? 'promtool';

  it.each(['prometheus.yml', 'prometheus-swarm.yml'])('promtool check config %s', (file) => {
    run(tool, ['check', 'config', file], PROM);
  });

  it('promtool check rules on every rule file', () => {
    run(tool, ['check', 'rules', 'persia-alerts.yml', 'persia-recording.yml'], join(PROM, 'rules'));
  });

  it('promtool test rules: every alert fires and stays silent where it should', () => {
    const output = run(tool, ['test', 'rules', 'persia-alerts.test.yml'], join(PROM, 'rules'));
    expect(output).toContain('SUCCESS');
  });

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

  it('every dashboard expression parses as PromQL (as recording rules, checked by promtool)', () => {
    const exprs = dashboardFiles.flatMap((file) => dashboardExpressions(JSON.parse(readFileSync(join(DASHBOARDS, file), 'utf8'))).map((e) => ({ ...e, file })));
    const rules = exprs.map((e, i) => ({ record: `persia_dashboard_check:${i}`, expr: substituteGrafanaVariables(e.expr, { job: 'dlrm' }) }));
    const file = join(scratch, 'dashboard-exprs.yml');
    writeFileSync(file, JSON.stringify({ groups: [{ name: 'dashboards', rules }] }));
    run(tool, ['check', 'rules', file]);
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

function knownSeriesNames(): Set<string> {
  const names = new Set(['push_time_seconds', 'push_failure_time_seconds', 'up']);
  for (const spec of METRIC_CATALOG) {
    if (spec.type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(spec.name + suffix);
    else names.add(spec.name);
  }
  return names;
}

describe.skipIf(dockerCompose === undefined)('compose files (docker-compose config -q)', () => {
  const tool = dockerCompose ?? 'docker-compose';
  const composeFiles = [['docker-compose.yml'], ['docker-compose.swarm.yml'], ['docker-compose.yml', 'docker-compose.second-job.yml']];

  it.each(composeFiles.map((files) => [files.join(' + '), files] as const))('%s validates', (_, files) => {
    run(tool, [...files.flatMap((f) => ['-f', f]), 'config', '-q'], COMPOSE);
  });

  it('publishes ports on 127.0.0.1 only, and none on the swarm', () => {
    const merged = execFileSync(tool, ['-f', 'docker-compose.yml', '-f', 'docker-compose.second-job.yml', 'config'], { cwd: COMPOSE, encoding: 'utf8' });
    const services = (load(merged) as { services: Record<string, { ports?: string[] }> }).services;
    const ports = Object.values(services).flatMap((s) => s.ports ?? []);
    expect(ports.length).toBeGreaterThanOrEqual(4);
    for (const port of ports) expect(port).toMatch(/^127\.0\.0\.1:/);
    const swarm = load(readFileSync(join(COMPOSE, 'docker-compose.swarm.yml'), 'utf8')) as { services: Record<string, { ports?: unknown }> };
    for (const [name, service] of Object.entries(swarm.services)) expect(service.ports, name).toBeUndefined();
  });
});

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
