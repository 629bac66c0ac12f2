/**
 * A gateway that never answers and one that answers 500 (FAKE servers: a real Pushgateway cannot be made to
 * do either). Timeouts must fire, a group never has two pushes in flight, shutdown keeps its deadline even
 * while a request hangs, and thousands of failing intervals leave memory where it was.
 */
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { afterEach, describe, expect, it } from 'vitest';
import { ShutdownTimeoutError } from '../../src/errors.js';
import { startNodeMetrics, type NodeMetrics } from '../../src/node-metrics.js';
import { Pusher } from '../../src/push/pusher.js';
import { GatewayClient } from '../../src/gateway/client.js';
import { gatewayEndpoint } from '../../src/gateway/endpoint.js';
import { waitFor } from '../../src/local-stack/wait-for.js';
import { startFakeFaultyGateway, type FakeFault, type FakeFaultyGateway } from '../helpers/fake-faulty-gateway.js';

const quiet = { warn: () => {}, info: () => {} };
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

async function fake(fault: FakeFault): Promise<FakeFaultyGateway> {
  const gateway = await startFakeFaultyGateway(fault);
  cleanups.push(() => gateway.close());
  return gateway;
}

function node(address: string, options: Record<string, unknown>): NodeMetrics {
  const created = startNodeMetrics({
    env: {},
    logger: quiet,
    options: { jobName: 'fault_hung', role: 'server', replicaIndex: 0, gatewayAddr: address, ...options },
  });
  cleanups.push(() => created.shutdown(0.5));
  return created;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A gc() the test can call without starting vitest's workers with --expose-gc. */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

describe('fault: a gateway that never answers (fake)', () => {
  it('times out every push, never has two in flight, and the training loop never waits', async () => {
    const hung = await fake('hang');
    const one = node(hung.address, { pushIntervalSeconds: 0.05, pushTimeoutSeconds: 0.3, pushRetries: 2 });
    const counter = one.counter('index_miss_count').labels();
    let recorded = 0;
    const loop = setInterval(() => {
      counter.inc();
      recorded += 1;
    }, 2);
    await sleep(1500);
    // Two timed-out pushes and a skipped tick: at least 0.6 s of push timeouts, later on a loaded machine.
    const failures = one.registry.counter('persia_metrics_push_failures_total').labels('timeout');
    await waitFor(async () => failures.value >= 2 && (one.pushStats?.skippedIntervals ?? 0) > 0, {
      timeoutMs: 15_000,
      intervalMs: 20,
      what: 'two push timeouts and a skipped interval',
    });
    clearInterval(loop);
    expect(recorded).toBeGreaterThan(100); // kept its pace: nothing waited on the hung gateway
    expect(counter.value).toBe(recorded);
    expect(hung.maxOpenPerUrl()).toBe(1);
    expect(one.pushStats?.skippedIntervals).toBeGreaterThan(0); // ticks during the hung push were skipped
    expect(one.pushStats?.lastError).toMatchObject({ code: 'PERSIA_PUSH_TIMEOUT' });
    expect(one.registry.counter('persia_metrics_push_failures_total').labels('timeout').value).toBeGreaterThanOrEqual(2);
  });

  it('flush() calls at once still send one push at a time', async () => {
    const hung = await fake('hang');
    const one = node(hung.address, { pushIntervalSeconds: 60, pushTimeoutSeconds: 0.3, pushRetries: 0 });
    const results = await Promise.allSettled([one.flush(), one.flush(), one.flush()]);
    expect(results.every((result) => result.status === 'rejected')).toBe(true);
    expect(hung.maxOpenPerUrl()).toBe(1);
  });

  it('shutdown keeps its deadline while a push hangs', async () => {
    const hung = await fake('hang');
    const one = node(hung.address, { pushIntervalSeconds: 60, pushTimeoutSeconds: 30, shutdownTimeoutSeconds: 0.5 });
    await waitFor(async () => hung.open() > 0, { timeoutMs: 10_000, intervalMs: 10, what: 'the first push to hang' });
    expect(hung.open()).toBe(1);
    const started = Date.now();
    await expect(one.shutdown()).rejects.toBeInstanceOf(ShutdownTimeoutError);
    expect(Date.now() - started).toBeLessThan(3000); // not the 30 s push timeout
  });
});

describe('fault: a gateway that answers 500 (fake)', () => {
  it('retries within the interval, counts http_5xx, and keeps one push in flight', async () => {
    const failing = await fake('500');
    const one = node(failing.address, { pushIntervalSeconds: 0.05, pushTimeoutSeconds: 0.3, pushRetries: 3 });
    const http5xx = one.registry.counter('persia_metrics_push_failures_total').labels('http_5xx');
    await waitFor(async () => failing.requests() > 5 && http5xx.value > 5, { timeoutMs: 15_000, intervalMs: 20, what: 'more than 5 failed pushes' });
    expect(failing.requests()).toBeGreaterThan(5);
    expect(failing.maxOpenPerUrl()).toBe(1);
    expect(one.registry.counter('persia_metrics_push_failures_total').labels('http_5xx').value).toBeGreaterThan(5);
    await expect(one.flush()).rejects.toMatchObject({ code: 'PERSIA_PUSH_HTTP', statusCode: 500 });
  });
});

describe('fault: memory over thousands of failing intervals (fakes)', () => {
  // The Pusher directly, with a 2 ms interval: the option table's 50 ms floor would make this take minutes.
  async function heapGrowthOver(fault: FakeFault, intervals: number): Promise<{ growth: number; attempts: number }> {
    const gateway = await fake(fault);
    const pusher = new Pusher({
      path: '/metrics/job/fault_memory',
      transport: new GatewayClient(gatewayEndpoint(`http://${gateway.address}`, { timeoutSeconds: 0.01 }), { background: true, connections: 1 }),
      intervalSeconds: 0.002,
      retries: 2,
      deleteOnShutdown: false,
      shutdownTimeoutSeconds: 0.5,
      body: () => '# TYPE m counter\nm 1\n',
      logger: quiet,
    });
    cleanups.push(() => pusher.shutdown());
    pusher.start();
    const attempts = () => pusher.stats.failures + pusher.stats.pushes + pusher.stats.skippedIntervals;
    await sleep(intervals * 0.2); // warm-up: a tenth of the run
    collectGarbage();
    const before = process.memoryUsage().heapUsed;
    // A number of intervals, not a time: a loaded machine runs fewer of them per second.
    const from = attempts();
    await waitFor(async () => attempts() - from >= intervals, { timeoutMs: 40_000, intervalMs: 50, what: `${intervals} push intervals` });
    collectGarbage();
    const growth = process.memoryUsage().heapUsed - before;
    return { growth, attempts: attempts() - from };
  }

  it('stays bounded against a hung gateway and a failing one', async () => {
    for (const fault of ['hang', '500'] as const) {
      const { growth, attempts } = await heapGrowthOver(fault, 1500);
      expect(attempts).toBeGreaterThanOrEqual(1500); // thousands of intervals really happened
      expect(growth).toBeLessThan(8 * 1024 * 1024);
    }
  });
});
