/**
 * `npm run capacity [-- --quick]`: the capacity envelope of issue 11. Real Pushers push to real gateways the
 * bench starts while a real Prometheus scrapes them (bench/scale-run.ts), in three sets of runs: the consistency
 * check on and off at one size, a small matrix of nodes × series per node on one check-off gateway, and 1 / 2 / 4
 * check-off shards at the matrix's largest size. From them it derives the sizing model's constants, writes
 * data/capacity-figures.json (read by src/monitoring/capacity.ts, shipped in the package) and renders docs/capacity.md (bench/capacity-page.ts).
 *
 * `--render` measures nothing: it renders docs/capacity.md from the committed figures (what the unit test
 * compares byte for byte). Full mode takes about 9 minutes, --quick under one (for checking the bench; its
 * figures are not for sizing).
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { binaryPath } from '../src/local-stack/binaries.js';
import { CAPACITY_FIGURES_FILE, capacityFigures, type CapacityFigures, type CapacityRun } from '../src/monitoring/capacity.js';
import { deriveCheckCost } from '../src/monitoring/consistency-check.js';
import { renderCapacityPage, scrapesFinished } from './capacity-page.js';
import { logCapacity as log, maxLoadSeen, measureRun } from './capacity-run.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PAGE = `${ROOT}docs/capacity.md`;
const FIGURES_FILE = `${ROOT}${CAPACITY_FIGURES_FILE}`;

const quick = process.argv.includes('--quick');
const plan = quick
  ? { intervalSeconds: 2, scrapeIntervalSeconds: 2, measureSeconds: 3, nodes: [32], series: [2_000], checkOn: { nodes: 32, series: 2_000 }, shards: [2] }
  : { intervalSeconds: 10, scrapeIntervalSeconds: 15, measureSeconds: 15, nodes: [64, 256, 512], series: [500, 2_000], checkOn: { nodes: 64, series: 2_000 }, shards: [2, 4] };

/**
 * The consistency check's cost for small jobs: check on and off at each of these sizes (nodes × series per
 * node), one gateway each. `--check-cost` runs only these and keeps the committed figures' other runs.
 */
const checkCostSizes: ReadonlyArray<readonly [number, number]> = quick
  ? [
      [4, 500],
      [16, 500],
    ]
  : [
      [10, 500],
      [100, 500],
      [500, 500],
      [10, 2_000],
      [100, 2_000],
    ];

function measure(label: string, gatewayCount: number, checkOff: boolean, nodes: number, seriesPerNode: number): Promise<CapacityRun> {
  return measureRun(label, gatewayCount, checkOff, nodes, seriesPerNode, plan);
}

/** Three significant digits: the module stays readable, and no figure is more exact than the run. */
function rounded<T>(value: T): T {
  return JSON.parse(JSON.stringify(value, (_key, item: unknown) => (typeof item === 'number' && !Number.isInteger(item) ? Number(item.toPrecision(3)) : item))) as T;
}

function versionOf(binary: 'prometheus' | 'prometheus-pushgateway'): string {
  // Both print their version on stderr or stdout depending on the release.
  const run = spawnSync(binaryPath(binary), ['--version'], { encoding: 'utf8' });
  return /version (\S+)/.exec(`${run.stdout}${run.stderr}`)?.[1] ?? 'unknown';
}

/** Sum of `pick` over rows ÷ sum of their cores: a weighted mean, steadier than any one small run. */
function perCore(rows: readonly CapacityRun[], pick: (row: CapacityRun) => number, cores: (row: CapacityRun) => number): number {
  const used = rows.filter((row) => cores(row) > 0 && Number.isFinite(pick(row)));
  return used.reduce((sum, row) => sum + pick(row), 0) / used.reduce((sum, row) => sum + cores(row), 0);
}

function storedSeries(row: CapacityRun): number {
  return row.nodes * row.seriesPerNode;
}

function deriveFigures(before: number, checkOnOff: CapacityRun[], matrix: CapacityRun[], shards: CapacityRun[]): CapacityFigures {
  const okSeriesPerSecond = (row: CapacityRun): number => (row.seriesPerSecondPerCore ?? 0) * row.gatewayCpuCores;
  const bySize = [...matrix].sort((a, b) => storedSeries(b) - storedSeries(a));
  const largest = bySize[0]!;
  // The scrape figure comes from the largest run whose scrapes all finished: a scrape cut off by its timeout
  // reads as the timeout, which would understate the time per series.
  const scraped = bySize.find(scrapesFinished) ?? largest;
  const checkOn = checkOnOff.find((row) => !row.checkOff)!;
  const scrapeSeconds = scraped.maxScrapeSeconds ?? scraped.directScrapeSeconds ?? Number.NaN;
  return rounded({
    measuredAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    mode: quick ? 'quick' : 'full',
    machine: {
      cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
      cores: cpus().length,
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      pushgateway: versionOf('prometheus-pushgateway'),
      prometheus: versionOf('prometheus'),
    },
    loadAverage: { before, max: maxLoadSeen() },
    gatewaySeriesPerSecondPerCore: perCore(matrix, okSeriesPerSecond, (row) => row.gatewayCpuCores),
    gatewaySeriesPerSecondPerCoreCheckOn: checkOn.seriesPerSecondPerCore ?? 0,
    checkOnStoredSeries: storedSeries(checkOn),
    gatewayBytesPerSeries: ((largest.gatewayRssMiB - largest.gatewayBaseRssMiB) * 2 ** 20) / storedSeries(largest),
    gatewayBaseBytes: largest.gatewayBaseRssMiB * 2 ** 20,
    scrapeSecondsPerMillionSeries: scrapeSeconds / (storedSeries(scraped) / 1e6),
    scrapeFigureSeries: storedSeries(scraped),
    // Runs whose scrapes were cut off spent Prometheus' CPU on samples it never appended.
    prometheusSamplesPerSecondPerCore: perCore(
      [...matrix, ...shards.slice(1)].filter(scrapesFinished),
      (row) => row.samplesAppendedPerSecond,
      (row) => row.prometheusCpuCores,
    ),
    runs: { checkOnOff, matrix, shards },
  });
}

/** The figures as data (`measuredAt`, `mode` and `machine` say when and where; do not edit: rerun the bench). */
function writeFigures(figures: CapacityFigures): void {
  writeFileSync(FIGURES_FILE, `${JSON.stringify(figures, null, 2)}\n`);
}

async function measureCheckCost(): Promise<CapacityRun[]> {
  const runs: CapacityRun[] = [];
  for (const [nodes, series] of checkCostSizes) {
    runs.push(await measure('check on', 1, false, nodes, series));
    runs.push(await measure('check off', 1, true, nodes, series));
  }
  return runs;
}

/** The committed figures with new check-cost runs (the other runs and figures as they were measured). */
function withCheckCost(figures: CapacityFigures, runs: CapacityRun[], before: number): CapacityFigures {
  return rounded({ ...figures, checkCost: deriveCheckCost(runs, { before, max: maxLoadSeen() }) });
}

async function main(): Promise<void> {
  if (process.argv.includes('--render')) {
    const committed = capacityFigures();
    writeFileSync(PAGE, renderCapacityPage(committed));
    log(`rendered ${PAGE} from the committed figures (${committed.measuredAt})`);
    return;
  }
  const started = Date.now();
  const before = loadavg()[0] ?? 0;
  log(`mode ${quick ? 'quick' : 'full'}, load average ${before.toFixed(2)} on ${cpus().length} cores`);
  if (process.argv.includes('--check-cost')) {
    const figures = withCheckCost(capacityFigures(), await measureCheckCost(), before);
    writeFigures(figures);
    writeFileSync(PAGE, renderCapacityPage(figures));
    log(`wrote the check-cost runs to ${FIGURES_FILE} and ${PAGE} in ${Math.round((Date.now() - started) / 1000)} s`);
    process.stdout.write(`${JSON.stringify(figures.checkCost)}\n`);
    return;
  }
  const matrix: CapacityRun[] = [];
  for (const nodes of plan.nodes) for (const series of plan.series) matrix.push(await measure('1 gateway, check off', 1, true, nodes, series));
  const checkOnOff = [await measure('1 gateway, consistency check on', 1, false, plan.checkOn.nodes, plan.checkOn.series)];
  const sameSize = matrix.find((row) => row.nodes === plan.checkOn.nodes && row.seriesPerNode === checkOnOff[0]!.seriesPerNode);
  checkOnOff.push(sameSize ?? (await measure('1 gateway, check off', 1, true, plan.checkOn.nodes, plan.checkOn.series)));
  const largest = matrix.at(-1)!;
  const shards = [largest];
  for (const count of plan.shards) shards.push(await measure(`${count} shards, check off`, count, true, largest.nodes, plan.series.at(-1)!));
  const figures = withCheckCost(deriveFigures(before, checkOnOff, matrix, shards), await measureCheckCost(), before);
  writeFigures(figures);
  writeFileSync(PAGE, renderCapacityPage(figures));
  log(`wrote ${FIGURES_FILE} and ${PAGE} in ${Math.round((Date.now() - started) / 1000)} s`);
  process.stdout.write(`${JSON.stringify(figures)}\n`);
}

// No process.exit (the lint rule keeps it to src/cli/): every server is stopped and every pusher shut down,
// so the process ends by itself once the last keep-alive socket closes.
main().catch((error: unknown) => {
  process.stderr.write(`capacity failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
