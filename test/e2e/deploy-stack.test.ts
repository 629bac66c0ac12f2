/**
 * End to end on real containers (Podman's Docker-compatible API, shared/CONTAINERS.md): the shipped
 * compose/docker-compose.yml plus the second-job overlay, with images built FROM scratch under the exact
 * names compose uses (docker/e2e/build-images.sh). Asserts that Prometheus finds each gateway once (the
 * job's by DNS, the other from the target file the discovery service writes: Prometheus itself runs as
 * nobody without the engine socket), that every node's metrics are queryable and every dashboard query
 * returns data, that a training container can reach its gateway but neither reach nor stop Prometheus,
 * then runs the built `discover` in the deployment folder (the gateways stay scraped once each, all up,
 * PersiaGatewayDown silent), with a bad job label beside them, and `status` against the same engine.
 * Everything started is torn down.
 *
 * Takes about 35 s on this 2-core machine (image build ~10 s, stack up ~3 s, first scrapes and rates ~20 s).
 * Runs under CI=true (podman and docker-compose required); elsewhere it skips when they are missing.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { substituteGrafanaVariables } from '../../src/monitoring/dashboard-model.js';
import { dashboardExpressions } from '../../src/deploy/grafana/dashboard-json.js';
import { GPU_FAMILIES } from '../../src/monitoring/view-contract.js';
import { connectDockerEngine } from '../../src/discovery/docker-engine.js';
import { findGateways } from '../../src/discovery/gateway-discovery.js';
import { fetchGatewayGroups } from '../../src/gateway/client.js';
import { gatewayEndpoint } from '../../src/gateway/endpoint.js';
import { summarizeGroups } from '../../src/discovery/gateway-status.js';
import { freePort } from '../../src/local-stack/free-port.js';
import { runCli } from '../helpers/cli-runner.js';
import { findTool, runOrThrow, startPodmanEngine, type PodmanEngine } from './podman-engine.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const COMPOSE_DIR = join(ROOT, 'compose');
const podman = findTool('podman');
const dockerCompose = findTool('docker-compose');
if ((podman === undefined || dockerCompose === undefined) && process.env['CI'] === 'true') {
  throw new Error('CI=true and podman/docker-compose missing: apt-get install --no-install-recommends podman runc docker-compose golang-github-containernetworking-plugin-dnsname');
}

const JOB = 'persia_demo';
const SECOND_JOB = 'persia_demo_b';
/** A gateway started beside the stack whose job label cannot name a file (issue 19: it once ended discover). */
const LONG_JOB = 'j'.repeat(300);
const SERVICES = ['metrics_gateway', 'prometheus', 'discovery', 'trainer', 'middleware', 'server', 'metrics_gateway_persia_demo_b', 'trainer_persia_demo_b'];

function fail(what: string): never {
  throw new Error(`no container for ${what}`);
}

interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

describe.skipIf(podman === undefined || dockerCompose === undefined)('compose stack on Podman', () => {
  const dir = mkdtempSync(join(tmpdir(), 'persia-e2e-'));
  const project = `persiae2e${process.pid}`;
  let engine: PodmanEngine | undefined;
  let env: NodeJS.ProcessEnv = {};
  let prometheusUrl = '';
  const ports = { gateway: 0, second: 0, prometheus: 0, grafana: 0, longJob: 0 };
  const longJobContainer = `${project}_long_job_gateway`;
  // discover's default folder in the deployment (here the repository, laid out as init writes it).
  const targetsDir = join(ROOT, 'config/prometheus/targets');
  const targetsDirExisted = existsSync(targetsDir);
  const previousDockerHost = process.env['DOCKER_HOST'];
  const compose = (...args: string[]) =>
    runOrThrow(dockerCompose ?? '', ['-p', project, '-f', 'docker-compose.yml', '-f', 'docker-compose.second-job.yml', ...args], { cwd: COMPOSE_DIR, env });

  async function query(promql: string): Promise<Sample[]> {
    const response = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await response.json()) as { status: string; error?: string; data?: { result: Sample[] } };
    if (body.status !== 'success') throw new Error(`${promql}: ${body.error ?? response.status}`);
    return body.data?.result ?? [];
  }

  async function queryUntil(promql: string, ok: (samples: Sample[]) => boolean, timeoutMs: number): Promise<Sample[]> {
    const deadline = Date.now() + timeoutMs;
    let last: Sample[] | string = [];
    while (Date.now() < deadline) {
      try {
        last = await query(promql);
        if (ok(last)) return last;
      } catch (error) {
        last = String(error);
      }
      await sleep(1000);
    }
    throw new Error(`timed out waiting for ${promql}; last: ${JSON.stringify(last).slice(0, 500)}`);
  }

  beforeAll(async () => {
    engine = await startPodmanEngine(podman ?? '', dir);
    for (const key of Object.keys(ports) as Array<keyof typeof ports>) ports[key] = await freePort();
    env = {
      ...engine.env,
      PERSIA_DOCKER_SOCKET: engine.socket,
      PERSIA_GATEWAY_PORT: String(ports.gateway),
      PERSIA_SECOND_GATEWAY_PORT: String(ports.second),
      PERSIA_PROMETHEUS_PORT: String(ports.prometheus),
      PERSIA_GRAFANA_PORT: String(ports.grafana),
    };
    prometheusUrl = `http://127.0.0.1:${ports.prometheus}`;
    runOrThrow(join(ROOT, 'docker/e2e/build-images.sh'), [], { env, timeoutMs: 180_000 });
    compose('up', '-d', ...SERVICES);
    process.env['DOCKER_HOST'] = engine.dockerHost;
  }, 240_000);

  afterAll(async () => {
    if (previousDockerHost === undefined) delete process.env['DOCKER_HOST'];
    else process.env['DOCKER_HOST'] = previousDockerHost;
    try {
      if (!targetsDirExisted) rmSync(targetsDir, { recursive: true, force: true });
      if (engine !== undefined) runOrThrow(podman ?? '', ['rm', '--force', '--ignore', '--time', '1', longJobContainer], { env });
      if (engine !== undefined) compose('down', '--volumes', '--remove-orphans', '--timeout', '5');
    } finally {
      await engine?.stop();
      // The run's own image store goes with it (podman-engine.ts): nothing stays behind on a reused machine.
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  interface Target {
    scrapePool: string;
    health: string;
    labels: Record<string, string>;
    scrapeUrl: string;
  }
  async function activeTargets(): Promise<Target[]> {
    const response = await fetch(`${prometheusUrl}/api/v1/targets?state=active`);
    const body = (await response.json()) as { data: { activeTargets: Target[] } };
    return body.data.activeTargets;
  }
  /** Gateway targets (every scrape job but Prometheus's own) as "pool persia_job health", sorted. */
  const gatewayTargets = (seen: readonly Target[]) =>
    seen
      .filter((t) => t.scrapePool !== 'prometheus')
      .map((t) => `${t.scrapePool} ${t.labels['persia_job'] === LONG_JOB ? 'LONG_JOB' : t.labels['persia_job']} ${t.health}`)
      .sort();

  async function targetsUntil(expected: readonly string[], timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let seen: string[] = [];
    while (Date.now() < deadline) {
      seen = gatewayTargets(await activeTargets().catch(() => []));
      if (seen.join('\n') === expected.join('\n')) return;
      await sleep(1000);
    }
    throw new Error(`gateway targets: expected ${JSON.stringify(expected)}, last seen ${JSON.stringify(seen)}`);
  }

  /** Waits until every rule group was evaluated after `since` (ms), so alerts reflect the targets of then. */
  async function rulesEvaluatedAfter(since: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const body = (await (await fetch(`${prometheusUrl}/api/v1/rules`)).json()) as { data: { groups: Array<{ lastEvaluation: string }> } };
      if (body.data.groups.length > 0 && body.data.groups.every((g) => Date.parse(g.lastEvaluation) > since)) return;
      await sleep(1000);
    }
    throw new Error(`rules not evaluated within ${timeoutMs} ms`);
  }

  it("Prometheus scrapes each gateway once: the job's by DNS, the second job's from the discovery service's target file, all up", async () => {
    await targetsUntil([`persia_gateway_dns ${JOB} up`, `persia_gateway_file ${SECOND_JOB} up`], 60_000);
  }, 90_000);

  it('Prometheus runs as nobody with no engine socket; the discovery service has the socket and no network', () => {
    const inspect = (service: string): { Config: { User: string }; Mounts: Array<{ Destination: string }>; HostConfig: { NetworkMode: string } } =>
      (
        JSON.parse(runOrThrow(podman ?? '', ['inspect', `${project}_${service}_1`], { env })) as Array<{
          Config: { User: string };
          Mounts: Array<{ Destination: string }>;
          HostConfig: { NetworkMode: string };
        }>
      )[0] ?? fail(service);
    const prometheus = inspect('prometheus');
    expect(prometheus.Config.User).toBe('65534:65534');
    expect(prometheus.Mounts.map((m) => m.Destination)).toEqual(['/etc/prometheus']);
    const discovery = inspect('discovery');
    expect(discovery.Mounts.map((m) => m.Destination).sort()).toEqual(['/config/prometheus', '/config/prometheus/targets', '/var/run/docker.sock']);
    expect(discovery.HostConfig.NetworkMode).toBe('none');
  });

  it('a training container reaches its gateway, but not Prometheus (by name or address): no POST /-/quit gets there, and the targets stay up', async () => {
    const prometheusInfo = JSON.parse(runOrThrow(podman ?? '', ['inspect', `${project}_prometheus_1`], { env })) as Array<{
      NetworkSettings: { Networks: Record<string, { IPAddress: string }> };
    }>;
    const prometheusIps = Object.values(prometheusInfo[0]?.NetworkSettings.Networks ?? {}).map((n) => n.IPAddress);
    expect(prometheusIps.length).toBeGreaterThan(0);
    // Run inside the trainer container with its own node: each request bounded to 3 s.
    const script = `
      const tryFetch = async (url, init) => { try { const r = await fetch(url, { ...init, signal: AbortSignal.timeout(3000) }); return String(r.status); } catch (e) { return 'failed: ' + (e.cause?.code ?? e.name); } };
      const urls = JSON.parse(process.argv[1]);
      const out = {};
      for (const url of urls) out[url] = await tryFetch(url, url.endsWith('/-/quit') ? { method: 'POST' } : {});
      console.log(JSON.stringify(out));`;
    const urls = [
      'http://metrics_gateway:9091/-/ready',
      'http://prometheus:9090/-/ready',
      'http://prometheus:9090/-/quit',
      ...prometheusIps.flatMap((ip) => [`http://${ip}:9090/-/ready`, `http://${ip}:9090/-/quit`]),
    ];
    const output = runOrThrow(podman ?? '', ['exec', `${project}_trainer_1`, '/usr/bin/node', '--input-type=module', '-e', script, JSON.stringify(urls)], {
      env,
      timeoutMs: 60_000,
    });
    const results = JSON.parse(output.trim().split('\n').pop() ?? '{}') as Record<string, string>;
    expect(results['http://metrics_gateway:9091/-/ready']).toBe('200');
    for (const url of urls.slice(1)) expect(results[url], url).toMatch(/^failed: /);
    expect((await fetch(`${prometheusUrl}/-/ready`)).status).toBe(200);
    await targetsUntil([`persia_gateway_dns ${JOB} up`, `persia_gateway_file ${SECOND_JOB} up`], 60_000);
  });

  it("every node's metrics are queryable, one series per node", async () => {
    const nodes = await queryUntil('count by (job, role) (push_time_seconds)', (s) => s.length === 4, 60_000);
    expect(nodes.map((s) => `${s.metric['job']}/${s.metric['role']}`).sort()).toEqual([`${JOB}/middleware`, `${JOB}/server`, `${JOB}/trainer`, `${SECOND_JOB}/trainer`]);
    expect(nodes.every((s) => s.value[1] === '1')).toBe(true);
    for (const promql of [`staleness{job="${JOB}"}`, `lookup_rpc_time_cost_count{job="${JOB}"}`, `index_miss_ratio{job="${JOB}"}`, `staleness{job="${SECOND_JOB}"}`]) {
      // One series: only the role that records a family pushes it (none is created at 0 for the others).
      await queryUntil(promql, (s) => s.length === 1, 30_000);
    }
  });

  it('every dashboard query returns data for the job', async () => {
    const folder = join(ROOT, 'config/grafana/dashboards');
    const empty: string[] = [];
    for (const file of readdirSync(folder).filter((f) => f.endsWith('.json'))) {
      for (const { panel, expr } of dashboardExpressions(JSON.parse(readFileSync(join(folder, file), 'utf8')))) {
        // The stack's nodes have no GPU (no agent scraping a dcgm-exporter): test/integration/deploy-dashboards.test.ts
        // proves the GPU panels with the dcgm-exporter fixture.
        if (GPU_FAMILIES.some((family) => expr.includes(family))) continue;
        // 15 s scrapes: a 1m window holds the 2+ samples a rate needs.
        const promql = substituteGrafanaVariables(expr, { job: JOB, range: '1m' });
        await queryUntil(promql, (s) => s.length > 0, 90_000).catch(() => empty.push(`${file} / ${panel}: ${promql}`));
      }
    }
    expect(empty).toEqual([]);
  }, 300_000);

  it('discover finds both gateways on the engine', async () => {
    const gateways = await findGateways(await connectDockerEngine());
    expect(gateways.map((g) => [g.job, g.published])).toEqual([
      [JOB, `127.0.0.1:${ports.gateway}`],
      [SECOND_JOB, `127.0.0.1:${ports.second}`],
    ]);
  });

  it('discover in the deployment folder adds no second target: each gateway scraped once, up, PersiaGatewayDown silent', async () => {
    // Beside the stack, on its monitoring network: a gateway whose 300-character job label cannot name a target file.
    const [gateway] = await findGateways(await connectDockerEngine(), { job: JOB });
    const network = gateway?.networks.find((name) => name.endsWith('_monitoring')) ?? '';
    expect(network).not.toBe('');
    runOrThrow(
      podman ?? '',
      [
        'run',
        '--detach',
        '--name',
        longJobContainer,
        '--network',
        network,
        '--label',
        'persia.metrics.gateway=true',
        '--label',
        `persia.metrics.job=${LONG_JOB}`,
        '--publish',
        `127.0.0.1:${ports.longJob}:9091`,
        'prom/pushgateway:v1.5.1',
      ],
      { env },
    );

    // The same folder the discovery service writes: run on the host, discover decides as the service does.
    const run = await runCli(['discover'], { DOCKER_HOST: engine?.dockerHost ?? '' }, { cwd: ROOT });
    // The 300-character label fails its own file only (exit 1): no gateway of Prometheus' own finds it any more.
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toContain('job label cannot name a target file');
    // It saw which Prometheus reads the folder, and that its DNS job finds the stack's own gateway.
    expect(run.stdout).toContain(`read by Prometheus container ${project}_prometheus_1`);
    expect(run.stdout).toContain('scraped by job persia_gateway_dns');
    expect(readdirSync(targetsDir).filter((f) => f.startsWith('gateway-'))).toEqual([`gateway-${SECOND_JOB}.json`]);
    const expected = [`persia_gateway_dns ${JOB} up`, `persia_gateway_file ${SECOND_JOB} up`];
    await targetsUntil(expected, 60_000);
    // Once the alert rules were evaluated on these targets, no gateway alert is pending or firing.
    await rulesEvaluatedAfter(Date.now(), 60_000);
    expect(gatewayTargets(await activeTargets())).toEqual(expected);
    const alerts = (await (await fetch(`${prometheusUrl}/api/v1/alerts`)).json()) as { data: { alerts: Array<{ labels: Record<string, string>; state: string }> } };
    expect(alerts.data.alerts.filter((a) => a.labels['alertname'] === 'PersiaGatewayDown')).toEqual([]);
  }, 150_000);

  it('discover for a Prometheus on the host: published addresses; the bad label fails its own file only (exit 1)', async () => {
    const hostDir = join(dir, 'host-prometheus-targets');
    mkdirSync(hostDir);
    writeFileSync(join(hostDir, 'gateway-finished_job.json'), '[]\n');
    const run = await runCli(['discover', '--out', hostDir], { DOCKER_HOST: engine?.dockerHost ?? '' });
    expect(run.code, run.stderr).toBe(1);
    expect(run.stdout).toContain('no Prometheus container reads it; published addresses');
    expect(run.stderr).toContain(`job ${'j'.repeat(79)}… (300 characters): job label cannot name a target file`);
    expect(readdirSync(hostDir).sort()).toEqual([`gateway-${JOB}.json`, `gateway-${SECOND_JOB}.json`]);
    expect(JSON.parse(readFileSync(join(hostDir, `gateway-${JOB}.json`), 'utf8'))).toEqual([{ targets: [`127.0.0.1:${ports.gateway}`], labels: { persia_job: JOB } }]);
  });

  it('Prometheus has no lifecycle API: POST /-/quit is refused and Prometheus keeps answering', async () => {
    const quit = await fetch(`${prometheusUrl}/-/quit`, { method: 'POST' });
    expect(quit.status).toBe(403);
    expect(await quit.text()).toMatch(/Lifecycle API is not enabled/);
    expect((await fetch(`${prometheusUrl}/-/ready`)).status).toBe(200);
  });

  it("status reads the job's gateway (found by its label) and reports every node fresh", async () => {
    const [gateway] = await findGateways(await connectDockerEngine(), { job: JOB });
    const groups = await fetchGatewayGroups(gatewayEndpoint(`http://${gateway?.published ?? ''}`, { timeoutSeconds: 5 }));
    const nodes = summarizeGroups(groups, { job: JOB, nowSeconds: Date.now() / 1000, staleAfterSeconds: 60, staleAfterIntervals: 6, gateway: '' });
    expect(nodes.map((n) => [n.role, n.stale, n.lastPushSuccessful, n.state])).toEqual([
      ['trainer', false, true, 'running'],
      ['middleware', false, true, 'running'],
      ['server', false, true, 'running'],
    ]);
  });
});
