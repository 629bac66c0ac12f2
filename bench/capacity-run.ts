/**
 * One measured scale run of the capacity bench as the figures file records it (a CapacityRun): fresh gateways
 * (consistency check on or off), real Pushers and a real Prometheus (bench/scale-run.ts), their CPU, memory,
 * push latency and scrape time. bench/capacity.ts runs the sets of runs and derives the model's figures.
 */
import { loadavg } from 'node:os';
import { startPushgateway, type RunningPushgateway } from '../src/local-stack/pushgateway-process.js';
import type { CapacityRun } from '../src/monitoring/capacity.js';
import { pidListeningOn, rssBytes } from './proc-stats.js';
import { runScale } from './scale-run.js';
import { sleepMs } from './timing.js';

export const CHECK_OFF = ['--push.disable-consistency-check'];

export interface RunTiming {
  readonly intervalSeconds: number;
  readonly scrapeIntervalSeconds: number;
  readonly measureSeconds: number;
}

/** Highest 1-minute load average seen at the end of a run (the page says when the machine was busy). */
let maxLoad = loadavg()[0] ?? 0;

export function maxLoadSeen(): number {
  return maxLoad;
}

export function logCapacity(message: string): void {
  process.stderr.write(`capacity: ${message}\n`);
}

export async function measureRun(label: string, gatewayCount: number, checkOff: boolean, nodes: number, seriesPerNode: number, timing: RunTiming): Promise<CapacityRun> {
  logCapacity(`${label}: ${nodes} nodes x ${seriesPerNode} series (load ${(loadavg()[0] ?? 0).toFixed(1)})`);
  const gateways: RunningPushgateway[] = await Promise.all(Array.from({ length: gatewayCount }, () => startPushgateway({ extraArgs: checkOff ? CHECK_OFF : [] })));
  try {
    await sleepMs(500);
    const baseRss = gateways.reduce((sum, gateway) => sum + rssBytes(pidListeningOn(gateway.address)), 0) / 2 ** 20;
    const result = await runScale({
      label,
      gateways,
      nodes,
      seriesPerNode,
      intervalSeconds: timing.intervalSeconds,
      measureSeconds: timing.measureSeconds,
      scrapeIntervalSeconds: timing.scrapeIntervalSeconds,
    });
    maxLoad = Math.max(maxLoad, loadavg()[0] ?? 0);
    const windowSeconds = timing.measureSeconds;
    const seriesPerSecond = (result.pushesOk * result.seriesPerNode) / windowSeconds;
    const perCore = (value: number): number | null => (result.gatewayCpuCores > 0 ? value / result.gatewayCpuCores : null);
    return {
      label,
      gateways: gatewayCount,
      checkOff,
      nodes,
      seriesPerNode: result.seriesPerNode,
      intervalSeconds: timing.intervalSeconds,
      scrapeIntervalSeconds: timing.scrapeIntervalSeconds,
      windowSeconds,
      pushesOk: result.pushesOk,
      pushesDue: result.pushesDue,
      p50Ms: finite(result.p50Ms),
      p99Ms: finite(result.p99Ms),
      maxScrapeSeconds: finite(result.maxScrapeSeconds),
      directScrapeSeconds: finite(result.maxDirectScrapeSeconds),
      gatewayCpuCores: result.gatewayCpuCores,
      gatewayRssMiB: result.gatewayRssMiB,
      gatewayBaseRssMiB: baseRss,
      seriesPerSecondPerCore: perCore(seriesPerSecond),
      pushesPerSecondPerCore: perCore(result.pushesOk / windowSeconds),
      prometheusCpuCores: result.prometheusCpuCores,
      samplesAppendedPerSecond: result.samplesAppendedPerSecond,
    };
  } finally {
    await Promise.all(gateways.map((gateway) => gateway.stop()));
  }
}

function finite(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}
