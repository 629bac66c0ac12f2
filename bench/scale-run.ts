/**
 * Goal 3: N simulated nodes × 1,000 series, each a real `Pusher` of the library (its own registry, its own
 * keep-alive transport, replicated (createGatewayTransport) when there are several gateways), pushing every interval to gateways the
 * bench started, while a real Prometheus scrapes those gateways. Nodes start staggered over the first
 * interval, as real nodes do. Push attempts are never retried (retries: 0), so "OK / due" is exact: a tick
 * that finds the previous push still in flight is skipped, and counts as due but not OK.
 */
import { groupingPath } from '../src/push/grouping-key.js';
import { bodyComposer } from '../src/push/push-body.js';
import { Pusher } from '../src/push/pusher.js';
import { parseGatewayList } from '../src/gateway/address.js';
import { createGatewayTransport } from '../src/gateway/create-transport.js';
import type { RunningPushgateway } from '../src/local-stack/pushgateway-process.js';
import { httpText } from '../src/local-stack/http.js';
import { startPrometheus } from '../src/local-stack/prometheus-process.js';
import { cpuSeconds, pidListeningOn, rssBytes } from './proc-stats.js';
import { buildOurRegistry, shapeFor } from './synthetic-registry.js';
import { nowMs, percentile, sleepMs } from './timing.js';

export interface ScaleSetup {
  readonly label: string;
  readonly gateways: readonly RunningPushgateway[];
  readonly nodes: number;
  readonly seriesPerNode: number;
  readonly intervalSeconds: number;
  /** Measured after one interval of warm-up. */
  readonly measureSeconds: number;
  readonly scrapeIntervalSeconds: number;
}

export interface ScaleResult {
  readonly setup: string;
  readonly gateways: number;
  readonly nodes: number;
  readonly seriesPerNode: number;
  readonly intervalSeconds: number;
  readonly pushesOk: number;
  readonly pushesDue: number;
  readonly okShare: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Longest `scrape_duration_seconds` Prometheus recorded for any gateway in the window. */
  readonly maxScrapeSeconds: number;
  /** A plain GET of each gateway's /metrics at the end (sequential), slowest one, as REFERENCE measured; NaN if one failed. */
  readonly maxDirectScrapeSeconds: number;
  /** Targets Prometheus saw up at the end / all targets. */
  readonly scrapeTargetsUp: string;
  readonly gatewayCpuCores: number;
  readonly gatewayRssMiB: number;
  /** Prometheus' own CPU over the window, and its samples appended per second (its own counter). */
  readonly prometheusCpuCores: number;
  readonly samplesAppendedPerSecond: number;
}

const SILENT = { warn: () => undefined, info: () => undefined };

export async function runScale(setup: ScaleSetup): Promise<ScaleResult> {
  const { nodes, intervalSeconds } = setup;
  const addressList = setup.gateways.map((gateway) => gateway.address).join(',');
  const addresses = parseGatewayList(addressList).addresses ?? [];
  const prometheus = await startPrometheus({ scrapeTargets: setup.gateways.map((gateway) => gateway.address), scrapeIntervalSeconds: setup.scrapeIntervalSeconds });
  // Scraping must be under way before the window opens, or the scrape figure would miss it.
  await prometheus.queryUntil('up{job="pushgateway"} == 1', (samples) => samples.length === setup.gateways.length, 30_000);
  const pids = setup.gateways.map((gateway) => pidListeningOn(gateway.address));
  const prometheusPid = pidListeningOn(`127.0.0.1:${prometheus.port}`);
  const shape = shapeFor(setup.seriesPerNode);
  const completions: Array<{ startedMs: number; ok: boolean; durationMs: number }> = [];
  const startTimes: number[] = [];
  /** When each node's push in flight began: the body is built at the very start of a push attempt. */
  const pushStarted: number[] = [];
  const pushers: Pusher[] = [];
  for (let index = 0; index < nodes; index += 1) {
    const registry = buildOurRegistry(shape);
    const compose = bodyComposer(registry, []); // the node's default: protobuf-delimited
    const path = groupingPath({ job: 'bench_scale', role: 'trainer', instance: `node_${index}` });
    pushers.push(
      new Pusher({
        path,
        transport: createGatewayTransport({
          gateways: addresses,
          key: path,
          endpoint: { timeoutSeconds: intervalSeconds },
          refreshSeconds: 3600,
          probeSeconds: 3600,
        }),
        intervalSeconds,
        retries: 0,
        deleteOnShutdown: false,
        shutdownTimeoutSeconds: 1,
        body: (heldBack) => {
          pushStarted[index] = nowMs();
          return compose(heldBack);
        },
        observer: {
          onSuccess: (seconds) => completions.push({ startedMs: pushStarted[index] ?? 0, ok: true, durationMs: seconds * 1000 }),
          onFailure: (_reason, seconds) => completions.push({ startedMs: pushStarted[index] ?? 0, ok: false, durationMs: seconds * 1000 }),
        },
        logger: SILENT,
      }),
    );
  }
  const runStart = nowMs();
  // Staggered start: node i begins at i/N of the first interval.
  const starters = pushers.map((pusher, index) =>
    sleepMs((index / nodes) * intervalSeconds * 1000).then(() => {
      startTimes[index] = nowMs();
      pusher.start();
    }),
  );
  await Promise.all(starters);
  const windowStart = runStart + intervalSeconds * 1000;
  await sleepMs(Math.max(0, windowStart - nowMs()));
  const cpuBefore = pids.map(cpuSeconds);
  // Prometheus appends a target's samples at the end of its scrape, so its window runs from the first append
  // after the gateways' window opens to the first after it closes: whole scrape cycles, the CPU they took.
  const scrapeWaitMs = setup.scrapeIntervalSeconds * 2000;
  const prometheusWindow = nextAppend(prometheus.url, prometheusPid, scrapeWaitMs).then(async (first) => {
    await sleepMs(Math.max(0, windowStart + setup.measureSeconds * 1000 - nowMs()));
    return { first, last: await nextAppend(prometheus.url, prometheusPid, scrapeWaitMs) };
  });
  await sleepMs(setup.measureSeconds * 1000);
  const windowEnd = nowMs();
  const cpuAfter = pids.map(cpuSeconds);
  // Let pushes that started inside the window finish (they time out after one interval at most).
  await sleepMs(Math.min(intervalSeconds * 1000, 2000 + longestDuration(completions)));

  // Ticks happen at start + k·interval; the ones inside the window are the pushes due.
  let due = 0;
  for (const started of startTimes) {
    for (let tick = started ?? 0; tick < windowEnd; tick += intervalSeconds * 1000) if (tick >= windowStart) due += 1;
  }
  const inWindow = completions.filter((entry) => entry.startedMs >= windowStart && entry.startedMs < windowEnd);
  const okDurations = inWindow
    .filter((entry) => entry.ok)
    .map((entry) => entry.durationMs)
    .sort((a, b) => a - b);
  const { first, last } = await prometheusWindow;
  const prometheusSeconds = last.atMs > first.atMs ? (last.atMs - first.atMs) / 1000 : Number.NaN;
  const runSeconds = (nowMs() - runStart) / 1000;
  const scrape = await scrapeFigures(prometheus, runSeconds);
  let maxDirectScrapeSeconds = 0;
  for (const gateway of setup.gateways) {
    const begun = nowMs();
    // A GET that failed (the helper gives up after 10 s) has no duration: NaN, not the time it gave up at.
    const seconds = await gateway.metricsText().then(
      () => (nowMs() - begun) / 1000,
      () => Number.NaN,
    );
    maxDirectScrapeSeconds = Number.isNaN(seconds) ? Number.NaN : Math.max(maxDirectScrapeSeconds, seconds);
  }
  const seconds = (windowEnd - windowStart) / 1000;
  let cpuTotal = 0;
  cpuAfter.forEach((value, index) => {
    cpuTotal += value - (cpuBefore[index] ?? 0);
  });
  const cpu = cpuTotal / seconds;
  let rss = 0;
  for (const pid of pids) rss += rssBytes(pid) / 2 ** 20;
  await Promise.all(pushers.map((pusher) => pusher.shutdown(1).catch(() => undefined)));
  await prometheus.stop();
  return {
    setup: setup.label,
    gateways: setup.gateways.length,
    nodes,
    seriesPerNode: shape.series,
    intervalSeconds,
    pushesOk: okDurations.length,
    pushesDue: due,
    okShare: due === 0 ? 0 : Math.min(1, okDurations.length / due),
    p50Ms: percentile(okDurations, 50),
    p99Ms: percentile(okDurations, 99),
    maxMs: okDurations.at(-1) ?? Number.NaN,
    maxScrapeSeconds: scrape.maxSeconds,
    maxDirectScrapeSeconds,
    scrapeTargetsUp: scrape.up,
    gatewayCpuCores: cpu,
    gatewayRssMiB: rss,
    prometheusCpuCores: (last.cpu - first.cpu) / prometheusSeconds,
    samplesAppendedPerSecond: (last.samples - first.samples) / prometheusSeconds,
  };
}

/** Prometheus' own prometheus_tsdb_head_samples_appended_total (summed over its type label, if any), or NaN. */
async function samplesAppended(prometheusUrl: string): Promise<number> {
  const text = await httpText(`${prometheusUrl}/metrics`).catch(() => '');
  let total = Number.NaN;
  for (const line of text.split('\n')) {
    if (!/^prometheus_tsdb_head_samples_appended_total[ {]/.test(line)) continue;
    total = (Number.isNaN(total) ? 0 : total) + Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

/** Waits (polling every 100 ms, up to `timeoutMs`) until Prometheus' appended-samples counter moves, and reads its CPU then. */
async function nextAppend(prometheusUrl: string, pid: number | undefined, timeoutMs: number): Promise<{ atMs: number; samples: number; cpu: number }> {
  const initial = await samplesAppended(prometheusUrl);
  const deadline = nowMs() + timeoutMs;
  for (;;) {
    const samples = await samplesAppended(prometheusUrl);
    if (samples !== initial || nowMs() > deadline) return { atMs: nowMs(), samples, cpu: cpuSeconds(pid) };
    await sleepMs(100);
  }
}

function longestDuration(completions: ReadonlyArray<{ durationMs: number }>): number {
  let longest = 0;
  for (const entry of completions) longest = Math.max(longest, entry.durationMs);
  return longest;
}

/**
 * Over the whole run: Prometheus records scrape_duration_seconds only once a scrape's samples are appended,
 * so a scrape still being ingested when the run ends leaves no figure (NaN: slower than the run).
 */
async function scrapeFigures(prometheus: Awaited<ReturnType<typeof startPrometheus>>, windowSeconds: number): Promise<{ maxSeconds: number; up: string }> {
  try {
    const durations = await prometheus.query(`max(max_over_time(scrape_duration_seconds{job="pushgateway"}[${Math.ceil(windowSeconds)}s]))`);
    const up = await prometheus.query('up{job="pushgateway"}');
    return { maxSeconds: durations[0]?.value ?? Number.NaN, up: `${up.filter((sample) => sample.value === 1).length}/${up.length}` };
  } catch (error) {
    process.stderr.write(`bench: Prometheus query failed: ${error instanceof Error ? error.message : String(error)}\n`);
    return { maxSeconds: Number.NaN, up: '?' };
  }
}
