import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { parseGatewayList, type GatewayAddress } from '../../../src/config/gateway-address.js';
import { GatewayReplicas, dnsReplicaResolver, needsResolution } from '../../../src/push/gateway-replicas.js';
import { fnv1a32, pickReplica, rankReplicas } from '../../../src/push/rendezvous.js';
import { ReplicatedTransport, createGatewayTransport } from '../../../src/push/replicated-transport.js';
import { GatewayTransport, HttpGatewayTransport } from '../../../src/push/transport.js';

const addresses = (text: string): GatewayAddress[] => parseGatewayList(text).addresses ?? [];
const keys = Array.from({ length: 1000 }, (_, index) => `/metrics/job/j/role/trainer/instance/rep_${index}`);

describe('rendezvous hashing', () => {
  it('is deterministic and spreads 1,000 nodes evenly over 4 replicas', () => {
    const replicas = addresses('g0:9091,g1:9091,g2:9091,g3:9091');
    const counts = new Map<string, number>();
    for (const key of keys) counts.set(pickReplica(replicas, key).host, (counts.get(pickReplica(replicas, key).host) ?? 0) + 1);
    expect(counts.size).toBe(4);
    for (const count of counts.values()) expect(count).toBeGreaterThan(200); // 250 ± sampling noise
  });

  it('does not depend on the order of the list', () => {
    const replicas = addresses('g0:9091,g1:9091,g2:9091');
    const reversed = [...replicas].reverse();
    for (const key of keys.slice(0, 100)) expect(pickReplica(reversed, key).host).toBe(pickReplica(replicas, key).host);
  });

  it('moves only the nodes that pick an added replica', () => {
    const before = addresses('g0:9091,g1:9091,g2:9091');
    const after = addresses('g0:9091,g1:9091,g2:9091,g3:9091');
    let moved = 0;
    for (const key of keys) {
      const next = pickReplica(after, key).host;
      if (next !== pickReplica(before, key).host) {
        moved += 1;
        expect(next).toBe('g3');
      }
    }
    expect(moved).toBeGreaterThan(150);
    expect(moved).toBeLessThan(350);
  });

  it('hashes similar keys far apart', () => {
    expect(fnv1a32('a0')).not.toBe(fnv1a32('a1'));
    expect(Math.abs(fnv1a32('a0') - fnv1a32('a1'))).toBeGreaterThan(1000);
  });
});

describe('GatewayReplicas', () => {
  const [named] = addresses('tasks.metrics_gateway:9091');
  const ips = (...hosts: string[]): GatewayAddress[] => hosts.map((host) => ({ scheme: 'http', host, port: 9091, baseUrl: `http://${host}:9091` }));

  it('expands a name into its records, re-resolves when due, and reports a move', async () => {
    let records = ips('10.0.0.1', '10.0.0.2', '10.0.0.3');
    let now = 0;
    const replicas = new GatewayReplicas({ addresses: [named!], key: keys[0]!, refreshSeconds: 30, resolve: async () => records, now: () => now });
    expect(await replicas.refreshIfDue()).toBeUndefined(); // the first expansion is not a move
    expect(replicas.all.map((replica) => replica.host)).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.3']);
    const owner = replicas.first.host;
    records = records.filter((replica) => replica.host !== owner);
    now = 10_000;
    expect(await replicas.refreshIfDue()).toBeUndefined(); // not due yet
    now = 31_000;
    const move = await replicas.refreshIfDue();
    expect(move?.from.host).toBe(owner);
    expect(move?.to.host).not.toBe(owner);
  });

  it('keeps the previous replicas when a lookup fails or hangs', async () => {
    let answer: () => Promise<GatewayAddress[]> = async () => ips('10.0.0.1', '10.0.0.2');
    const replicas = new GatewayReplicas({ addresses: [named!], key: keys[0]!, refreshSeconds: 0, resolveTimeoutSeconds: 0.05, resolve: () => answer() });
    await replicas.refresh();
    answer = async () => {
      throw new Error('SERVFAIL');
    };
    expect(await replicas.refresh()).toBeUndefined();
    answer = () => new Promise(() => undefined);
    expect(await replicas.refresh()).toBeUndefined();
    expect(replicas.all).toHaveLength(2);
  });

  it('leaves IPs, https and single-record names as written', async () => {
    expect(await dnsReplicaResolver(addresses('127.0.0.1:9091')[0]!)).toEqual(addresses('127.0.0.1:9091'));
    expect(await dnsReplicaResolver(addresses('https://gw.example:443')[0]!)).toEqual(addresses('https://gw.example:443'));
    expect(await dnsReplicaResolver(addresses('localhost:9091')[0]!)).toEqual(addresses('localhost:9091'));
    expect(needsResolution(addresses('127.0.0.1:1,127.0.0.1:2'))).toBe(false);
    expect(needsResolution(addresses('metrics_gateway:9091'))).toBe(true);
  });
});

describe('rankReplicas', () => {
  it('starts with the first choice and holds every replica once', () => {
    const replicas = addresses('g0:9091,g1:9091,g2:9091,g3:9091');
    for (const key of keys.slice(0, 50)) {
      const ranked = rankReplicas(replicas, key);
      expect(ranked[0]).toBe(pickReplica(replicas, key));
      expect(new Set(ranked.map((replica) => replica.host)).size).toBe(4);
    }
  });

  it('spreads the nodes of a failed replica over the others', () => {
    const replicas = addresses('g0:9091,g1:9091,g2:9091,g3:9091');
    const second = new Map<string, number>();
    for (const key of keys) {
      const [first, next] = rankReplicas(replicas, key);
      if (first?.host === 'g0') second.set(next!.host, (second.get(next!.host) ?? 0) + 1);
    }
    expect([...second.keys()].sort()).toEqual(['g1', 'g2', 'g3']);
    for (const count of second.values()) expect(count).toBeGreaterThan(40); // ~83 each
  });
});

describe('ReplicatedTransport over real HTTP', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
  });

  /** A fake gateway that records `METHOD path` of every request. */
  async function fakeGateway(log: string[]): Promise<GatewayAddress> {
    const server = createServer((request: IncomingMessage, response) => {
      request.resume();
      request.on('end', () => {
        log.push(`${request.method} ${request.url}`);
        response.statusCode = request.method === 'DELETE' ? 202 : 200;
        response.end();
      });
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    return { scheme: 'http', host: '127.0.0.1', port, baseUrl: `http://127.0.0.1:${port}` };
  }

  it('pushes to the chosen replica and, after moving, deletes the group from the replica it left', async () => {
    const logs: string[][] = [[], [], []];
    const gateways = await Promise.all(logs.map((log) => fakeGateway(log)));
    let live = gateways;
    const path = '/metrics/job/j/role/trainer/instance/rep_7';
    // A name `gw` whose records are the live fake gateways; a replica leaves by dropping out of the answer.
    const named: GatewayAddress = { scheme: 'http', host: 'gw', port: 1, baseUrl: 'http://gw:1' };
    const replicas = new GatewayReplicas({ addresses: [named], key: path, refreshSeconds: 0, resolve: async () => live });
    const transport = new ReplicatedTransport({
      replicas,
      connect: (replica) => new HttpGatewayTransport({ timeoutSeconds: 2, gzip: false }, replica.baseUrl),
      probeSeconds: 1,
    });
    await transport.send('PUT', path, 'x 1\n');
    const first = transport.currentReplica;
    const firstIndex = gateways.indexOf(first);
    expect(logs[firstIndex]).toEqual([`PUT ${path}`]);

    live = gateways.filter((gateway) => gateway !== first);
    await transport.send('PUT', path, 'x 2\n');
    const second = transport.currentReplica;
    expect(second).not.toBe(first);
    expect(logs[gateways.indexOf(second)]).toEqual([`PUT ${path}`]);
    await transport.settled(); // the DELETE behind a move runs in the background, after the PUT
    expect(logs[firstIndex]).toEqual([`PUT ${path}`, `DELETE ${path}`]);
    expect(transport.stats).toEqual({ moves: 1, leftGroupsDeleted: 1 });
    await transport.close();
  });

  it('is a plain transport for one IP address, replicated for a list or a name', async () => {
    const setup = (text: string) => ({ gateways: addresses(text), key: '/metrics/job/j', transport: { timeoutSeconds: 1, gzip: false }, refreshSeconds: 30, probeSeconds: 10 });
    const plain = createGatewayTransport(setup('127.0.0.1:9091'));
    const list = createGatewayTransport(setup('127.0.0.1:9091,127.0.0.1:9092'));
    const named = createGatewayTransport(setup('metrics_gateway:9091'));
    expect(plain).toBeInstanceOf(GatewayTransport);
    expect(plain).not.toBeInstanceOf(ReplicatedTransport);
    expect(plain.currentBaseUrl).toBe('http://127.0.0.1:9091');
    expect(list).toBeInstanceOf(ReplicatedTransport);
    expect(named).toBeInstanceOf(ReplicatedTransport);
    await Promise.all([plain.close(), list.close(), named.close()]);
  });
});
