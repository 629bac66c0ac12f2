/**
 * The node table of `persia-metrics view` (the built CLI) in chromium, as a user sees it: the view is started
 * against `prometheusUrl` for `job`, the page opened, and its rows read until `until` holds (bounded). Each row:
 * its data-node (role/instance plus further grouping labels as the path writes them), data-condition,
 * data-stale, its role cell, its whole text and data-gpu-util. `viewTables` reads the job's other groups too
 * (groups that are not nodes, listed apart).
 */
import { spawnManaged } from '../../src/local-stack/managed-process.js';
import { waitFor } from '../../src/local-stack/wait-for.js';
import { launchChromium } from './chromium.js';
import { CLI_MAIN } from './cli-runner.js';

export interface ViewRow {
  readonly node: string;
  readonly condition: string;
  readonly stale: string;
  readonly role: string;
  readonly text: string;
  /** Each cell's text, in the table's column order (role, instance, state, last push, push interval, push failures, …). */
  readonly cells: string[];
  /** data-gpu-util: the mean utilisation of the node's GPUs in %, absent for a node without GPUs. */
  readonly gpuUtil?: string;
}

/** The page's two tables: its nodes, and the job's groups that are not nodes (data-group of each row), with both summaries. */
export interface ViewTables {
  readonly nodes: ViewRow[];
  readonly nodesSummary: string;
  readonly otherGroups: string[];
  readonly otherGroupsSummary: string;
}

/** `args`: more options of `view` (`--config FILE`). */
export async function viewNodeRows(
  prometheusUrl: string,
  job: string,
  until: (rows: readonly ViewRow[]) => boolean,
  what: string,
  args: readonly string[] = [],
): Promise<ViewRow[]> {
  return (await viewTables(prometheusUrl, job, (tables) => until(tables.nodes), what, args)).nodes;
}

export async function viewTables(prometheusUrl: string, job: string, until: (tables: ViewTables) => boolean, what: string, args: readonly string[] = []): Promise<ViewTables> {
  const view = spawnManaged('view', process.execPath, [CLI_MAIN, 'view', '--prometheus', prometheusUrl, '--job', job, '--port', '0', '--refresh', '1', ...args]);
  const browser = await launchChromium();
  try {
    const url = await waitFor(async () => /http:\/\/127\.0\.0\.1:\d+\/\S*/.exec(view.output())?.[0], { timeoutMs: 15_000, intervalMs: 100, what: 'the view to print its address' });
    const page = await browser.newPage();
    await page.goto(url);
    let tables: ViewTables = { nodes: [], nodesSummary: '', otherGroups: [], otherGroupsSummary: '' };
    await waitFor(
      async () => {
        tables = await page.evaluate(`({
          nodes: [...document.querySelectorAll('#nodes tbody tr')].map((row) => ({ node: row.dataset.node, condition: row.dataset.condition, stale: row.dataset.stale, role: row.cells[0].textContent, text: row.textContent, cells: [...row.cells].map((cell) => cell.textContent), gpuUtil: row.dataset.gpuUtil })),
          nodesSummary: document.getElementById('nodes-summary')?.textContent ?? '',
          otherGroups: document.getElementById('other-groups')?.hidden === false ? [...document.querySelectorAll('#other-groups tbody tr')].map((row) => row.dataset.group) : [],
          otherGroupsSummary: document.getElementById('other-groups-summary')?.textContent ?? '',
        })`);
        return until(tables);
      },
      { timeoutMs: 20_000, intervalMs: 200, what, details: () => JSON.stringify(tables) },
    );
    return tables;
  } finally {
    await browser.close();
    await view.stop(5000);
  }
}
