/**
 * End to end on real containers (Podman's Docker-compatible API, shared/CONTAINERS.md): the shipped
 * compose/docker-compose.yml plus the second-job overlay, with images built FROM scratch under the exact
 * names compose uses (docker/e2e/build-images.sh). Asserts that Prometheus finds the gateways by DNS and by
 * docker_sd on the engine socket, that every node's metrics are queryable and every dashboard query returns
 * data, then runs `discover` and `status` against the same engine. Everything started is torn down.
 *
 * Takes about 35 s on this 2-core machine (image build ~10 s, stack up ~3 s, first scrapes and rates ~20 s).
 * Runs under CI=true (podman and docker-compose required); elsewhere it skips when they are missing.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { substituteGrafanaVariables } from '../../src/monitoring/dashboard-model.js';
import { dashboardExpressions } from '../../src/deploy/grafana/dashboard-json.js';
import { connectDockerEngine } from '../../src/discovery/docker-engine.js';
import { renderFileSd } from '../../src/discovery/file-sd.js';
import { findGateways } from '../../src/discovery/gateway-discovery.js';
import { fetchGatewayGroups } from '../../src/gateway/client.js';
import { gatewayEndpoint } from '../../src/gateway/endpoint.js';
import { summarizeGroups } from '../../src/discovery/gateway-status.js';
import { freePort } from '../../src/local-stack/free-port.js';
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
const SERVICES = ['metrics_gateway', 'prometheus', 'trainer', 'middleware', 'server', 'metrics_gateway_persia_demo_b', 'trainer_persia_demo_b'];

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
  const ports = { gateway: 0, second: 0, prometheus: 0, grafana: 0 };
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
      if (engine !== undefined) compose('down', '--volumes', '--remove-orphans', '--timeout', '5');
    } finally {
      await engine?.stop();
      // The run's own image store goes with it (podman-engine.ts): nothing stays behind on a reused machine.
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('Prometheus finds the gateways by DNS (this job) and by docker_sd (both jobs), all up', async () => {
    const targets = async () => {
      const response = await fetch(`${prometheusUrl}/api/v1/targets?state=active`);
      const body = (await response.json()) as { data: { activeTargets: Array<{ scrapePool: string; health: string; labels: Record<string, string> }> } };
      return body.data.activeTargets;
    };
    const deadline = Date.now() + 60_000;
    let seen: Awaited<ReturnType<typeof targets>> = [];
    while (Date.now() < deadline) {
      seen = await targets().catch(() => []);
      const up = (pool: string) =>
        seen
          .filter((t) => t.scrapePool === pool && t.health === 'up')
          .map((t) => t.labels['persia_job'])
          .sort();
      if (up('persia_gateway_dns').join() === JOB && up('persia_gateway_docker').join() === `${JOB},${SECOND_JOB}`) return;
      await sleep(1000);
    }
    throw new Error(`targets not up: ${JSON.stringify(seen.map((t) => [t.scrapePool, t.health, t.labels['persia_job']]))}`);
  });

  it("every node's metrics are queryable, one series per node although two mechanisms scrape the gateway", async () => {
    const nodes = await queryUntil('count by (job, role) (push_time_seconds)', (s) => s.length === 4, 60_000);
    expect(nodes.map((s) => `${s.metric['job']}/${s.metric['role']}`).sort()).toEqual([`${JOB}/middleware`, `${JOB}/server`, `${JOB}/trainer`, `${SECOND_JOB}/trainer`]);
    expect(nodes.every((s) => s.value[1] === '1')).toBe(true);
    for (const promql of [`staleness{job="${JOB}"}`, `lookup_rpc_time_cost_count{job="${JOB}"}`, `index_miss_ratio{job="${JOB}"}`, `staleness{job="${SECOND_JOB}"}`]) {
      await queryUntil(promql, (s) => s.length === 1, 30_000);
    }
  });

  it('every dashboard query returns data for the job', async () => {
    const folder = join(ROOT, 'config/grafana/dashboards');
    const empty: string[] = [];
    for (const file of readdirSync(folder).filter((f) => f.endsWith('.json'))) {
      for (const { panel, expr } of dashboardExpressions(JSON.parse(readFileSync(join(folder, file), 'utf8')))) {
        // 15 s scrapes: a 1m window holds the 2+ samples a rate needs.
        const promql = substituteGrafanaVariables(expr, { job: JOB, range: '1m' });
        await queryUntil(promql, (s) => s.length > 0, 90_000).catch(() => empty.push(`${file} / ${panel}: ${promql}`));
      }
    }
    expect(empty).toEqual([]);
  }, 300_000);

  it('discover finds both gateways on the engine and writes their published addresses', async () => {
    const gateways = await findGateways(await connectDockerEngine());
    expect(gateways.map((g) => [g.job, g.published])).toEqual([
      [JOB, `127.0.0.1:${ports.gateway}`],
      [SECOND_JOB, `127.0.0.1:${ports.second}`],
    ]);
    const { files } = renderFileSd(gateways, 'published');
    expect(JSON.parse(files.get(`gateway-${JOB}.json`) ?? '')).toEqual([{ targets: [`127.0.0.1:${ports.gateway}`], labels: { persia_job: JOB } }]);
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
