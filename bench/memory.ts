/**
 * Goal 4: the pusher's own memory vs the registry's, for the 10,000-series registry, ours and prom-client's.
 * Measured in this process with a forced GC between steps (`--expose-gc` switched on at run time):
 * - registry: heap retained by the registry holding the recorded values;
 * - pusher: heap retained by the Pusher, its transport and its body composer after a first push (the
 *   per-series byte caches of the protobuf encoder and its writer, built once and kept), plus what one
 *   later push allocates without a GC in between (the body copied out of the writer, garbage included), so
 *   the figure is the peak a push adds. prom-client's: what its push allocates, garbage included.
 */
import { Agent as HttpAgent } from 'node:http';
import client from 'prom-client';
import { bodyComposer } from '../src/push/push-body.js';
import { Pusher } from '../src/push/pusher.js';
import { GatewayClient } from '../src/gateway/client.js';
import { gatewayEndpoint } from '../src/gateway/endpoint.js';
import { forceGc as gc } from './gc.js';
import { buildOurRegistry, buildPromRegistry, shapeFor } from './synthetic-registry.js';

export interface MemoryResult {
  readonly series: number;
  readonly oursRegistryKiB: number;
  readonly oursPusherKiB: number;
  /** pusher / registry: goal < 1.5. */
  readonly oursRatio: number;
  readonly promClientRegistryKiB: number;
  readonly promClientPushKiB: number;
  readonly promClientRatio: number;
}

function used(): number {
  gc();
  gc();
  const memory = process.memoryUsage();
  return memory.heapUsed + memory.external;
}

const keep: unknown[] = [];

export async function runMemory(series: number): Promise<MemoryResult> {
  const shape = shapeFor(series);
  let base = used();
  const ours = buildOurRegistry(shape);
  const oursRegistry = used() - base;

  base = used();
  const compose = bodyComposer(ours, []);
  const pusher = new Pusher({
    path: '/metrics/job/x',
    transport: new GatewayClient(gatewayEndpoint('http://127.0.0.1:1', { timeoutSeconds: 1 }), { background: true, connections: 1 }),
    intervalSeconds: 10,
    retries: 0,
    deleteOnShutdown: false,
    shutdownTimeoutSeconds: 1,
    body: compose,
    logger: { warn: () => undefined, info: () => undefined },
  });
  keep.push(pusher, await compose(new Set())); // the first push builds what every later push reuses
  keep.length = 0;
  keep.push(pusher);
  const pusherRetained = used() - base;
  const pushPeak = await measurePeak(async () => [await compose(new Set())]);

  base = used();
  const theirs = buildPromRegistry(shape);
  const theirRegistry = used() - base;
  const gateway = new client.Pushgateway('http://127.0.0.1:1', { agent: new HttpAgent({ keepAlive: true }) }, theirs);
  keep.push(gateway);
  base = process.memoryUsage().heapUsed;
  const theirBody = await theirs.metrics();
  const theirPeak = process.memoryUsage().heapUsed - base + Buffer.byteLength(theirBody);
  keep.push(ours, theirs, theirBody);
  keep.length = 0;

  const oursPusher = pusherRetained + pushPeak;
  return {
    series: shape.series,
    oursRegistryKiB: oursRegistry / 1024,
    oursPusherKiB: oursPusher / 1024,
    oursRatio: oursPusher / oursRegistry,
    promClientRegistryKiB: theirRegistry / 1024,
    promClientPushKiB: theirPeak / 1024,
    promClientRatio: theirPeak / theirRegistry,
  };
}

/** Bytes allocated (heap + external) by `work`, without a GC in between so transient garbage counts. */
async function measurePeak(work: () => Promise<unknown[]>): Promise<number> {
  gc();
  const before = process.memoryUsage();
  const held = await work();
  const after = process.memoryUsage();
  keep.push(held);
  return after.heapUsed - before.heapUsed + (after.external - before.external);
}
