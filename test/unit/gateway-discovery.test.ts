/** Gateway discovery against a fake engine: containers, swarm services, engines without swarm, failures. */
import { describe, expect, it } from 'vitest';
import type Docker from 'dockerode';
import { DiscoveryError } from '../../src/errors.js';
import { renderFileSd, targetFileName } from '../../src/discovery/file-sd.js';
import { type DockerEngine, findGateways, gatewayFromContainer } from '../../src/discovery/gateway-discovery.js';
import { formatAge, summarizeGroups } from '../../src/discovery/gateway-status.js';

const container = (name: string, job: string | undefined, ports: Docker.Port[], ips: string[]): Docker.ContainerInfo =>
  ({
    Id: `${name}`.padEnd(64, '0'),
    Names: [`/${name}`],
    Labels: { 'persia.metrics.gateway': 'true', ...(job === undefined ? {} : { 'persia.metrics.job': job }) },
    Ports: ports,
    NetworkSettings: { Networks: Object.fromEntries(ips.map((ip, i) => [`net${i}`, { IPAddress: ip }])) },
  }) as unknown as Docker.ContainerInfo;

describe('gatewayFromContainer', () => {
  it('maps ports published on all interfaces to the given host, keeps a bound IP, ignores other ports', () => {
    const all = gatewayFromContainer(container('g', 'j', [{ IP: '0.0.0.0', PrivatePort: 9091, PublicPort: 30001, Type: 'tcp' }], ['10.0.0.2', '10.1.0.2']), 'gw.example');
    expect(all).toEqual({
      job: 'j',
      name: 'g',
      kind: 'container',
      published: 'gw.example:30001',
      internal: ['10.0.0.2:9091', '10.1.0.2:9091'],
      networks: ['net0', 'net1'],
      service: undefined,
    });
    const other = gatewayFromContainer(container('g', undefined, [{ IP: '127.0.0.1', PrivatePort: 8080, PublicPort: 8080, Type: 'tcp' }], []));
    expect(other).toMatchObject({ job: 'unknown', published: undefined, internal: [] });
  });
});

describe('findGateways', () => {
  const containers = [container('b', 'job_b', [], ['10.0.0.3']), container('a', 'job_a', [{ IP: '127.0.0.1', PrivatePort: 9091, PublicPort: 9091, Type: 'tcp' }], ['10.0.0.2'])];

  it('asks the engine for running labelled containers (and the job label when filtering), sorted by job', async () => {
    const seen: unknown[] = [];
    const engine: DockerEngine = { listContainers: async (options) => (seen.push(options), containers) };
    const found = await findGateways(engine, { job: 'job_a' });
    expect(seen).toEqual([{ filters: { label: ['persia.metrics.gateway=true', 'persia.metrics.job=job_a'], status: ['running'] } }]);
    expect(found.map((g) => g.name)).toEqual(['a', 'b']);
  });

  it('adds swarm services on a manager, and treats "no swarm" answers as none', async () => {
    const swarm: DockerEngine = {
      listContainers: async () => [],
      listServices: async () => [
        { Spec: { Name: 'persia_metrics_gateway', Labels: { 'persia.metrics.job': 'dlrm' } }, Endpoint: { Ports: [{ TargetPort: 9091, PublishedPort: 9191 }] } },
      ],
    };
    expect(await findGateways(swarm)).toEqual([
      {
        job: 'dlrm',
        name: 'persia_metrics_gateway',
        kind: 'service',
        published: '127.0.0.1:9191',
        internal: ['tasks.persia_metrics_gateway:9091'],
        networks: [],
        service: 'persia_metrics_gateway',
      },
    ]);
    const podman: DockerEngine = {
      listContainers: async () => containers,
      listServices: async () => Promise.reject(Object.assign(new Error('(HTTP code 404) unexpected'), { statusCode: 404 })),
    };
    expect(await findGateways(podman)).toHaveLength(2);
  });

  it('wraps engine failures in DiscoveryError (exit code 1)', async () => {
    const broken: DockerEngine = { listContainers: async () => Promise.reject(new Error('connect ENOENT /var/run/docker.sock')) };
    const error = await findGateways(broken).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DiscoveryError);
    expect(error).toMatchObject({ code: 'PERSIA_DISCOVERY_FAILED', exitCode: 1 });
    expect((error as Error).message).toContain('ENOENT');
  });
});

describe('renderFileSd', () => {
  it('groups targets per job in file_sd JSON with only the persia_job label', () => {
    const gateways = [
      gatewayFromContainer(container('a1', 'dlrm', [{ IP: '127.0.0.1', PrivatePort: 9091, PublicPort: 1, Type: 'tcp' }], ['10.0.0.2'])),
      gatewayFromContainer(container('a2', 'dlrm', [{ IP: '127.0.0.1', PrivatePort: 9091, PublicPort: 2, Type: 'tcp' }], ['10.0.0.3'])),
    ];
    const { files, rejected } = renderFileSd(gateways.map((g) => ({ job: g.job, target: g.published ?? '' })));
    expect(rejected).toEqual([]);
    expect(JSON.parse(files.get('gateway-dlrm.json') ?? '')).toEqual([
      { targets: ['127.0.0.1:1'], labels: { persia_job: 'dlrm' } },
      { targets: ['127.0.0.1:2'], labels: { persia_job: 'dlrm' } },
    ]);
    expect(targetFileName('a/b c')).toBe('gateway-a_b_c.json');
  });
});

describe('summarizeGroups', () => {
  it('reads push time, node state and failures of one job; a group never pushed counts as stale', () => {
    const data = [
      { labels: { job: 'j', role: 'server', instance: 'rep_10' }, push_time_seconds: { metrics: [{ value: '990' }] } },
      { labels: { job: 'j', role: 'server', instance: 'rep_2' }, push_time_seconds: { metrics: [{ value: '0' }] }, last_push_successful: false },
    ];
    const nodes = summarizeGroups(data, { job: 'j', nowSeconds: 1000, staleAfterSeconds: 60, staleAfterIntervals: 6, gateway: 'g' });
    expect(nodes.map((n) => [n.instance, n.lastPushAgeSeconds, n.stale, n.lastPushSuccessful])).toEqual([
      ['rep_2', undefined, true, false],
      ['rep_10', 10, false, true],
    ]);
  });

  it('flags a node whose pushes report another process on its identity', () => {
    const data = [
      { labels: { job: 'j', role: 'server', instance: 'rep_3' }, persia_node_duplicate_identity: { metrics: [{ value: '1' }] } },
      { labels: { job: 'j', role: 'server', instance: 'rep_4' }, persia_node_duplicate_identity: { metrics: [{ value: '0' }] } },
      { labels: { job: 'j', role: 'server', instance: 'rep_5' } },
    ];
    const nodes = summarizeGroups(data, { job: 'j', nowSeconds: 1000, staleAfterSeconds: 60, staleAfterIntervals: 6, gateway: 'g' });
    expect(nodes.map((n) => [n.instance, n.duplicateIdentity])).toEqual([
      ['rep_3', true],
      ['rep_4', false],
      ['rep_5', false],
    ]);
  });

  it('judges each node by its own push interval unless a threshold is given (a 1 s node is stale after 6 s, a 30 s node fresh at 2 min)', () => {
    const group = (instance: string, pushedAt: number, interval?: number) => ({
      labels: { job: 'j', role: 'server', instance },
      push_time_seconds: { metrics: [{ value: String(pushedAt) }] },
      ...(interval === undefined ? {} : { persia_node_push_interval_seconds: { metrics: [{ value: String(interval) }] } }),
    });
    const data = [group('fast', 990, 1), group('slow', 880, 30), group('other_pusher', 950)];
    const byOwnPace = summarizeGroups(data, { job: 'j', nowSeconds: 1000, staleAfterIntervals: 6, gateway: 'g' });
    expect(byOwnPace.map((n) => [n.instance, n.pushIntervalSeconds, n.stale])).toEqual([
      ['fast', 1, true],
      ['other_pusher', undefined, false], // 50 s old, under the 60 s fallback
      ['slow', 30, false],
    ]);
    const given = summarizeGroups(data, { job: 'j', nowSeconds: 1000, staleAfterSeconds: 100, staleAfterIntervals: 6, gateway: 'g' });
    expect(given.map((n) => [n.instance, n.stale])).toEqual([
      ['fast', false],
      ['other_pusher', false],
      ['slow', true],
    ]);
  });

  it('formats ages for the table', () => {
    expect([formatAge(undefined), formatAge(4.25), formatAge(185), formatAge(7800)]).toEqual(['never', '4.3s', '3m05s', '2h10m']);
  });
});
