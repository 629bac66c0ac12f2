import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { parseGatewayList, type GatewayAddress } from '../../../src/gateway/address.js';
import { GatewayReplicas, dnsReplicaResolver, needsResolution } from '../../../src/gateway/replicas.js';
import { fnv1a32, pickReplica, rankReplicas } from '../../../src/gateway/rendezvous.js';
import { PushHttpError, PushNetworkError, PushTimeoutError } from '../../../src/errors.js';
import { createGatewayTransport } from '../../../src/gateway/create-transport.js';
import { ReplicatedTransport, type LeaveFailure, type ReplicaMove } from '../../../src/gateway/replicated-transport.js';
import { GatewayClient } from '../../../src/gateway/client.js';
import { gatewayEndpoint } from '../../../src/gateway/endpoint.js';
import type { ExchangeResult, GatewayMethod, GatewayTransport } from '../../../src/gateway/transport.js';

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
      connect: (replica) => new GatewayClient(gatewayEndpoint(replica, { timeoutSeconds: 2 }), { background: true, connections: 1 }),
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
    const setup = (text: string) => ({ gateways: addresses(text), key: '/metrics/job/j', endpoint: { timeoutSeconds: 1 }, refreshSeconds: 30, probeSeconds: 10 });
    const plain = createGatewayTransport(setup('127.0.0.1:9091'));
    const list = createGatewayTransport(setup('127.0.0.1:9091,127.0.0.1:9092'));
    const named = createGatewayTransport(setup('metrics_gateway:9091'));
    expect(plain).toBeInstanceOf(GatewayClient);
    expect(plain).not.toBeInstanceOf(ReplicatedTransport);
    expect(plain.currentBaseUrl).toBe('http://127.0.0.1:9091');
    expect(list).toBeInstanceOf(ReplicatedTransport);
    expect(named).toBeInstanceOf(ReplicatedTransport);
    await Promise.all([plain.close(), list.close(), named.close()]);
  });
});

/** One replica's transport, in memory: answers as told, logs `METHOD path`, can hold a DELETE open. */
class FakeReplica implements GatewayTransport {
  answer: 'ok' | 'refused' | 'timeout' | 'http_500' | 'http_400' = 'ok';
  /** What DELETEs get, when other than `answer`. */
  answerDelete: FakeReplica['answer'] | undefined;
  readonly log: string[] = [];
  /** While set, DELETEs wait for it (a slow clean-up). */
  deleteGate: Promise<void> | undefined;
  closed = false;

  constructor(readonly currentBaseUrl: string) {}

  async send(method: GatewayMethod, path: string): Promise<ExchangeResult> {
    if (method === 'DELETE' && this.deleteGate !== undefined) await this.deleteGate;
    const url = `${this.currentBaseUrl}${path}`;
    switch (method === 'DELETE' ? (this.answerDelete ?? this.answer) : this.answer) {
      case 'refused':
        throw new PushNetworkError(method, url, new Error('ECONNREFUSED'));
      case 'timeout':
        throw new PushTimeoutError(method, url, 1);
      case 'http_500':
        throw new PushHttpError(method, url, 500, 'boom');
      case 'http_400':
        throw new PushHttpError(method, url, 400, 'bad body');
      case 'ok':
        this.log.push(`${method} ${path}`);
        return { statusCode: method === 'DELETE' ? 202 : 200, durationSeconds: 0, baseUrl: this.currentBaseUrl };
    }
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  async destroy(): Promise<void> {
    this.closed = true;
  }
}

describe('ReplicatedTransport failover (fake replicas)', () => {
  const path = '/metrics/job/j/role/trainer/instance/rep_3';
  const PUT = `PUT ${path}`;
  const DELETE = `DELETE ${path}`;

  function setup(list = 'g0:9091,g1:9091,g2:9091', probeSeconds = 10) {
    const gateways = addresses(list);
    const ranked = rankReplicas(gateways, path);
    const fakes = new Map(gateways.map((gateway) => [gateway.baseUrl, new FakeReplica(gateway.baseUrl)]));
    const fake = (rank: number): FakeReplica => fakes.get(ranked[rank]!.baseUrl)!;
    let now = 0;
    const moves: ReplicaMove[] = [];
    const leaveFailures: LeaveFailure[] = [];
    const transport = new ReplicatedTransport({
      replicas: new GatewayReplicas({ addresses: gateways, key: path, refreshSeconds: 30 }),
      connect: (replica) => fakes.get(replica.baseUrl)!,
      probeSeconds,
      onMove: (move) => moves.push(move),
      onLeaveFailed: (failure) => leaveFailures.push(failure),
      now: () => now,
    });
    const advance = (seconds: number): void => {
      now += seconds * 1000;
    };
    return { transport, ranked, fake, moves, leaveFailures, advance };
  }

  /** Push, lose the first choice (refused), land on the fallback, then see the first choice answer its probe. */
  async function failOverAndRecover(transport: ReplicatedTransport, fake: (rank: number) => FakeReplica, advance: (seconds: number) => void): Promise<void> {
    await transport.send('PUT', path, 'x 1\n');
    fake(0).answer = 'refused';
    await expect(transport.send('PUT', path, 'x 2\n')).rejects.toThrow();
    await transport.send('PUT', path, 'x 2\n');
    fake(0).answer = 'ok';
    advance(1);
    await transport.send('PUT', path, 'x 3\n');
    await transport.settled();
  }

  it('pushes to its first choice while it answers', async () => {
    const { transport, ranked, fake, moves } = setup();
    for (let index = 0; index < 3; index += 1) await transport.send('PUT', path, 'x 1\n');
    expect(transport.currentBaseUrl).toBe(ranked[0]!.baseUrl);
    expect(fake(0).log).toEqual([PUT, PUT, PUT]);
    expect(fake(1).log).toEqual([]);
    expect(moves).toEqual([]);
  });

  for (const [answer, failures] of [
    ['refused', 1],
    ['timeout', 2],
    ['http_500', 2],
  ] as const) {
    it(`moves to its next rendezvous choice when its replica fails ${failures} push(es) in a row (${answer}), and reports the move`, async () => {
      const { transport, ranked, fake, moves } = setup();
      await transport.send('PUT', path, 'x 1\n');
      fake(0).answer = answer;
      for (let failure = 1; failure < failures; failure += 1) {
        await expect(transport.send('PUT', path, 'x 2\n')).rejects.toThrow();
        expect(transport.currentBaseUrl).toBe(ranked[0]!.baseUrl); // one slow answer is not a dead gateway
      }
      await expect(transport.send('PUT', path, 'x 2\n')).rejects.toThrow(); // the Pusher counts it and retries
      expect(transport.currentBaseUrl).toBe(ranked[1]!.baseUrl);
      expect(moves).toHaveLength(1);
      expect(moves[0]).toMatchObject({ from: ranked[0], to: ranked[1], reason: 'failed' });
      expect(moves[0]?.error?.message).toContain(ranked[0]!.baseUrl);
      await transport.send('PUT', path, 'x 2\n');
      expect(fake(1).log).toEqual([PUT]);
      expect(fake(2).log).toEqual([]);
    });
  }

  it('counts only timeouts and 5xx in a row: a success in between starts over', async () => {
    const { transport, ranked, fake, moves } = setup();
    for (let round = 0; round < 3; round += 1) {
      fake(0).answer = 'timeout';
      await expect(transport.send('PUT', path, 'x\n')).rejects.toThrow(PushTimeoutError);
      fake(0).answer = 'ok';
      await transport.send('PUT', path, 'x\n');
    }
    expect(transport.currentBaseUrl).toBe(ranked[0]!.baseUrl);
    expect(moves).toEqual([]);
  });

  it('stays on its replica when the gateway refuses the body (4xx): another replica would refuse it too', async () => {
    const { transport, ranked, fake, moves } = setup();
    fake(0).answer = 'http_400';
    await expect(transport.send('PUT', path, 'bad\n')).rejects.toThrow(PushHttpError);
    expect(transport.currentBaseUrl).toBe(ranked[0]!.baseUrl);
    expect(moves).toEqual([]);
  });

  it('does not move on a failed DELETE (the final one of a shutdown)', async () => {
    const { transport, ranked, fake, moves } = setup();
    await transport.send('PUT', path, 'x 1\n');
    fake(0).answer = 'refused';
    await expect(transport.send('DELETE', path)).rejects.toThrow(PushNetworkError);
    expect(transport.currentBaseUrl).toBe(ranked[0]!.baseUrl);
    expect(moves).toEqual([]);
  });

  it('probes its failed first choice once per probe interval with a DELETE, then moves back and deletes its copy on the fallback', async () => {
    const { transport, ranked, fake, moves, advance } = setup('g0:9091,g1:9091,g2:9091', 10);
    await transport.send('PUT', path, 'x 1\n');
    fake(0).answer = 'refused';
    await expect(transport.send('PUT', path, 'x 2\n')).rejects.toThrow(PushNetworkError);
    await transport.send('PUT', path, 'x 2\n'); // the retry lands on the fallback
    await transport.settled();
    expect(fake(0).log).toEqual([PUT]); // not probed within the probe interval
    fake(0).answer = 'ok'; // back, empty (a restarted gateway)
    advance(5);
    await transport.send('PUT', path, 'x 3\n');
    await transport.settled();
    expect(fake(0).log).toEqual([PUT]); // still not due
    expect(transport.currentBaseUrl).toBe(ranked[1]!.baseUrl);
    advance(5);
    await transport.send('PUT', path, 'x 4\n'); // due: the probe DELETE runs after this push
    await transport.settled();
    expect(fake(0).log).toEqual([PUT, DELETE]);
    expect(transport.currentBaseUrl).toBe(ranked[1]!.baseUrl); // moves with the next push
    await transport.send('PUT', path, 'x 5\n');
    expect(transport.currentBaseUrl).toBe(ranked[0]!.baseUrl);
    await transport.settled();
    expect(fake(0).log).toEqual([PUT, DELETE, PUT]);
    expect(fake(1).log).toEqual([PUT, PUT, PUT, DELETE]);
    expect(moves.map((move) => [move.from.baseUrl, move.to.baseUrl, move.reason])).toEqual([
      [ranked[0]!.baseUrl, ranked[1]!.baseUrl, 'failed'],
      [ranked[1]!.baseUrl, ranked[0]!.baseUrl, 'recovered'],
    ]);
    expect(transport.stats.moves).toBe(2);
  });

  it('a replica that answers its probe but fails every PUT wins the node back ever more rarely (found by a new-user session: nodes flapped every two intervals)', async () => {
    const { transport, ranked, fake, moves, advance } = setup('g0:9091,g1:9091', 1);
    await transport.send('PUT', path, 'x 0\n');
    const broken = fake(0);
    broken.answer = 'http_500';
    broken.answerDelete = 'ok'; // a proxy in front of a gateway with a full disk: DELETE fine, PUT 500
    let failedPushes = 0;
    for (let second = 0; second < 120; second += 1) {
      advance(1);
      await transport.send('PUT', path, 'x 1\n').catch(() => (failedPushes += 1));
      await transport.settled();
    }
    // Back on the broken replica after probes at about 1, 2, 4, 8, 16, 32, 32 s: each costs one failed push.
    const returns = moves.filter((move) => move.reason === 'recovered').length;
    expect(returns).toBeGreaterThanOrEqual(4);
    expect(returns).toBeLessThanOrEqual(8);
    expect(failedPushes).toBeLessThanOrEqual(returns + 2);
    expect(transport.currentBaseUrl).toBe(ranked[1]!.baseUrl);
    // Once it really recovers, the node moves back for good and the probe interval starts over.
    broken.answer = 'ok';
    for (let second = 0; second < 40; second += 1) {
      advance(1);
      await transport.send('PUT', path, 'x 2\n');
      await transport.settled();
    }
    expect(transport.currentBaseUrl).toBe(ranked[0]!.baseUrl);
  });

  it('every replica down: one reported move for the whole outage, not one per replica per cycle (found by a new-user session: 35 warnings in 30 s)', async () => {
    const { transport, fake, moves, advance } = setup('g0:9091,g1:9091,g2:9091', 1);
    await transport.send('PUT', path, 'x 0\n');
    for (const rank of [0, 1, 2]) fake(rank).answer = 'refused';
    for (let attempt = 0; attempt < 30; attempt += 1) {
      advance(1);
      await transport.send('PUT', path, 'x 1\n').catch(() => undefined);
      await transport.settled();
    }
    expect(moves.filter((move) => move.reason === 'failed')).toHaveLength(1);
    fake(2).answer = 'ok';
    for (let attempt = 0; attempt < 3; attempt += 1) await transport.send('PUT', path, 'x 2\n').catch(() => undefined);
    fake(1).answer = 'ok';
    fake(2).answer = 'refused';
    await transport.send('PUT', path, 'x 3\n').catch(() => undefined);
    await transport.send('PUT', path, 'x 3\n').catch(() => undefined);
    expect(moves.filter((move) => move.reason === 'failed').length).toBeGreaterThanOrEqual(2); // a new outage after a success is told again
  });

  it('a replica that refused or answered 5xx to every PUT holds no copy: nothing to delete or report at shutdown', async () => {
    const { transport, fake, leaveFailures } = setup('g0:9091,g1:9091', 1);
    fake(0).answer = 'http_500';
    await transport.send('PUT', path, 'x 0\n').catch(() => undefined);
    await transport.send('PUT', path, 'x 0\n').catch(() => undefined);
    await transport.send('PUT', path, 'x 0\n');
    expect(fake(1).log).toEqual([PUT]);
    fake(0).answer = 'refused';
    await transport.deleteLeftCopies();
    expect(leaveFailures).toEqual([]);
    expect(fake(0).log).toEqual([]);
  });

  it('keeps a clean-up DELETE out of the PUT: the push resolves while the DELETE is still pending', async () => {
    const { transport, ranked, fake, advance } = setup('g0:9091,g1:9091', 1);
    await failOverAndRecover(transport, fake, advance); // on the fallback; the first choice answers its probe again
    let open!: () => void;
    fake(1).deleteGate = new Promise<void>((resolve) => (open = resolve));
    await transport.send('PUT', path, 'x 4\n'); // moves back; the fallback's DELETE hangs
    expect(transport.currentBaseUrl).toBe(ranked[0]!.baseUrl);
    expect(fake(1).log).toEqual([PUT, PUT]); // DELETE not applied yet, and the PUT did not wait for it
    let settled = false;
    const done = transport.settled().then(() => (settled = true));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(settled).toBe(false);
    open();
    await done;
    expect(fake(1).log).toEqual([PUT, PUT, DELETE]);
    expect(transport.stats.leftGroupsDeleted).toBe(2); // the probe on the first choice, the fallback's copy
  });

  it("sends to a replica only after that replica's pending clean-up DELETE, never before it", async () => {
    const { transport, ranked, fake, advance } = setup('g0:9091,g1:9091', 1);
    await failOverAndRecover(transport, fake, advance); // on the fallback; the first choice answers its probe again
    let open!: () => void;
    fake(1).deleteGate = new Promise<void>((resolve) => (open = resolve));
    await transport.send('PUT', path, 'x 4\n'); // back on the first choice; fallback DELETE pending
    fake(0).answer = 'refused';
    await expect(transport.send('PUT', path, 'x 5\n')).rejects.toThrow(); // fails over to the fallback again
    expect(transport.currentBaseUrl).toBe(ranked[1]!.baseUrl);
    const push = transport.send('PUT', path, 'x 5\n');
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(fake(1).log).toEqual([PUT, PUT]); // the PUT waits behind the DELETE
    open();
    await push;
    expect(fake(1).log).toEqual([PUT, PUT, DELETE, PUT]); // the group ends up where the node pushes
  });

  it('reports a clean-up that keeps failing once; keeps probing a failed better choice, gives up on the others', async () => {
    const { transport, ranked, fake, leaveFailures, advance } = setup('g0:9091,g1:9091,g2:9091', 1);
    await transport.send('PUT', path, 'x 0\n');
    fake(0).answer = 'refused';
    await expect(transport.send('PUT', path, 'x 1\n')).rejects.toThrow();
    for (let index = 0; index < 6; index += 1) {
      advance(1);
      await transport.send('PUT', path, 'x 1\n');
      await transport.settled();
    }
    expect(leaveFailures).toHaveLength(1);
    expect(leaveFailures[0]).toMatchObject({ replica: ranked[0], attempts: 3, stillTrying: true });
    fake(0).answer = 'ok';
    advance(1);
    await transport.send('PUT', path, 'x 2\n');
    await transport.settled();
    // The fallback it leaves now refuses its DELETE: three attempts on later pushes, one report, then given up.
    fake(1).answer = 'refused';
    await transport.send('PUT', path, 'x 3\n'); // moved back once the probe answered
    expect(transport.currentBaseUrl).toBe(ranked[0]!.baseUrl);
    await transport.settled();
    for (let index = 0; index < 5; index += 1) {
      await transport.send('PUT', path, 'x 4\n');
      await transport.settled();
    }
    expect(leaveFailures).toHaveLength(2);
    expect(leaveFailures[1]).toMatchObject({ replica: ranked[1], attempts: 3, stillTrying: false });
  });

  it('cycles through its replicas in rendezvous order when every one fails, and stays on the first that answers', async () => {
    const { transport, ranked, fake, moves } = setup('g0:9091,g1:9091');
    fake(0).answer = 'refused';
    fake(1).answer = 'refused';
    await expect(transport.send('PUT', path, 'x\n')).rejects.toThrow();
    expect(transport.currentBaseUrl).toBe(ranked[1]!.baseUrl);
    await expect(transport.send('PUT', path, 'x\n')).rejects.toThrow();
    expect(transport.currentBaseUrl).toBe(ranked[0]!.baseUrl);
    fake(1).answer = 'ok';
    await expect(transport.send('PUT', path, 'x\n')).rejects.toThrow();
    await transport.send('PUT', path, 'x\n');
    await transport.send('PUT', path, 'x\n');
    expect(transport.currentBaseUrl).toBe(ranked[1]!.baseUrl);
    expect(fake(1).log).toEqual([PUT, PUT]);
    expect(moves.every((move) => move.reason === 'failed')).toBe(true);
  });

  it('a single replica has nowhere to go: it stays, and reports no move', async () => {
    const { transport, ranked, fake, moves } = setup('g0:9091');
    fake(0).answer = 'refused';
    await expect(transport.send('PUT', path, 'x\n')).rejects.toThrow();
    await expect(transport.send('PUT', path, 'x\n')).rejects.toThrow();
    expect(transport.currentBaseUrl).toBe(ranked[0]!.baseUrl);
    expect(moves).toEqual([]);
  });

  it("close() waits for a clean-up DELETE in flight, then closes every replica's transport", async () => {
    const { transport, fake, advance } = setup('g0:9091,g1:9091', 1);
    await failOverAndRecover(transport, fake, advance); // on the fallback; the first choice answers its probe again
    let open!: () => void;
    fake(1).deleteGate = new Promise<void>((resolve) => (open = resolve));
    await transport.send('PUT', path, 'x 4\n'); // moved back: the fallback's DELETE is pending
    const closing = transport.close();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(fake(1).closed).toBe(false);
    open();
    await closing;
    expect(fake(1).log.at(-1)).toBe(DELETE);
    expect(fake(0).closed).toBe(true);
    expect(fake(1).closed).toBe(true);
  });

  it('close() aborts a probe of a failed replica at once: a dead gateway never holds up a shutdown', async () => {
    const { transport, fake, advance } = setup('g0:9091,g1:9091', 1);
    await transport.send('PUT', path, 'x 1\n');
    fake(0).answer = 'refused';
    await expect(transport.send('PUT', path, 'x 2\n')).rejects.toThrow();
    advance(1);
    fake(0).deleteGate = new Promise<void>(() => undefined); // a probe that never answers
    await transport.send('PUT', path, 'x 2\n'); // on the fallback; the probe of the first choice hangs
    await transport.close();
    expect(fake(0).closed).toBe(true);
    expect(fake(1).closed).toBe(true);
  });
});
