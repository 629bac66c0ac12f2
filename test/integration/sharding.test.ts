/**
 * Gateway sharding against three real Pushgateways on 127.0.0.1: every node's group lands on exactly one
 * replica, the replicas share the nodes, Prometheus scraping all three sees every node once, and a node
 * whose replica leaves the set moves and deletes its group from the replica it left.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseGatewayList, type GatewayAddress } from '../../src/gateway/address.js';
import { startPrometheus, type RunningPrometheus } from '../../src/local-stack/prometheus-process.js';
import { waitFor } from '../../src/local-stack/wait-for.js';
import { startPushgateway, type RunningPushgateway } from '../../src/local-stack/pushgateway-process.js';
import { startNodeMetrics, type NodeMetrics } from '../../src/node-metrics.js';
import { GatewayReplicas } from '../../src/gateway/replicas.js';
import { groupingPath } from '../../src/push/grouping-key.js';
import { Pusher } from '../../src/push/pusher.js';
import { ReplicatedTransport } from '../../src/gateway/replicated-transport.js';
import { GatewayClient } from '../../src/gateway/client.js';
import { gatewayEndpoint } from '../../src/gateway/endpoint.js';
import { requireBinary } from '../helpers/binaries.js';

const servers = requireBinary('prometheus-pushgateway') !== undefined && requireBinary('prometheus') !== undefined;
const quietLogger = { warn: () => {}, info: () => {} };

describe.skipIf(!servers)('sharding over three real gateways', () => {
  let gateways: RunningPushgateway[] = [];
  let prometheus: RunningPrometheus | undefined;
  const nodes: NodeMetrics[] = [];

  beforeAll(async () => {
    gateways = await Promise.all([0, 1, 2].map(() => startPushgateway({ extraArgs: ['--push.disable-consistency-check'] })));
    prometheus = await startPrometheus({ scrapeTargets: gateways.map((gateway) => gateway.address), scrapeIntervalSeconds: 1 });
  });

  afterAll(async () => {
    await Promise.all(nodes.map((node) => node.shutdown(2).catch(() => {})));
    await prometheus?.stop();
    await Promise.all(gateways.map((gateway) => gateway.stop()));
  });

  it('puts each node on exactly one replica of a comma-separated list, and Prometheus sees each node once', async () => {
    const list = gateways.map((gateway) => gateway.address).join(',');
    for (let index = 0; index < 30; index += 1) {
      const node = startNodeMetrics({
        env: {},
        logger: quietLogger,
        options: { jobName: 'sharded', role: 'server', replicaIndex: index, gatewayAddr: list, pushIntervalSeconds: 60 },
      });
      node.gauge('index_miss_ratio').set(index / 100);
      nodes.push(node);
    }
    await Promise.all(nodes.map((node) => node.flush()));
    const perGateway = await Promise.all(gateways.map(async (gateway) => (await gateway.groups()).filter((group) => group.labels['job'] === 'sharded')));
    const instances = perGateway.flatMap((groups) => groups.map((group) => group.labels['instance']));
    expect(instances.sort()).toEqual(Array.from({ length: 30 }, (_, index) => `rep_${index}`).sort());
    for (const groups of perGateway) expect(groups.length).toBeGreaterThan(0); // 30 nodes share all 3 replicas
    const samples = await prometheus!.queryUntil('count(index_miss_ratio{job="sharded"})', (result) => result[0]?.value === 30);
    expect(samples[0]?.value).toBe(30);
  });

  it('moves a node whose replica leaves the DNS answer, and deletes its group from the replica it left', async () => {
    const all = parseGatewayList(gateways.map((gateway) => gateway.address).join(',')).addresses ?? [];
    let live: GatewayAddress[] = all;
    const path = groupingPath({ job: 'moving', role: 'trainer', instance: 'rep_0' });
    const named: GatewayAddress = { scheme: 'http', host: 'tasks.metrics_gateway', port: 9091, baseUrl: 'http://tasks.metrics_gateway:9091' };
    const replicas = new GatewayReplicas({ addresses: [named], key: path, refreshSeconds: 0, resolve: async () => live });
    const transport = new ReplicatedTransport({
      replicas,
      connect: (replica) => new GatewayClient(gatewayEndpoint(replica, { timeoutSeconds: 5 }), { background: true, connections: 1 }),
      probeSeconds: 60,
    });
    const pusher = new Pusher({
      path,
      transport,
      intervalSeconds: 60,
      retries: 0,
      deleteOnShutdown: true,
      shutdownTimeoutSeconds: 5,
      body: () => '# TYPE moving_value gauge\nmoving_value 1\n',
      logger: quietLogger,
    });
    const holders = async (): Promise<string[]> => {
      const found: string[] = [];
      for (const gateway of gateways) {
        if ((await gateway.groups()).some((group) => group.labels['job'] === 'moving')) found.push(gateway.address);
      }
      return found;
    };
    const waitForHolders = async (expected: string[]): Promise<void> => {
      // The check-off gateway applies a push or DELETE just after answering 202.
      const same = async (): Promise<boolean> => JSON.stringify(await holders()) === JSON.stringify(expected);
      // On timeout, the assertion below shows which gateways hold the group.
      await waitFor(same, { timeoutMs: 2500, intervalMs: 50, what: `group "moving" on ${expected.join(', ')}` }).catch(() => undefined);
      expect(await holders()).toEqual(expected);
    };

    await pusher.flush();
    const first = transport.currentReplica;
    await waitForHolders([`${first.host}:${first.port}`]);

    live = all.filter((replica) => replica.baseUrl !== first.baseUrl);
    await pusher.flush();
    const second = transport.currentReplica;
    expect(second.baseUrl).not.toBe(first.baseUrl);
    await transport.settled(); // the DELETE on the replica it left runs in the background, after the PUT
    await waitForHolders([`${second.host}:${second.port}`]);
    expect(transport.stats).toEqual({ moves: 1, leftGroupsDeleted: 1 });

    await pusher.shutdown();
    await waitForHolders([]);
  });
});
