/**
 * Goal 2: one push cycle of a 10,000-series registry, ours (the library's own Pusher + transport, exactly
 * what a node runs) vs prom-client's `Pushgateway.pushAdd` for the same recorded values, against the same
 * real gateway, alternating so both see the same gateway state. prom-client gets a keep-alive agent too, so
 * the comparison is not about connection set-up. Max event-loop block is watched during each side's pushes;
 * a full GC before each timed push keeps one side's garbage from being collected inside the other's.
 * Ours pushes in the node's default format (protobuf-delimited) unless told `text`.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent as HttpAgent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import client from 'prom-client';
import { groupingPath } from '../src/push/grouping-key.js';
import { bodyComposer, type PushBody, type PushFormat } from '../src/push/push-body.js';
import { Pusher } from '../src/push/pusher.js';
import { GatewayClient } from '../src/gateway/client.js';
import { gatewayEndpoint } from '../src/gateway/endpoint.js';
import { forceGc } from './gc.js';
import { buildOtelRegistry, buildOurRegistry, buildPromRegistry, shapeFor, type SyntheticShape } from './synthetic-registry.js';
import { median, nowMs, withLoopMonitor } from './timing.js';

export interface PushCycleResult {
  readonly gateway: string;
  /** Our body's format (prom-client always pushes text). */
  readonly format: PushFormat;
  readonly series: number;
  /** Our body. */
  readonly bodyBytes: number;
  /** prom-client's (text) body. */
  readonly promClientBodyBytes: number;
  readonly oursWallMs: number;
  readonly promClientWallMs: number;
  /** ours / prom-client: goal ≤ 0.6. */
  readonly wallRatio: number;
  readonly oursMaxBlockMs: number;
  readonly promClientMaxBlockMs: number;
  /** The same monitor over an idle wait as long as our push: the machine's noise floor for "block". */
  readonly idleMaxBlockMs: number;
  /**
   * The same monitor over our idle loop while ANOTHER process pushes our body to the same gateway: the
   * floor on a 2-core machine where the gateway's parsing takes the cores our loop would run on.
   */
  readonly busyGatewayMaxBlockMs: number;
  /** Median over the rounds of each push's max block (the max is one bad round). */
  readonly oursBlockP50Ms: number;
  readonly promClientBlockP50Ms: number;
  /** Serialising alone (no network), median ms. */
  readonly oursExpositionMs: number;
  readonly promClientExpositionMs: number;
  /** OpenTelemetry SDK: collect() + PrometheusSerializer (a scrape's work; it has no Pushgateway exporter). */
  readonly otelExpositionMs: number;
  readonly otelBodyBytes: number;
}

const SILENT = { warn: () => undefined, info: () => undefined };

export async function runPushCycle(gatewayUrl: string, gatewayLabel: string, series: number, rounds: number, format: PushFormat = 'protobuf'): Promise<PushCycleResult> {
  const shape = shapeFor(series);
  const ours = buildOurRegistry(shape);
  const theirs = buildPromRegistry(shape);
  const compose = bodyComposer(ours, [], format);
  const body = (await compose(new Set())) as PushBody;
  const families = ours.names().map((name) => ours.get(name)!);
  // Serialising alone, synchronously, in the pushed format, by the registry's own encoder (as a push does).
  const expose = format === 'protobuf' ? () => ours.protobufExposition.encode(families) : () => ours.metrics();
  const pusher = new Pusher({
    path: groupingPath({ job: 'bench_push_cycle', role: 'trainer', instance: 'ours' }),
    transport: new GatewayClient(gatewayEndpoint(gatewayUrl, { timeoutSeconds: 30 }), { background: true, connections: 1 }),
    intervalSeconds: 60,
    retries: 0,
    deleteOnShutdown: true,
    shutdownTimeoutSeconds: 10,
    body: compose,
    logger: SILENT,
  });
  const otherProcess = startOtherPusher(body, `${gatewayUrl}${groupingPath({ job: 'bench_push_cycle', role: 'trainer', instance: 'other_process' })}`);
  const agent = new HttpAgent({ keepAlive: true, maxSockets: 2 });
  const gateway = new client.Pushgateway(gatewayUrl, { timeout: 30_000, agent }, theirs);
  const theirPush = () => gateway.pushAdd({ jobName: 'bench_push_cycle', groupings: { role: 'trainer', instance: 'prom_client' } });

  // Warm-up: connections, JIT, and the gateway holding both groups before anything is timed.
  for (let i = 0; i < 3; i += 1) {
    await pusher.flush();
    await theirPush();
    await otherProcess.push();
  }
  const oursMs: number[] = [];
  const theirMs: number[] = [];
  let oursMaxBlockMs = 0;
  let promClientMaxBlockMs = 0;
  let idleMaxBlockMs = 0;
  let busyGatewayMaxBlockMs = 0;
  const oursBlocks: number[] = [];
  const theirBlocks: number[] = [];
  for (let i = 0; i < rounds; i += 1) {
    forceGc();
    const mine = await withLoopMonitor(async () => {
      const started = nowMs();
      await pusher.flush();
      return nowMs() - started;
    });
    oursMs.push(mine.result);
    oursMaxBlockMs = Math.max(oursMaxBlockMs, mine.maxBlockMs);
    oursBlocks.push(mine.maxBlockMs);
    forceGc();
    const other = await withLoopMonitor(async () => {
      const started = nowMs();
      await theirPush();
      return nowMs() - started;
    });
    theirMs.push(other.result);
    promClientMaxBlockMs = Math.max(promClientMaxBlockMs, other.maxBlockMs);
    theirBlocks.push(other.maxBlockMs);
    forceGc();
    const idle = await withLoopMonitor(() => new Promise((resolve) => setTimeout(resolve, mine.result)));
    idleMaxBlockMs = Math.max(idleMaxBlockMs, idle.maxBlockMs);
    forceGc();
    const busy = await withLoopMonitor(() => otherProcess.push());
    busyGatewayMaxBlockMs = Math.max(busyGatewayMaxBlockMs, busy.maxBlockMs);
  }
  const oursExpo: number[] = [];
  const theirExpo: number[] = [];
  // A full GC before each timed exposition, as before each timed push: the other side's garbage (prom-client's
  // text of 100k series is tens of MB) is not collected inside this side's timing.
  for (let i = 0; i < rounds; i += 1) {
    forceGc();
    let started = nowMs();
    expose();
    oursExpo.push(nowMs() - started);
    forceGc();
    started = nowMs();
    await theirs.metrics();
    theirExpo.push(nowMs() - started);
  }
  // OpenTelemetry's meter is built only now, and dropped after: its heap (several times ours for the same
  // series) made every GC during the pushes and our exposition slower (measured: our 100k-series exposition
  // 14 → 23 ms with the meter alive in the process).
  const { otelExpositionMs, otelBodyBytes } = await otelExposition(shape, rounds);
  await otherProcess.stop();
  await pusher.shutdown();
  await gateway.delete({ jobName: 'bench_push_cycle', groupings: { role: 'trainer', instance: 'prom_client' } });
  agent.destroy();
  const oursWallMs = median(oursMs);
  const promClientWallMs = median(theirMs);
  return {
    gateway: gatewayLabel,
    format,
    series: shape.series,
    bodyBytes: typeof body.data === 'string' ? Buffer.byteLength(body.data) : body.data.length,
    promClientBodyBytes: Buffer.byteLength(await theirs.metrics()),
    oursWallMs,
    promClientWallMs,
    wallRatio: oursWallMs / promClientWallMs,
    oursMaxBlockMs,
    promClientMaxBlockMs,
    idleMaxBlockMs,
    busyGatewayMaxBlockMs,
    oursBlockP50Ms: median(oursBlocks),
    promClientBlockP50Ms: median(theirBlocks),
    oursExpositionMs: median(oursExpo),
    promClientExpositionMs: median(theirExpo),
    otelExpositionMs,
    otelBodyBytes,
  };
}

async function otelExposition(shape: SyntheticShape, rounds: number): Promise<{ otelExpositionMs: number; otelBodyBytes: number }> {
  forceGc();
  const otel = buildOtelRegistry(shape);
  const otelBodyBytes = Buffer.byteLength(await otel.expose()); // also its warm-up
  const times: number[] = [];
  for (let i = 0; i < rounds; i += 1) {
    forceGc();
    const started = nowMs();
    await otel.expose();
    times.push(nowMs() - started);
  }
  return { otelExpositionMs: median(times), otelBodyBytes };
}

/** Pushes our body from a child process (its own event loop and CPU), on request over IPC. */
function startOtherPusher(body: PushBody, url: string): { push(): Promise<void>; stop(): Promise<void> } {
  const dir = mkdtempSync(join(tmpdir(), 'persia-bench-'));
  const bodyFile = join(dir, 'body');
  const script = join(dir, 'other-pusher.mjs');
  writeFileSync(bodyFile, body.data);
  writeFileSync(
    script,
    `import { readFileSync } from 'node:fs';
const body = readFileSync(${JSON.stringify(bodyFile)});
process.on('message', async () => {
  const response = await fetch(${JSON.stringify(url)}, { method: 'PUT', body, headers: { 'content-type': ${JSON.stringify(body.contentType)} } });
  await response.arrayBuffer();
  process.send(response.status);
});
`,
  );
  const child: ChildProcess = fork(script, { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  return {
    push: () =>
      new Promise<void>((resolve) => {
        child.once('message', () => resolve());
        child.send('push');
      }),
    stop: async () => {
      child.kill();
      await fetch(url, { method: 'DELETE' }).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
