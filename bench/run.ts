/**
 * `npm run bench [-- --quick]`: every figure of issue 5, ours beside prom-client's (and OpenTelemetry's SDK for
 * recording and exposition: it has no Pushgateway exporter, see opentelemetry.ts), against real gateways
 * and a real Prometheus the bench starts on 127.0.0.1. Prints readable tables, then ONE JSON line with
 * every figure (the last line of the output), so a script can keep the history.
 *
 * Full mode takes a few minutes (1,024 nodes every 10 s in three set-ups); --quick takes under a minute
 * (128 nodes every 2 s: the same pushes per second as 640 nodes every 10 s; no node-growth runs) and is for
 * checking the bench. `--only push-cycle` runs only the push-cycle section (with the mode's rounds) and the
 * series growth, for measuring goal 2 without the scale runs; `--only cardinality` runs the hot path and the
 * cardinality section (issue 19 part 5: a 10^6-value family in each library), which start no server.
 */
import { startPushgateway, type RunningPushgateway } from '../src/local-stack/pushgateway-process.js';
import { runCardinality, type CardinalityResult } from './cardinality.js';
import { runHotPath, type HotPathRow } from './hot-path.js';
import { runMemory } from './memory.js';
import { runPushCycle, type PushCycleResult } from './push-cycle.js';
import { table, verdict } from './report.js';
import { runScale, type ScaleResult } from './scale-run.js';

const quick = process.argv.includes('--quick');
const onlyIndex = process.argv.indexOf('--only');
const only = onlyIndex > 0 ? process.argv[onlyIndex + 1] : undefined;
const CHECK_OFF = ['--push.disable-consistency-check'];
const SHARDS = 4;
/** Distinct user ids recorded into one family in the cardinality section (issue 19 part 5). */
const EXPLOSION_VALUES = 1_000_000;
const mode = quick
  ? { nodes: 128, intervalSeconds: 2, measureSeconds: 3, scrapeIntervalSeconds: 2, nodeGrowth: [] as number[], seriesGrowth: [100, 1_000, 10_000], rounds: 5 }
  : { nodes: 1_024, intervalSeconds: 10, measureSeconds: 30, scrapeIntervalSeconds: 15, nodeGrowth: [16, 64, 256], seriesGrowth: [100, 1_000, 10_000, 100_000], rounds: 15 };

const log = (message: string): void => {
  process.stderr.write(`bench: ${message}\n`);
};

async function withGateways<T>(count: number, extraArgs: string[], work: (gateways: RunningPushgateway[]) => Promise<T>): Promise<T> {
  const gateways = await Promise.all(Array.from({ length: count }, () => startPushgateway({ extraArgs })));
  try {
    return await work(gateways);
  } finally {
    await Promise.all(gateways.map((gateway) => gateway.stop()));
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  log(`mode ${quick ? 'quick' : 'full'}${only === undefined ? '' : `, only ${only}`}`);
  // First, on a fresh process: prom-client's hot path is measured before its registries have seen other work.
  const hotPath = only === undefined || only === 'cardinality' ? runHotPath(quick) : [];
  if (only === 'cardinality') {
    log(`cardinality: ${EXPLOSION_VALUES.toLocaleString('en-US')} user ids into one family`);
    const cardinality = await runCardinality(EXPLOSION_VALUES, quick);
    process.stdout.write(`${hotPathTable(hotPath)}\n${cardinalityTable(cardinality)}\n\n`);
    process.stdout.write(`${JSON.stringify({ mode: quick ? 'quick' : 'full', only, seconds: Math.round((Date.now() - started) / 1000), hotPath, cardinality })}\n`);
    return;
  }

  log('push cycle of 10,000 series, and growth by series per node');
  const { pushCycles, seriesGrowth } = await withGateways(1, CHECK_OFF, async ([checkOff]) => {
    const cycles: PushCycleResult[] = [await runPushCycle(checkOff!.url, 'check off', 10_000, mode.rounds)];
    // The same push with a text body, for the record: what the protobuf body saves.
    cycles.push(await runPushCycle(checkOff!.url, 'check off', 10_000, mode.rounds, 'text'));
    const growth: PushCycleResult[] = [];
    for (const series of mode.seriesGrowth)
      growth.push(series === 10_000 ? cycles[0]! : await runPushCycle(checkOff!.url, 'check off', series, Math.max(3, Math.round(mode.rounds / 3))));
    return { pushCycles: cycles, seriesGrowth: growth };
  });
  pushCycles.push(await withGateways(1, [], async ([plain]) => runPushCycle(plain!.url, 'default', 10_000, mode.rounds)));
  if (only === 'push-cycle') {
    const headline = pushCycles[0]!;
    const ok = headline.wallRatio <= 0.6 && headline.oursMaxBlockMs <= 5;
    process.stdout.write(`${pushCycleTables(pushCycles, seriesGrowth).join('\n')}\n\n## Goals\n${goal2Line(ok, headline, pushCycles.at(-1)!)}\n\n`);
    process.stdout.write(
      `${JSON.stringify({ mode: quick ? 'quick' : 'full', only, seconds: Math.round((Date.now() - started) / 1000), pushCycles, seriesGrowth, goals: { pushCycle: { ok, wallRatio: headline.wallRatio, maxBlockMs: headline.oursMaxBlockMs } } })}\n`,
    );
    return;
  }

  log('memory');
  const memory = await runMemory(10_000);

  const scale: ScaleResult[] = [];
  const scaleRun = (label: string, gateways: RunningPushgateway[], nodes: number): Promise<ScaleResult> => {
    log(`scale: ${label}, ${nodes} nodes`);
    return runScale({
      label,
      gateways,
      nodes,
      seriesPerNode: 1_000,
      intervalSeconds: mode.intervalSeconds,
      measureSeconds: mode.measureSeconds,
      scrapeIntervalSeconds: mode.scrapeIntervalSeconds,
    });
  };
  scale.push(await withGateways(1, [], (gateways) => scaleRun('1 default gateway', gateways, mode.nodes)));
  scale.push(await withGateways(1, CHECK_OFF, (gateways) => scaleRun('1 gateway, check off', gateways, mode.nodes)));
  const sharded = await withGateways(SHARDS, CHECK_OFF, async (gateways) => {
    const rows: ScaleResult[] = [];
    for (const nodes of mode.nodeGrowth) rows.push(await scaleRun(`${SHARDS} shards, check off`, gateways, nodes));
    rows.push(await scaleRun(`${SHARDS} shards, check off`, gateways, mode.nodes));
    return rows;
  });
  scale.push(sharded.at(-1)!);

  log(`cardinality: ${EXPLOSION_VALUES.toLocaleString('en-US')} user ids into one family`);
  const cardinality = await runCardinality(EXPLOSION_VALUES, quick);

  const minSpeedup = Math.min(...hotPath.map((row) => row.speedup));
  const headline = pushCycles[0]!;
  const best = scale.at(-1)!;
  const goals = {
    hotPath: { ok: minSpeedup >= 4, minSpeedup, minInlinedSpeedup: Math.min(...hotPath.map((row) => row.inlinedSpeedup)) },
    pushCycle: { ok: headline.wallRatio <= 0.6 && headline.oursMaxBlockMs <= 5, wallRatio: headline.wallRatio, maxBlockMs: headline.oursMaxBlockMs },
    scale: {
      ok: best.okShare === 1 && best.p99Ms < 250 && best.maxScrapeSeconds < mode.scrapeIntervalSeconds / 2,
      setup: best.setup,
      nodes: best.nodes,
      okShare: best.okShare,
      p99Ms: best.p99Ms,
      maxScrapeSeconds: best.maxScrapeSeconds,
    },
    memory: { ok: memory.oursRatio < 1.5, ratio: memory.oursRatio },
  };

  const out: string[] = [`# persia-metrics bench (${quick ? 'quick' : 'full'} mode, ${Math.round((Date.now() - started) / 1000)} s)`];
  out.push(hotPathTable(hotPath));
  const [pushTable, growthTable] = pushCycleTables(pushCycles, seriesGrowth);
  out.push(pushTable!);
  out.push(
    table(
      `3. Scale: nodes x 1,000 series every ${mode.intervalSeconds} s, Prometheus scraping every ${mode.scrapeIntervalSeconds} s`,
      ['set-up', 'nodes', 'OK / due', 'p50 ms', 'p99 ms', 'max ms', 'max scrape s', 'GET /metrics s', 'targets up', 'gw cores', 'gw RSS MiB'],
      scale.map((row) => [
        row.setup,
        row.nodes,
        `${row.pushesOk} / ${row.pushesDue}`,
        row.p50Ms,
        row.p99Ms,
        row.maxMs,
        row.maxScrapeSeconds,
        row.maxDirectScrapeSeconds,
        row.scrapeTargetsUp,
        row.gatewayCpuCores,
        row.gatewayRssMiB,
      ]),
    ),
  );
  out.push(
    table(
      '4. Memory, 10,000 series (KiB)',
      ['', 'registry', 'pusher / one push', 'ratio'],
      [
        ['ours', memory.oursRegistryKiB, memory.oursPusherKiB, memory.oursRatio],
        ['prom-client', memory.promClientRegistryKiB, memory.promClientPushKiB, memory.promClientRatio],
      ],
    ),
  );
  out.push(cardinalityTable(cardinality));
  out.push(growthTable!);
  out.push(
    table(
      `Growth by nodes (${SHARDS} shards, check off, 1,000 series each, every ${mode.intervalSeconds} s)`,
      ['nodes', 'series stored', 'OK / due', 'p50 ms', 'p99 ms', 'max scrape s', 'GET /metrics s', 'gw cores', 'gw RSS MiB'],
      sharded.map((row) => [
        row.nodes,
        row.nodes * row.seriesPerNode,
        `${row.pushesOk} / ${row.pushesDue}`,
        row.p50Ms,
        row.p99Ms,
        row.maxScrapeSeconds,
        row.maxDirectScrapeSeconds,
        row.gatewayCpuCores,
        row.gatewayRssMiB,
      ]),
    ),
  );
  out.push('\n## Goals');
  out.push(`1. recording >= 4x prom-client: ${verdict(goals.hotPath.ok)} (slowest case ${minSpeedup.toFixed(1)}x; inlined loops ${goals.hotPath.minInlinedSpeedup.toFixed(1)}x)`);
  out.push(goal2Line(goals.pushCycle.ok, headline, pushCycles.at(-1)!));
  out.push(
    `3. ${best.nodes} nodes: 100% OK, p99 < 250 ms, scrape well within the interval: ${verdict(goals.scale.ok)} (${best.setup}: ${(best.okShare * 100).toFixed(1)}%, p99 ${best.p99Ms.toFixed(0)} ms, scrape ${best.maxScrapeSeconds.toFixed(2)} s)`,
  );
  out.push(`4. pusher memory < 1.5x registry: ${verdict(goals.memory.ok)} (${memory.oursRatio.toFixed(2)}x)`);
  process.stdout.write(`${out.join('\n')}\n\n`);
  process.stdout.write(
    `${JSON.stringify({ mode: quick ? 'quick' : 'full', seconds: Math.round((Date.now() - started) / 1000), hotPath, pushCycles, memory, scale, cardinality, seriesGrowth, nodeGrowth: sharded, goals })}\n`,
  );
}

function hotPathTable(hotPath: readonly HotPathRow[]): string {
  return table(
    '1. Hot path, ns/op (call through a non-inlined site; inlined tight loop in the last columns)',
    ['operation', 'ours', 'prom-client', 'x faster', 'OTel', 'x faster', 'ours inl.', 'prom inl.', 'x inl.', 'OTel inl.', 'x inl.'],
    hotPath.map((row) => [
      row.operation,
      row.oursNs,
      row.promClientNs,
      row.speedup,
      row.otelNs,
      row.otelSpeedup,
      row.oursInlinedNs,
      row.promClientInlinedNs,
      row.inlinedSpeedup,
      row.otelInlinedNs,
      row.otelInlinedSpeedup,
    ]),
  );
}

function cardinalityTable(result: CardinalityResult): string {
  const rows = table(
    `5. Cardinality: ${EXPLOSION_VALUES.toLocaleString('en-US')} user ids into one family {user, feature} (3 features)`,
    ['library', 'series kept', 'retained MiB', 'B / value', 'exposition KB', 'ns / new value', 'total exact', 'per-feature exact'],
    result.rows.map((row) => [
      row.library,
      row.seriesKept,
      row.retainedMiB,
      row.bytesPerValue,
      row.expositionKB,
      row.nsPerNewValue,
      row.totalExact ? 'yes' : 'NO',
      row.perFeatureExact ? 'yes' : 'NO',
    ]),
  );
  return `${rows}\ncounter.inc() on a series under the limit ${result.incUnderLimitNs.toFixed(2)} ns, on the overflow series ${result.incOverflowNs.toFixed(2)} ns (the guard runs in labels() only)`;
}

function pushCycleTables(pushCycles: readonly PushCycleResult[], seriesGrowth: readonly PushCycleResult[]): string[] {
  return [
    table(
      '2. Push cycle, 10,000 series (ours: Pusher PUT; prom-client: Pushgateway.pushAdd with text, keep-alive agent), median wall ms',
      [
        'gateway',
        'ours body',
        'series',
        'body KB',
        'prom KB',
        'ours ms',
        'prom ms',
        'ratio',
        'ours max block',
        'prom max block',
        'ours block p50',
        'prom block p50',
        'idle max',
        'busy-gw max',
        'ours expo ms',
        'prom expo ms',
        'OTel expo ms',
        'OTel KB',
      ],
      pushCycles.map((row) => [
        row.gateway,
        row.format,
        row.series,
        row.bodyBytes / 1000,
        row.promClientBodyBytes / 1000,
        row.oursWallMs,
        row.promClientWallMs,
        row.wallRatio,
        row.oursMaxBlockMs,
        row.promClientMaxBlockMs,
        row.oursBlockP50Ms,
        row.promClientBlockP50Ms,
        row.idleMaxBlockMs,
        row.busyGatewayMaxBlockMs,
        row.oursExpositionMs,
        row.promClientExpositionMs,
        row.otelExpositionMs,
        row.otelBodyBytes / 1000,
      ]),
    ),
    table(
      'Growth by series per node (one push to a check-off gateway, ours protobuf)',
      ['series', 'body KB', 'ours ms', 'prom ms', 'ratio', 'ours block ms', 'prom block ms', 'ours expo ms', 'prom expo ms', 'OTel expo ms'],
      seriesGrowth.map((row) => [
        row.series,
        row.bodyBytes / 1000,
        row.oursWallMs,
        row.promClientWallMs,
        row.wallRatio,
        row.oursMaxBlockMs,
        row.promClientMaxBlockMs,
        row.oursExpositionMs,
        row.promClientExpositionMs,
        row.otelExpositionMs,
      ]),
    ),
  ];
}

function goal2Line(ok: boolean, headline: PushCycleResult, defaultGateway: PushCycleResult): string {
  return `2. push cycle <= 0.6x prom-client, block <= 5 ms: ${verdict(ok)} (${headline.format}: ${headline.wallRatio.toFixed(2)}x; against the default gateway ${defaultGateway.wallRatio.toFixed(2)}x; max block ${headline.oursMaxBlockMs.toFixed(1)} ms (p50 ${headline.oursBlockP50Ms.toFixed(1)}), idle loop ${headline.idleMaxBlockMs.toFixed(1)} ms, idle loop while another process pushes the same body ${headline.busyGatewayMaxBlockMs.toFixed(1)} ms)`;
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
