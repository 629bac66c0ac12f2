/**
 * How many gateways, cores and memory a job needs: a pure function of the job's size and of the figures the
 * capacity bench measured on this project's machine (data/capacity-figures.json, written by
 * `npm run capacity`; docs/capacity.md explains the method and shows the runs).
 *
 * Two limits decide the number of gateway shards:
 * - scrape: Prometheus reads a whole gateway in one scrape, whose time grows with the series it holds; a
 *   gateway is kept to what it renders in SCRAPE_BUDGET_SECONDS, half the shipped scrape_timeout (10 s in
 *   config/prometheus/prometheus.yml), so a slow moment does not turn into a failed scrape;
 * - CPU: one gateway is given at most MAX_CORES_PER_GATEWAY of push and scrape work, the most one
 *   process was seen to use in the runs (its stores are applied one at a time).
 * Cores and memory get HEADROOM on top of the measured figures (the figures are averages over a run; a
 * scrape's text rendering is a peak on top of the stored groups).
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ConfigFileError, DeployUsageError } from '../errors.js';
import type { CheckCost } from './consistency-check.js';
import { DEFAULT_SCRAPE_INTERVAL_SECONDS } from './options.js';

export { DEFAULT_SCRAPE_INTERVAL_SECONDS };

/** One measured scale run (bench/capacity.ts), as the page shows it; null where nothing was measured. */
export interface CapacityRun {
  readonly label: string;
  readonly gateways: number;
  readonly checkOff: boolean;
  readonly nodes: number;
  readonly seriesPerNode: number;
  readonly intervalSeconds: number;
  readonly scrapeIntervalSeconds: number;
  /** Length of the measured window, after one interval of warm-up. */
  readonly windowSeconds: number;
  readonly pushesOk: number;
  readonly pushesDue: number;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  /** Slowest scrape_duration_seconds Prometheus recorded for any gateway during the run. */
  readonly maxScrapeSeconds: number | null;
  /** A plain GET /metrics of each gateway at the end, slowest one. */
  readonly directScrapeSeconds: number | null;
  /** All gateways together, user + system, over the measured window. */
  readonly gatewayCpuCores: number;
  /** All gateways together at the end of the run, and empty right after they started. */
  readonly gatewayRssMiB: number;
  readonly gatewayBaseRssMiB: number;
  /** Series and pushes stored per second (successful pushes only) per gateway core used. */
  readonly seriesPerSecondPerCore: number | null;
  readonly pushesPerSecondPerCore: number | null;
  readonly prometheusCpuCores: number;
  /** Rate of prometheus_tsdb_head_samples_appended_total over the window. */
  readonly samplesAppendedPerSecond: number;
}

export interface CapacityFigures {
  /** ISO time of the run. */
  readonly measuredAt: string;
  readonly mode: 'quick' | 'full';
  readonly machine: {
    readonly cpuModel: string;
    readonly cores: number;
    readonly memoryGiB: number;
    readonly node: string;
    readonly pushgateway: string;
    readonly prometheus: string;
  };
  /** 1-minute load average before the run and the highest seen between its steps. */
  readonly loadAverage: { readonly before: number; readonly max: number };
  /** Check off (the shipped set-up): series stored per second per gateway core, scrapes included. */
  readonly gatewaySeriesPerSecondPerCore: number;
  /** The same with the consistency check on, at `checkOnStoredSeries` stored (its cost grows with them). */
  readonly gatewaySeriesPerSecondPerCoreCheckOn: number;
  readonly checkOnStoredSeries: number;
  /** Gateway RSS growth per stored series, and the RSS of an empty gateway. */
  readonly gatewayBytesPerSeries: number;
  readonly gatewayBaseBytes: number;
  /** Prometheus' scrape of one gateway, seconds per million series it holds, from a run holding `scrapeFigureSeries`. */
  readonly scrapeSecondsPerMillionSeries: number;
  readonly scrapeFigureSeries: number;
  readonly prometheusSamplesPerSecondPerCore: number;
  readonly runs: { readonly checkOnOff: readonly CapacityRun[]; readonly matrix: readonly CapacityRun[]; readonly shards: readonly CapacityRun[] };
  /** The consistency check's cost for small jobs (src/monitoring/consistency-check.ts decides from it). */
  readonly checkCost?: CheckCost;
}

export interface JobSize {
  readonly nodes: number;
  readonly seriesPerNode: number;
  /** The nodes' push_interval_seconds. */
  readonly intervalSeconds: number;
  /** Prometheus' scrape_interval; the shipped configuration's 15 s by default. */
  readonly scrapeIntervalSeconds?: number;
}

export interface CapacitySuggestion {
  readonly totalSeries: number;
  readonly shards: number;
  /** Which limit set the number of shards. */
  readonly limitedBy: 'one gateway is enough' | 'scrape time' | 'gateway CPU';
  /** All gateways together, headroom included. */
  readonly gatewayCores: number;
  readonly gatewayGiB: number;
  readonly prometheusCores: number;
  /** Samples Prometheus appends per second for these gateways. */
  readonly samplesPerSecond: number;
}

export const SCRAPE_BUDGET_SECONDS = 5;
export const MAX_CORES_PER_GATEWAY = 1;
export const HEADROOM = 1.5;

function checkPositive(name: string, value: number): void {
  if (!(Number.isFinite(value) && value > 0)) throw new RangeError(`${name} must be a positive number, got ${value}`);
}

/** Rounded up to one decimal, so a suggestion never reads below what it computed. */
function upToTenth(value: number): number {
  return Math.ceil(value * 10 - 1e-9) / 10;
}

export function suggestGatewayShards(job: JobSize, figures: CapacityFigures = capacityFigures()): CapacitySuggestion {
  const scrapeIntervalSeconds = job.scrapeIntervalSeconds ?? DEFAULT_SCRAPE_INTERVAL_SECONDS;
  checkPositive('nodes', job.nodes);
  checkPositive('seriesPerNode', job.seriesPerNode);
  checkPositive('intervalSeconds', job.intervalSeconds);
  checkPositive('scrapeIntervalSeconds', scrapeIntervalSeconds);
  const totalSeries = job.nodes * job.seriesPerNode;
  const seriesPerSecond = totalSeries / job.intervalSeconds;
  const cores = (seriesPerSecond / figures.gatewaySeriesPerSecondPerCore) * HEADROOM;
  const byScrape = Math.ceil((totalSeries / 1e6) * (figures.scrapeSecondsPerMillionSeries / SCRAPE_BUDGET_SECONDS));
  const byCpu = Math.ceil(cores / MAX_CORES_PER_GATEWAY);
  const shards = Math.max(1, byScrape, byCpu);
  const limitedBy = shards === 1 ? 'one gateway is enough' : byScrape >= byCpu ? 'scrape time' : 'gateway CPU';
  const bytes = (shards * figures.gatewayBaseBytes + totalSeries * figures.gatewayBytesPerSeries) * HEADROOM;
  const samplesPerSecond = totalSeries / scrapeIntervalSeconds;
  return {
    totalSeries,
    shards,
    limitedBy,
    gatewayCores: upToTenth(cores),
    gatewayGiB: upToTenth(bytes / 2 ** 30),
    prometheusCores: upToTenth((samplesPerSecond / figures.prometheusSamplesPerSecondPerCore) * HEADROOM),
    samplesPerSecond,
  };
}

/** The measured figures, relative to the package root: written by `npm run capacity`, shipped in the package (`files`). */
export const CAPACITY_FIGURES_FILE = 'data/capacity-figures.json';

let figuresRead: CapacityFigures | undefined;

/**
 * The figures `npm run capacity` measured, read once. This module runs from src/monitoring (tests) or from
 * dist/src/monitoring (the built CLI): the package root is two or three folders up.
 */
export function capacityFigures(): CapacityFigures {
  if (figuresRead !== undefined) return figuresRead;
  const candidates = ['../../', '../../../'].map((up) => fileURLToPath(new URL(`${up}${CAPACITY_FIGURES_FILE}`, import.meta.url)));
  const file = candidates.find((path) => existsSync(path));
  if (file === undefined)
    throw new ConfigFileError(candidates[0] ?? CAPACITY_FIGURES_FILE, 'missing: the capacity figures ship with persia-metrics (`npm run capacity` writes them)');
  figuresRead = JSON.parse(readFileSync(file, 'utf8')) as CapacityFigures;
  return figuresRead;
}

/** Most gateway shards `init` renders: beyond this a job should be split, not sharded further. */
export const MAX_GATEWAYS = 64;

export function validateGatewayCount(gateways: number): number {
  if (!Number.isInteger(gateways) || gateways < 1 || gateways > MAX_GATEWAYS) {
    throw new DeployUsageError(`--gateways must be a whole number from 1 to ${MAX_GATEWAYS}, got ${gateways}`);
  }
  return gateways;
}
