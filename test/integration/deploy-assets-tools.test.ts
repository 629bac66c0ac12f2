/**
 * The shipped deployment files are valid for the tools that will read them: promtool for the Prometheus
 * configs, rules and rule tests; promtool again for every dashboard panel's PromQL; docker-compose 1.29 for
 * every compose file. Under CI=true a missing tool fails the run instead of skipping it. (Moved from
 * test/unit/deploy-assets.test.ts: it runs the real tools.)
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { load } from 'js-yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { substituteGrafanaVariables } from '../../src/monitoring/dashboard-model.js';
import { dashboardExpressions } from '../../src/deploy/grafana/dashboard-json.js';
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

  it('every dashboard expression parses as PromQL (as recording rules, checked by promtool)', () => {
    const exprs = dashboardFiles.flatMap((file) => dashboardExpressions(JSON.parse(readFileSync(join(DASHBOARDS, file), 'utf8'))).map((e) => ({ ...e, file })));
    const rules = exprs.map((e, i) => ({ record: `persia_dashboard_check:${i}`, expr: substituteGrafanaVariables(e.expr, { job: 'dlrm' }) }));
    const file = join(scratch, 'dashboard-exprs.yml');
    writeFileSync(file, JSON.stringify({ groups: [{ name: 'dashboards', rules }] }));
    run(tool, ['check', 'rules', file]);
  });
});

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
