/**
 * `discover` against a fake engine (the DockerEngine interface): which address each gateway gets, decided by
 * the Prometheus that reads the target folder (src/discovery/scrape-reader.ts), and one bad job label
 * failing only its own file. The reader's config is the shipped config/prometheus/prometheus.yml itself.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dump, load } from 'js-yaml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type Docker from 'dockerode';
import { DiscoveryError } from '../../src/errors.js';
import { discoverTargets, type DiscoverOptions } from '../../src/discovery/discover-targets.js';
import type { DockerEngine } from '../../src/discovery/gateway-discovery.js';

const SHIPPED_CONFIG = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'config', 'prometheus', 'prometheus.yml');

interface Fake {
  name: string;
  labels?: Record<string, string>;
  networks: Record<string, string>;
  published?: number;
  mounts?: Array<{ Source: string; Destination: string }>;
  command?: string;
  image?: string;
  /** Engine state (default running). */
  state?: string;
}

const info = (c: Fake): Docker.ContainerInfo =>
  ({
    Id: c.name.padEnd(64, '0'),
    Names: [`/${c.name}`],
    Image: c.image ?? 'prom/pushgateway:v1.5.1',
    Command: c.command ?? '',
    State: c.state ?? 'running',
    Labels: c.labels ?? {},
    Ports: c.published === undefined ? [] : [{ IP: '127.0.0.1', PrivatePort: 9091, PublicPort: c.published, Type: 'tcp' }],
    NetworkSettings: { Networks: Object.fromEntries(Object.entries(c.networks).map(([name, ip]) => [name, { IPAddress: ip }])) },
    Mounts: c.mounts ?? [],
  }) as unknown as Docker.ContainerInfo;

/** Answers listContainers like an engine: the label filters applied (every fake container is running). */
function fakeEngine(containers: readonly Fake[]): DockerEngine {
  return {
    listContainers: async ({ filters }) =>
      containers
        .filter((c) =>
          (filters['label'] ?? []).every((f) => {
            const [key = '', value] = f.split('=');
            return c.labels?.[key] === value;
          }),
        )
        .map(info),
  };
}

const gateway = (name: string, service: string, job: string, networks: Record<string, string>, published?: number): Fake => ({
  name,
  labels: { 'persia.metrics.gateway': 'true', 'persia.metrics.job': job, 'com.docker.compose.service': service },
  networks,
  ...(published === undefined ? {} : { published }),
});

describe('discover: addresses for the Prometheus that reads the target folder', () => {
  let root = '';
  let promDir = '';
  let out = '';
  // The compose stack of `init`: its gateway, the second job's gateway beside it, a gateway of another stack.
  const gateways = [
    gateway('proj_metrics_gateway_1', 'metrics_gateway', 'persia_demo', { proj_default: '10.89.0.2' }, 30091),
    gateway('proj_metrics_gateway_persia_demo_b_1', 'metrics_gateway_persia_demo_b', 'persia_demo_b', { proj_default: '10.89.0.3' }, 30092),
    gateway('other_gw_1', 'gw', 'other_job', { other_default: '10.90.0.2' }, 30093),
  ];
  const prometheus = (): Fake => ({
    name: 'proj_prometheus_1',
    image: 'prom/prometheus:v2.42.0',
    command: '--config.file=/etc/prometheus/prometheus.yml --storage.tsdb.path=/prometheus --web.enable-lifecycle',
    networks: { proj_default: '10.89.0.5' },
    mounts: [
      { Source: promDir, Destination: '/etc/prometheus' },
      { Source: '/run/podman/podman.sock', Destination: '/var/run/docker.sock' },
    ],
  });
  const run = (containers: readonly Fake[], options: Partial<DiscoverOptions> = {}) =>
    discoverTargets(fakeEngine(containers), { out, address: 'auto', prune: true, write: true, ...options });
  const targetFiles = () => (existsSync(out) ? readdirSync(out).sort() : []);
  const fileTargets = (file: string) => (JSON.parse(readFileSync(join(out, file), 'utf8')) as Array<{ targets: string[] }>).flatMap((g) => g.targets);

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'persia-discover-'));
    promDir = join(root, 'config', 'prometheus');
    out = join(promDir, 'targets');
    mkdirSync(out, { recursive: true });
    copyFileSync(SHIPPED_CONFIG, join(promDir, 'prometheus.yml'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  /** A Prometheus of the user's with docker_sd on the mounted socket besides the shipped jobs (init's has none: no socket). */
  function addDockerSdJob(): void {
    const config = load(readFileSync(SHIPPED_CONFIG, 'utf8')) as { scrape_configs: unknown[] };
    config.scrape_configs.push({ job_name: 'persia_gateway_docker', honor_labels: true, docker_sd_configs: [{ host: 'unix:///var/run/docker.sock' }] });
    writeFileSync(join(promDir, 'prometheus.yml'), dump(config));
  }

  it('a Prometheus with DNS + docker_sd jobs: no file target for any gateway, and the stale 127.0.0.1 file goes', async () => {
    addDockerSdJob();
    // What an earlier discover wrote: the published address, which inside the container is Prometheus itself.
    writeFileSync(join(out, 'gateway-persia_demo.json'), JSON.stringify([{ targets: ['127.0.0.1:30091'], labels: { persia_job: 'persia_demo' } }]));
    const report = await run([...gateways, prometheus()]);
    expect(report.reader?.name).toBe('proj_prometheus_1');
    expect(report.decisions.map((d) => [d.gateway.job, d.target, d.note])).toEqual([
      ['other_job', undefined, 'scraped by job persia_gateway_docker'],
      ['persia_demo', undefined, 'scraped by job persia_gateway_dns'],
      ['persia_demo_b', undefined, 'scraped by job persia_gateway_docker'],
    ]);
    expect(report.removed).toEqual([join(out, 'gateway-persia_demo.json')]);
    expect(targetFiles()).toEqual([]);
  });

  it("init's compose Prometheus (no socket, no docker_sd): internal addresses on its network, none for its DNS gateway, a warning for one it cannot reach", async () => {
    expect(readFileSync(SHIPPED_CONFIG, 'utf8')).not.toContain('docker_sd_configs');
    const report = await run([...gateways, prometheus()]);
    expect(report.kind).toBe('internal');
    expect(report.decisions.map((d) => [d.gateway.job, d.target ?? d.note, d.unscraped])).toEqual([
      ['other_job', 'shares no network with Prometheus container proj_prometheus_1', true],
      ['persia_demo', 'scraped by job persia_gateway_dns', false],
      ['persia_demo_b', '10.89.0.3:9091', false],
    ]);
    expect(targetFiles()).toEqual(['gateway-persia_demo_b.json']);
    expect(fileTargets('gateway-persia_demo_b.json')).toEqual(['10.89.0.3:9091']);
  });

  // discover --every (the compose stack's discovery service) runs on while Prometheus restarts.
  it('the one reader is stopped or restarting: still its addresses, not published ones; two stopped readers: none', async () => {
    const report = await run([...gateways, { ...prometheus(), state: 'restarting' }]);
    expect(report.reader?.name).toBe('proj_prometheus_1');
    expect(report.kind).toBe('internal');
    expect(targetFiles()).toEqual(['gateway-persia_demo_b.json']);
    const old = { ...prometheus(), name: 'old_prometheus_1', state: 'exited' };
    expect((await run([...gateways, { ...prometheus(), state: 'exited' }, old])).reader).toBeUndefined();
  });

  it('no container reads the folder (a Prometheus on the host): one published address per gateway', async () => {
    // Grafana mounts a folder above the targets too, but runs no Prometheus: not a reader.
    const grafana: Fake = { name: 'proj_grafana_1', image: 'grafana/grafana:9.4.7', networks: { proj_default: '10.89.0.6' }, mounts: [{ Source: root, Destination: '/srv' }] };
    const twoNetworks = gateway('multi_gw_1', 'gw', 'multi', { a_net: '10.91.0.2', b_net: '10.92.0.2' }, 30094);
    const report = await run([...gateways, twoNetworks, grafana]);
    expect(report.reader).toBeUndefined();
    expect(report.kind).toBe('published');
    expect(targetFiles()).toEqual(['gateway-multi.json', 'gateway-other_job.json', 'gateway-persia_demo.json', 'gateway-persia_demo_b.json']);
    expect(fileTargets('gateway-persia_demo.json')).toEqual(['127.0.0.1:30091']);
    expect(fileTargets('gateway-multi.json')).toEqual(['127.0.0.1:30094']);
    // --address internal without a reader: still one address per gateway, or it would be scraped twice.
    const internal = await run([twoNetworks], { address: 'internal' });
    expect(internal.decisions.map((d) => d.target)).toEqual(['10.91.0.2:9091']);
  });

  it('two Prometheus containers reading one folder: refused (one file cannot suit both), unless --address published', async () => {
    addDockerSdJob();
    const second = { ...prometheus(), name: 'proj_prometheus_2' };
    const error = await run([...gateways, prometheus(), second]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DiscoveryError);
    expect((error as Error).message).toContain('proj_prometheus_1, proj_prometheus_2');
    const published = await run([...gateways, prometheus(), second], { address: 'published' });
    // Their jobs still cover every gateway: published or not, no second target.
    expect(published.decisions.every((d) => d.target === undefined)).toBe(true);
  });

  it('one container with a 300-character job label fails its own file only: the others are written and pruned', async () => {
    writeFileSync(join(out, 'gateway-finished_job.json'), '[]\n');
    const long = 'j'.repeat(300);
    const hostile = 'evil\u001b[2J\u009b31m';
    const report = await run([
      gateway('long_gw', 'gw', long, { n: '10.0.0.2' }, 30101),
      gateway('evil_gw', 'gw', hostile, { n: '10.0.0.3' }, 30102),
      gateway('good_gw', 'gw', 'persia_demo', { n: '10.0.0.4' }, 30103),
    ]);
    expect(report.rejected.map((r) => r.job)).toEqual([long]);
    expect(report.rejected[0]?.reason).toContain('1-63 letters, digits');
    // Control characters never reach a file name (they become _); the label keeps its value, JSON-escaped.
    expect(report.written).toEqual([join(out, 'gateway-evil__2J_31m.json'), join(out, 'gateway-persia_demo.json')]);
    expect(JSON.parse(readFileSync(join(out, 'gateway-evil__2J_31m.json'), 'utf8'))).toEqual([{ targets: ['127.0.0.1:30102'], labels: { persia_job: hostile } }]);
    expect(report.removed).toEqual([join(out, 'gateway-finished_job.json')]);
    expect(report.failed).toEqual([]);
    expect(targetFiles()).toEqual(['gateway-evil__2J_31m.json', 'gateway-persia_demo.json']);
  });

  it('a file that cannot be written is reported, and the other jobs are still written and pruned', async () => {
    mkdirSync(join(out, 'gateway-blocked.json')); // a directory where the file goes: rename fails
    writeFileSync(join(out, 'gateway-finished_job.json'), '[]\n');
    const report = await run([gateway('a', 'gw', 'blocked', { n: '10.0.0.2' }, 30201), gateway('b', 'gw', 'persia_demo', { n: '10.0.0.3' }, 30202)]);
    expect(report.failed.map((f) => f.path)).toEqual([join(out, 'gateway-blocked.json')]);
    expect(report.written).toEqual([join(out, 'gateway-persia_demo.json')]);
    expect(report.removed).toEqual([join(out, 'gateway-finished_job.json')]);
  });
});
