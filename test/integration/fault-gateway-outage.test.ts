/**
 * The real gateway goes away and comes back, in every way it does in production: down when the node starts,
 * SIGKILLed mid-run, restarted empty (no persistence), back after a long outage. Through all of it the
 * training loop keeps recording without a throw or a wait, and once the gateway is back it holds exactly
 * the counts the loop recorded: a push is the node's whole cumulative state, so nothing is lost.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPushgateway, type RunningPushgateway } from '../../src/local-stack/pushgateway-process.js';
import { waitFor } from '../../src/local-stack/wait-for.js';
import { startNodeMetrics, type NodeMetrics } from '../../src/node-metrics.js';
import { requireBinary } from '../helpers/binaries.js';
import { parseExposition, seriesKey } from '../helpers/parse-exposition.js';

const servers = requireBinary('prometheus-pushgateway') !== undefined;
const INTERVAL = 0.2;
const JOB = 'fault_outage';
const KEY = { instance: 'rep_0', job: JOB, role: 'server' };

/** The test's ground truth: what the training loop recorded, kept beside the library's own numbers. */
class RecordingLoop {
  misses = 0;
  observations = 0;
  sum = 0;
  ticks = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly node: NodeMetrics) {}

  start(): void {
    const misses = this.node.counter('index_miss_count').labels();
    const lookup = this.node.histogram('lookup_mixed_batch_time_cost').labels();
    this.timer = setInterval(() => {
      // Any throw here fails the test through vitest's unhandled-error check; a returned promise would mean
      // recording waits on something.
      const returned: unknown = misses.inc(3);
      expect(returned).toBeUndefined();
      lookup.observe(0.004);
      this.misses += 3;
      this.observations += 1;
      this.sum += 0.004;
      this.ticks += 1;
    }, 2);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** The loop keeps its pace while pushes fail: the event loop is never held up by the network. */
  async assertKeepsRunning(ms: number): Promise<void> {
    const before = this.ticks;
    await new Promise((resolve) => setTimeout(resolve, ms));
    expect(this.ticks - before).toBeGreaterThan(ms / 2 / 4); // 2 ms timer; a quarter of the pace is plenty
  }
}

describe.skipIf(!servers)('fault: the real gateway down, killed, restarted empty, back after a while', () => {
  let gateway: RunningPushgateway;
  let node: NodeMetrics;
  const warnings: string[] = [];

  beforeAll(async () => {
    gateway = await startPushgateway();
    await gateway.stop(); // the port stays ours in practice: restart() reuses it
  });

  afterAll(async () => {
    await node?.shutdown(2).catch(() => {});
    await gateway?.stop();
  });

  async function pushedAfter(seconds: number): Promise<number> {
    return waitFor(
      async () => {
        const group = (await gateway.groups()).find((one) => one.labels['job'] === JOB);
        return group !== undefined && group.pushTimeSeconds >= seconds ? group.pushTimeSeconds : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 20, what: 'a push after the gateway came back' },
    );
  }

  /** Restart the gateway and check the node's first push lands within one interval (+ a scheduling margin). */
  async function recover(): Promise<void> {
    await gateway.restart();
    const ready = Date.now() / 1000;
    const pushed = await pushedAfter(ready);
    expect(pushed - ready).toBeLessThan(INTERVAL + 1);
  }

  it('never throws or waits, resumes within one interval, and loses no count', async () => {
    node = startNodeMetrics({
      env: {},
      logger: { warn: (message) => warnings.push(message), info: () => {} },
      options: { jobName: JOB, role: 'server', replicaIndex: 0, gatewayAddr: gateway.address, pushIntervalSeconds: INTERVAL, pushTimeoutSeconds: 1 },
    });
    const loop = new RecordingLoop(node);
    loop.start();

    await loop.assertKeepsRunning(600); // down at start
    expect(node.pushStats?.consecutiveFailures).toBeGreaterThan(0);
    await recover();

    await gateway.kill(); // killed mid-run: the keep-alive connection dies under the client
    await loop.assertKeepsRunning(600);
    await recover(); // restarted empty

    await gateway.stop();
    await loop.assertKeepsRunning(3000); // a long outage: 15 intervals
    await recover();

    loop.stop();
    await node.flush();
    const samples = parseExposition(await gateway.metricsText()).samples;
    expect(samples.get(seriesKey('index_miss_count', KEY))).toBe(loop.misses);
    expect(samples.get(seriesKey('lookup_mixed_batch_time_cost_count', KEY))).toBe(loop.observations);
    expect(samples.get(seriesKey('lookup_mixed_batch_time_cost_sum', KEY))).toBeCloseTo(loop.sum, 6);
    // Outages are reported once per streak, not once per failed interval.
    const outageWarnings = warnings.filter((message) => message.includes('retrying'));
    expect(outageWarnings.length).toBeGreaterThanOrEqual(1);
    expect(outageWarnings.length).toBeLessThanOrEqual(6);
    expect(node.registry.counter('persia_metrics_push_failures_total').labels('connection').value).toBeGreaterThan(10);
  });
});
