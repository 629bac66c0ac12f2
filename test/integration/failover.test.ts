/**
 * Failover against real gateways: user programs (importing 'persia-metrics' in their own processes) push
 * to three real Pushgateways given as PERSIA_METRICS_GATEWAY_ADDR=gw0,gw1,gw2. The gateway holding the
 * most nodes is killed: its nodes' groups appear on their next rendezvous choice within about an interval
 * (plus the retry backoff), and each says so on stderr; nodes of the healthy gateways never move. The
 * gateway is restarted (empty, as after a crash): its nodes move back and their copy on the fallback is
 * deleted. Throughout, no node is held by two gateways for longer than an interval.
 *
 * Needs `npm run build` first (user programs import the built package).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseGatewayList, type GatewayAddress } from '../../src/gateway/address.js';
import { startPushgateway, type RunningPushgateway } from '../../src/local-stack/pushgateway-process.js';
import { waitFor } from '../../src/local-stack/wait-for.js';
import { groupingPath } from '../../src/push/grouping-key.js';
import { rankReplicas } from '../../src/gateway/rendezvous.js';
import { requireBinary } from '../helpers/binaries.js';
import { killUserPrograms, startUserProgram, type RunningUserProgram } from '../helpers/user-program.js';

const JOB = 'failover';
const NODES = 9;
const INTERVAL_SECONDS = 1;

/** Prints where it pushes whenever that changes (NodeMetrics.gatewayUrl), until SIGTERM. */
const PROGRAM = `
import { startNodeMetrics } from 'persia-metrics';
const metrics = startNodeMetrics();
let last;
const watch = setInterval(() => {
  if (metrics.gatewayUrl !== last) console.log('AT ' + (last = metrics.gatewayUrl));
}, 50);
process.on('SIGTERM', async () => {
  clearInterval(watch);
  await metrics.shutdown().catch(() => {});
  process.exit(0);
});
`;

interface Node {
  readonly instance: string;
  readonly program: RunningUserProgram;
  /** The node's rendezvous ranking of the three gateways (baseUrl), first choice first. */
  readonly ranked: readonly string[];
}

const servers = requireBinary('prometheus-pushgateway') !== undefined;

describe.skipIf(!servers)('failover over three real gateways', () => {
  let gateways: RunningPushgateway[] = [];
  let addresses: GatewayAddress[] = [];
  const nodes: Node[] = [];

  beforeAll(async () => {
    gateways = await Promise.all([0, 1, 2].map(() => startPushgateway()));
    const list = gateways.map((gateway) => gateway.address).join(',');
    addresses = parseGatewayList(list).addresses ?? [];
    for (let index = 0; index < NODES; index += 1) {
      const instance = `node_${index}`;
      const path = groupingPath({ job: JOB, role: 'trainer', instance });
      const program = startUserProgram(PROGRAM, {
        timeoutMs: 120_000,
        env: {
          PERSIA_METRICS_GATEWAY_ADDR: list,
          PERSIA_METRICS_JOB_NAME: JOB,
          PERSIA_NODE_ROLE: 'trainer',
          PERSIA_METRICS_INSTANCE: instance,
          PERSIA_METRICS_PUSH_INTERVAL_SECONDS: String(INTERVAL_SECONDS),
          // Longer than the interval (a warning at start): under a loaded test machine a 1 s timeout lets a
          // healthy gateway look slow; a killed one refuses connections at once whatever the timeout.
          PERSIA_METRICS_PUSH_TIMEOUT_SECONDS: '3',
          PERSIA_METRICS_DELETE_ON_SHUTDOWN: 'true',
        },
      });
      nodes.push({ instance, program, ranked: rankReplicas(addresses, path).map((replica) => replica.baseUrl) });
    }
  }, 60_000);

  afterAll(async () => {
    for (const node of nodes) node.program.child.kill('SIGTERM');
    await Promise.race([Promise.all(nodes.map((node) => node.program.exited)), new Promise((resolve) => setTimeout(resolve, 10_000))]);
    killUserPrograms();
    await Promise.all(gateways.map((gateway) => gateway.stop()));
  });

  /** The last `AT <gatewayUrl>` line the node printed (it checks every 50 ms). */
  function lastAt(node: Node): string | undefined {
    return node.program.stdout().trim().split('\n').at(-1);
  }

  /** Which gateways (baseUrl) hold each node's group now; a dead gateway holds nothing. */
  async function holders(): Promise<Map<string, string[]>> {
    const byInstance = new Map<string, string[]>(nodes.map((node) => [node.instance, []]));
    await Promise.all(
      gateways.map(async (gateway, index) => {
        const groups = await gateway.groups().catch(() => []);
        for (const group of groups) {
          if (group.labels['job'] !== JOB) continue;
          byInstance.get(group.labels['instance'] ?? '')?.push(addresses[index]!.baseUrl);
        }
      }),
    );
    for (const list of byInstance.values()) list.sort();
    return byInstance;
  }

  /** Samples the holders every 100 ms until stopped; reports the longest time any node sat on two gateways. */
  function watchDoubleCounting(): { stop(): Promise<{ longestMs: number; instance: string | undefined }> } {
    const since = new Map<string, number>();
    let longest = { longestMs: 0, instance: undefined as string | undefined };
    let running = true;
    const loop = (async () => {
      while (running) {
        const now = Date.now();
        for (const [instance, list] of await holders()) {
          if (list.length < 2) {
            since.delete(instance);
            continue;
          }
          const start = since.get(instance) ?? now;
          since.set(instance, start);
          if (now - start > longest.longestMs) longest = { longestMs: now - start, instance };
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    return {
      async stop() {
        running = false;
        await loop;
        return longest;
      },
    };
  }

  it('moves the nodes of a killed gateway to their next rendezvous choice and back when it returns, deleting the copy left behind', async () => {
    // Every node on its first choice.
    await waitFor(
      async () => {
        const now = await holders();
        return nodes.every((node) => JSON.stringify(now.get(node.instance)) === JSON.stringify([node.ranked[0]]));
      },
      { timeoutMs: 15_000, intervalMs: 100, what: 'every node on its first-choice gateway' },
    );
    const victimIndex = [0, 1, 2].reduce((best, index) =>
      nodes.filter((node) => node.ranked[0] === addresses[index]!.baseUrl).length > nodes.filter((node) => node.ranked[0] === addresses[best]!.baseUrl).length ? index : best,
    );
    const victim = addresses[victimIndex]!.baseUrl;
    const moving = nodes.filter((node) => node.ranked[0] === victim);
    const staying = nodes.filter((node) => node.ranked[0] !== victim);
    expect(moving.length).toBeGreaterThan(0);
    expect(staying.length).toBeGreaterThan(0);
    const double = watchDoubleCounting();

    // Kill: each of its nodes appears on its second choice within about an interval plus the retries.
    const killedAt = Date.now();
    await gateways[victimIndex]!.kill();
    await waitFor(
      async () => {
        const now = await holders();
        return moving.every((node) => JSON.stringify(now.get(node.instance)) === JSON.stringify([node.ranked[1]]));
      },
      { timeoutMs: 10_000, intervalMs: 100, what: "the killed gateway's nodes on their second choice" },
    );
    const failoverMs = Date.now() - killedAt;
    expect(failoverMs).toBeLessThan((INTERVAL_SECONDS + 0.5 + 1 + 1.5) * 1000); // interval + retry backoff + slack
    for (const node of moving) {
      await waitFor(async () => node.program.stderr().includes(`gateway replica ${victim} failed`), { timeoutMs: 2000, intervalMs: 50, what: `${node.instance} to log its move` });
      expect(node.program.stderr()).toContain(`pushing to ${node.ranked[1]}, this node's next rendezvous choice`);
      await waitFor(async () => lastAt(node) === `AT ${node.ranked[1]}/metrics/job/${JOB}/role/trainer/instance/${node.instance}`, {
        timeoutMs: 2000,
        intervalMs: 50,
        what: `${node.instance}'s gatewayUrl to name its second choice`,
      });
    }

    // A few intervals on the fallback: it stays there while the gateway is down.
    await new Promise((resolve) => setTimeout(resolve, 3 * INTERVAL_SECONDS * 1000));
    const during = await holders();
    for (const node of moving) expect(during.get(node.instance)).toEqual([node.ranked[1]]);

    // Restart (empty, as after a crash): they move back, and their copy on the fallback is deleted.
    await gateways[victimIndex]!.restart();
    await waitFor(
      async () => {
        const now = await holders();
        return moving.every((node) => JSON.stringify(now.get(node.instance)) === JSON.stringify([victim]));
      },
      { timeoutMs: 15_000, intervalMs: 100, what: 'the nodes back on the restarted gateway, and gone from their fallback' },
    );
    for (const node of moving) {
      await waitFor(async () => node.program.stderr().includes(`gateway replica ${victim} answers again`), {
        timeoutMs: 2000,
        intervalMs: 50,
        what: `${node.instance} to log its move back`,
      });
      await waitFor(async () => lastAt(node) === `AT ${victim}/metrics/job/${JOB}/role/trainer/instance/${node.instance}`, {
        timeoutMs: 2000,
        intervalMs: 50,
        what: `${node.instance}'s gatewayUrl to name its first choice again`,
      });
    }

    // A little longer, then the verdicts over the whole run.
    await new Promise((resolve) => setTimeout(resolve, 2 * INTERVAL_SECONDS * 1000));
    const { longestMs, instance } = await double.stop();
    expect(longestMs, `${instance} was on two gateways for ${longestMs} ms`).toBeLessThanOrEqual(INTERVAL_SECONDS * 1000);
    const end = await holders();
    for (const node of nodes) expect(end.get(node.instance)).toEqual([node.ranked[0]]);
    for (const node of staying) {
      expect(node.program.stderr()).not.toMatch(/pushing to|answers again|could not delete/);
      expect(node.program.stdout().trim().split('\n')).toEqual([`AT ${node.ranked[0]}/metrics/job/${JOB}/role/trainer/instance/${node.instance}`]);
    }
  }, 90_000);
});
