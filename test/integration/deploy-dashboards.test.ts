/**
 * Every Grafana panel's PromQL returns data from a real Prometheus that scrapes a real Pushgateway fed by
 * `persia-metrics simulate` (one node per role) and a trainer whose metrics are its GPUs (`persia-metrics agent`
 * scraping the dcgm-exporter FIXTURE, test/fixtures/agent: there is no GPU here), with the shipped alert and
 * recording rules loaded.
 * The test reads the shipped dashboard JSON, so a new panel is checked without touching this file.
 * Needs `npm run build` first (dist/src/cli/main.js), as `npm test` does.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staticGatewayScrapeJobYaml } from '../../src/deploy/prometheus/gateway-series.js';
import { substituteGrafanaVariables } from '../../src/monitoring/dashboard-model.js';
import { dashboardExpressions } from '../../src/deploy/grafana/dashboard-json.js';
import { requireBinary } from '../helpers/binaries.js';
import { spawnManaged, type ManagedProcess } from '../../src/local-stack/managed-process.js';
import { startPrometheus, type RunningPrometheus } from '../../src/local-stack/prometheus-process.js';
import { startPushgateway, type RunningPushgateway } from '../../src/local-stack/pushgateway-process.js';
import { startDcgmExporterFixture, type RunningDcgmFixture } from '../fixtures/agent/dcgm-exporter-fixture.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const MAIN = join(ROOT, 'dist/src/cli/main.js');
const DASHBOARDS = join(ROOT, 'config/grafana/dashboards');
const RULES = join(ROOT, 'config/prometheus/rules');
const JOB = 'dashboards_it';
const ready = requireBinary('prometheus') !== undefined && requireBinary('prometheus-pushgateway') !== undefined;
if (!existsSync(MAIN) && process.env['CI'] === 'true') throw new Error(`CI=true and ${MAIN} is missing: run npm run build first`);

describe.skipIf(!ready || !existsSync(MAIN))('dashboards against real Prometheus + Pushgateway + simulated nodes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'persia-dashboards-it-'));
  let gateway: RunningPushgateway;
  let prometheus: RunningPrometheus;
  let nodes: ManagedProcess;
  let dcgm: RunningDcgmFixture | undefined;
  let agent: ManagedProcess | undefined;

  beforeAll(async () => {
    gateway = await startPushgateway({ extraArgs: ['--push.disable-consistency-check'] });
    // Like the shipped prometheus.yml: a persia_gateway_* scrape job of the job's gateway, its label handling.
    prometheus = await startPrometheus({
      scrapeTargets: [],
      scrapeIntervalSeconds: 1,
      ruleFiles: [join(RULES, 'persia-alerts.yml'), join(RULES, 'persia-recording.yml')],
      extraScrapeConfigsYaml: staticGatewayScrapeJobYaml('persia_gateway_static', [gateway.address], JOB),
    });
    const config = join(dir, 'global_config.yaml');
    writeFileSync(config, `PersiaMetricsConfig:\n  enable_metrics: true\n  job_name: ${JOB}\n  push_interval_seconds: 1\n`);
    nodes = spawnManaged('simulate', process.execPath, [
      MAIN,
      'simulate',
      '--config',
      config,
      '--gateway',
      gateway.address,
      '--trainers',
      '1',
      '--middleware',
      '1',
      '--servers',
      '1',
      '--step-ms',
      '10',
      '--quiet',
    ]);
    dcgm = await startDcgmExporterFixture();
    agent = spawnManaged('agent', '/usr/bin/env', [
      'PERSIA_METRICS_INSTANCE=rep_gpu',
      process.execPath,
      MAIN,
      'agent',
      '--role',
      'trainer',
      '--config',
      config,
      '--gateway',
      gateway.address,
      '--scrape',
      dcgm.url,
    ]);
    await prometheus.queryUntil(`count(push_time_seconds{job="${JOB}"})`, (s) => s[0]?.value === 4, 30_000);
  });

  afterAll(async () => {
    await nodes?.stop(5000);
    await agent?.stop(5000);
    await dcgm?.close();
    await prometheus?.stop();
    await gateway?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(readdirSync(DASHBOARDS).filter((f) => f.endsWith('.json')))('%s: every panel query returns data', async (file) => {
    const exprs = dashboardExpressions(JSON.parse(readFileSync(join(DASHBOARDS, file), 'utf8')));
    expect(exprs.length).toBeGreaterThan(0);
    const empty: string[] = [];
    for (const { panel, expr } of exprs) {
      // A rate needs two scrapes inside its window: 10 s at a 1 s scrape interval.
      const promql = substituteGrafanaVariables(expr, { job: JOB, range: '10s' });
      try {
        await prometheus.queryUntil(promql, (samples) => samples.length > 0, 20_000);
      } catch (error) {
        empty.push(`${panel}: ${promql} (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`);
      }
    }
    expect(empty, `panels without data; nodes said:\n${nodes.output()}`).toEqual([]);
  });

  it('the recording rules produce P99 per role, and no alert fires for healthy nodes', async () => {
    const p99 = await prometheus.queryUntil('job_role:lookup_rpc_time_cost:p99_5m', (s) => s.length > 0, 20_000);
    expect(p99[0]?.metric).toMatchObject({ job: JOB, role: 'middleware' });
    const alerts = await prometheus.query('ALERTS{alertstate="firing", alertname=~"PersiaNode.*|PersiaGatewayDown"}');
    expect(alerts).toEqual([]);
  });
});
