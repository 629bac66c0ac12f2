/**
 * The tables and phrases of the capacity page (bench/capacity-page.ts) and of its consistency-check section
 * (bench/check-cost-page.ts): one run per row, numbers as the page writes them, the load a run was taken under.
 */
import type { CapacityFigures, CapacityRun } from '../src/monitoring/capacity.js';
import { formatCell, type Cell } from './report.js';

/** The load average above which the page says the figures were taken on a busy machine. */
export const BUSY_LOAD = 3;

export function cell(value: Cell | null): string {
  return value === null ? '–' : formatCell(value);
}

export function markdownTable(header: readonly string[], rows: ReadonlyArray<ReadonlyArray<Cell | null>>): string {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((row) => `| ${row.map(cell).join(' | ')} |`)].join('\n');
}

/** "1, 2 and 4". */
export function listed(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)!}`;
}

export function thousands(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

/** Three significant digits, for figures that are no more exact than that. */
export function approx(value: number): string {
  return Number.isFinite(value) ? Number(value.toPrecision(3)).toLocaleString('en-US') : '–';
}

/** Cores and GiB of a suggestion, as `init` prints them. */
export function tenths(value: number): string {
  return value.toFixed(1);
}

export function stored(row: CapacityRun): number {
  return row.nodes * row.seriesPerNode;
}

export function memoryPerSeries(row: CapacityRun): number | null {
  const bytes = ((row.gatewayRssMiB - row.gatewayBaseRssMiB) * 2 ** 20) / stored(row);
  return Number.isFinite(bytes) && bytes > 0 ? Math.round(bytes) : null;
}

export function runRows(rows: readonly CapacityRun[]): Array<Array<Cell | null>> {
  return rows.map((row) => [
    row.label,
    row.nodes,
    row.seriesPerNode,
    thousands(stored(row)),
    `${row.pushesOk} / ${row.pushesDue}`,
    row.p50Ms,
    row.p99Ms,
    row.maxScrapeSeconds,
    row.directScrapeSeconds,
    row.gatewayCpuCores,
    row.seriesPerSecondPerCore === null ? null : approx(row.seriesPerSecondPerCore),
    row.pushesPerSecondPerCore,
    Math.round(row.gatewayRssMiB),
    memoryPerSeries(row),
  ]);
}

export const RUN_HEADER = [
  'set-up',
  'nodes',
  'series / node',
  'series stored',
  'pushes OK / due',
  'push p50 ms',
  'push p99 ms',
  'slowest scrape s',
  'GET /metrics s',
  'gateway cores',
  'series/s per core',
  'pushes/s per core',
  'gateway RSS MiB',
  'bytes / series',
];

export function loadNote(load: CapacityFigures['loadAverage'], cores: number): string {
  const { before, max } = load;
  if (max <= BUSY_LOAD)
    return `The machine was otherwise quiet: load average ${formatCell(before)} before the run, at most ${formatCell(max)} between its steps, on ${cores} cores.`;
  if (before <= cores / 2) {
    // Quiet before the run (under half a process per core): the rise is the bench's own gateways,
    // Prometheus and nodes sharing the cores.
    return (
      `The machine was otherwise quiet: load average ${formatCell(before)} before the run. It rose to ${formatCell(max)} between steps, ` +
      `from the bench's own processes: gateways, Prometheus and the simulated nodes share the ${cores} cores, so the largest runs' times read higher than on separate machines.`
    );
  }
  return (
    `**Taken under load**: the machine was shared with other work; the 1-minute load average read ${formatCell(before)} before the run and up ` +
    `to ${formatCell(max)} between its steps, on ${cores} cores (the bench's own processes count in it too). Gateways, Prometheus and the simulated nodes ` +
    'competed for the same cores, so times (push p99, scrapes) read high and per-core figures are of a busy machine.'
  );
}
