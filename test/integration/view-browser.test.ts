/**
 * `persia-metrics view` in a real browser (Debian's chromium through playwright-core) against a real
 * Pushgateway and Prometheus fed by simulated nodes: the page loads cleanly, every panel of the dashboards
 * shows data, the node table lists every node, a SIGKILLed node turns stale, and a Prometheus that goes
 * away is reported on the page, which recovers when it comes back. Needs `npm run build` first.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/local-stack/free-port.js';
import { renderLocalScrapeConfig } from '../../src/local-stack/local-scrape-config.js';
import { spawnManaged, waitUntilReady, type ManagedProcess } from '../../src/local-stack/managed-process.js';
import { startPushgateway, type RunningPushgateway } from '../../src/local-stack/pushgateway-process.js';
import { waitFor } from '../../src/local-stack/wait-for.js';
import { requireBinary } from '../helpers/binaries.js';
import { launchChromium, requireChromium } from '../helpers/chromium.js';
import { CLI_MAIN } from '../helpers/cli-runner.js';

const RULES = join(import.meta.dirname, '../../config/prometheus/rules');
const JOB = 'view_it';
const NODES = [
  ['trainer', 'rep_0'],
  ['trainer', 'rep_1'],
  ['middleware', 'rep_0'],
  ['server', 'rep_0'],
] as const;
const prometheusBinary = requireBinary('prometheus');
const ready = prometheusBinary !== undefined && requireBinary('prometheus-pushgateway') !== undefined && requireChromium();
if (!existsSync(CLI_MAIN) && process.env['CI'] === 'true') throw new Error(`CI=true and ${CLI_MAIN} is missing: run npm run build first`);

describe.skipIf(!ready || !existsSync(CLI_MAIN))('persia-metrics view in chromium', () => {
  const dir = mkdtempSync(join(tmpdir(), 'persia-view-it-'));
  let gateway: RunningPushgateway;
  let prometheusPort: number;
  let prometheus: ManagedProcess | undefined;
  const nodes = new Map<string, ManagedProcess>();
  let view: ManagedProcess;
  let viewUrl: string;
  let browser: Browser;
  let page: Page;
  const consoleErrors: string[] = [];
  const requestedOrigins = new Set<string>();

  /** Prometheus on a port and storage of the test's own, so it can be stopped and started again as itself. */
  async function startPrometheus(): Promise<void> {
    const started = spawnManaged(
      'prometheus',
      prometheusBinary ?? 'prometheus',
      [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'tsdb')}`, `--web.listen-address=127.0.0.1:${prometheusPort}`],
      dir,
    );
    prometheus = started;
    await waitUntilReady(started, `127.0.0.1:${prometheusPort}`, `http://127.0.0.1:${prometheusPort}/-/ready`, 20_000);
  }

  // Page-side expressions as strings: the test project has no DOM types, and these run in the page anyway.
  const panelStates = (): Promise<Array<{ id: string; title: string; state: string }>> =>
    page.evaluate(`[...document.querySelectorAll('.panel')].map((panel) => ({
      id: panel.getAttribute('data-panel-id'), title: panel.querySelector('h3')?.textContent ?? '', state: panel.getAttribute('data-state') }))`);
  let lastRows: Array<{ node: string; stale: string }> = [];
  const nodeRows = async (): Promise<Array<{ node: string; stale: string }>> => {
    lastRows = await page.evaluate(`[...document.querySelectorAll('#nodes tbody tr')].map((row) => ({ node: row.dataset.node, stale: row.dataset.stale }))`);
    return lastRows;
  };

  beforeAll(async () => {
    gateway = await startPushgateway();
    prometheusPort = await freePort();
    const ruleFiles = readdirSync(RULES)
      .filter((file) => file.endsWith('.yml') && !file.endsWith('.test.yml'))
      .map((file) => join(RULES, file));
    // Like the shipped prometheus.yml: a persia_gateway_* scrape job with honor_labels and persia_job.
    const scrape = `
      - job_name: persia_gateway_static
        honor_labels: true
        static_configs:
          - targets: ['${gateway.address}']
            labels: {persia_job: '${JOB}'}`;
    writeFileSync(join(dir, 'prometheus.yml'), renderLocalScrapeConfig({ scrapeTargets: [], scrapeIntervalSeconds: 1, ruleFiles, extraScrapeConfigsYaml: scrape }));
    await startPrometheus();

    const config = join(dir, 'global_config.yaml');
    writeFileSync(config, `PersiaMetricsConfig:\n  job_name: ${JOB}\n  push_interval_seconds: 1\n  gateway_addr: ${gateway.address}\n`);
    for (const [role, instance] of NODES) {
      // `env` gives each node its identity, as a container's environment would.
      const node = spawnManaged(`${role}/${instance}`, '/usr/bin/env', [
        `PERSIA_METRICS_INSTANCE=${instance}`,
        process.execPath,
        CLI_MAIN,
        'simulate-node',
        '--role',
        role,
        '--config',
        config,
        '--step-ms',
        '10',
      ]);
      nodes.set(`${role}/${instance}`, node);
    }

    view = spawnManaged('view', process.execPath, [CLI_MAIN, 'view', '--prometheus', `http://127.0.0.1:${prometheusPort}`, '--job', JOB, '--port', '0', '--refresh', '1']);
    viewUrl = await waitFor(async () => /http:\/\/127\.0\.0\.1:\d+\/\S*/.exec(view.output())?.[0], {
      timeoutMs: 15_000,
      intervalMs: 100,
      what: 'the view to print its URL',
      details: () => view.output(),
    });

    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.on('console', (message) => {
      // Chromium aborts requests in flight when the host's interfaces change (other tests' containers):
      // not the page's doing, and the page retries them.
      if (message.type() === 'error' && !message.text().includes('ERR_NETWORK_CHANGED')) consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(`uncaught: ${error.message}`));
    page.on('request', (request) => requestedOrigins.add(new URL(request.url()).origin));
  });

  afterAll(async () => {
    await browser?.close();
    await view?.stop();
    await Promise.all([...nodes.values()].map((node) => node.stop(5000)));
    await prometheus?.stop();
    await gateway?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('loads with no console errors; every panel shows data and the table lists every node', async () => {
    await page.goto(viewUrl);
    await waitFor(async () => (await nodeRows()).length === NODES.length || undefined, {
      timeoutMs: 20_000,
      intervalMs: 250,
      what: 'the node table to list every node',
      details: () => `rows: ${JSON.stringify(lastRows)}\n${view.output()}`,
    });
    expect((await nodeRows()).map((row) => row.node).sort()).toEqual(NODES.map(([role, instance]) => `${role}/${instance}`).sort());
    expect((await nodeRows()).every((row) => row.stale === 'false')).toBe(true);

    let states: Array<{ title: string; state: string }> = [];
    await waitFor(
      async () => {
        states = await panelStates();
        return (states.length > 0 && states.every((panel) => panel.state === 'data')) || undefined;
      },
      { timeoutMs: 30_000, intervalMs: 500, what: 'every panel to show data', details: () => JSON.stringify(states.filter((panel) => panel.state !== 'data')) },
    );
    // The page draws the dashboards' panels: one with P50/P99 for every time cost, the accuracy ones too.
    const titles = states.map((panel) => panel.title);
    for (const expected of ['lookup_rpc_time_cost P50 / P99', 'update_gradient_time_cost P50 / P99', 'Index miss ratio', 'NaN gradients, by feature', 'Staleness (batches)']) {
      expect(titles.some((title) => title.endsWith(expected))).toBe(true);
    }
    expect(await page.locator('.panel[data-state="data"] canvas').count()).toBeGreaterThan(10);
    expect(consoleErrors).toEqual([]);
    // Same origin only: the browser never learns where Prometheus is.
    expect([...requestedOrigins]).toEqual([new URL(viewUrl).origin]);
  });

  it('a SIGKILLed node turns stale on the page while the others stay fresh', async () => {
    await nodes.get('trainer/rep_1')?.kill();
    await waitFor(async () => (await nodeRows()).find((row) => row.node === 'trainer/rep_1')?.stale === 'true' || undefined, {
      timeoutMs: 20_000,
      intervalMs: 250,
      what: 'the killed node to be marked stale',
      details: () => JSON.stringify(lastRows),
    });
    const rows = await nodeRows();
    expect(rows.filter((row) => row.stale === 'true').map((row) => row.node)).toEqual(['trainer/rep_1']);
    expect(await page.locator('tr[data-node="trainer/rep_1"]').textContent()).toContain('STALE');
  });

  it('forwards only the query endpoints, read-only, to requests addressed to loopback', async () => {
    const status = (path: string, method = 'GET', host?: string): Promise<number> =>
      new Promise((resolve, reject) => {
        const url = new URL(path, viewUrl);
        const req = request(url, { method, headers: host === undefined ? {} : { host } }, (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
    expect(await status(`/api/v1/query?query=up`)).toBe(200);
    expect(await status('/api/v1/admin/tsdb/snapshot', 'POST')).toBe(405);
    expect(await status('/api/v1/status/config')).toBe(404);
    expect(await status('/-/quit')).toBe(404);
    // A page on another site whose DNS name points at 127.0.0.1 cannot read the job through the browser.
    expect(await status('/api/v1/query?query=up', 'GET', `evil.example:${new URL(viewUrl).port}`)).toBe(421);
  });

  it('says so when Prometheus stops answering, keeps the last data, and recovers when it is back', async () => {
    // While it shuts down Prometheus answers 503 or resets connections, then refuses them: each is an outage.
    await prometheus?.stop();
    await page.locator('#status[data-prometheus="down"]').waitFor({ timeout: 15_000 });
    expect(await page.locator('#banner').textContent()).toMatch(
      /^Prometheus is not answering since \S+ \((connection refused|connection reset|HTTP 503)\)\. The table and charts show the last data/,
    );
    expect(await nodeRows()).toHaveLength(NODES.length);
    expect((await panelStates()).every((panel) => panel.state === 'data')).toBe(true);

    await startPrometheus();
    await page.locator('#status[data-prometheus="up"]').waitFor({ timeout: 20_000 });
    expect(await page.locator('#banner').textContent()).toMatch(/Prometheus did not answer from .* to .*: the shaded band in the charts is that gap/);
    let states: Array<{ title: string; state: string }> = [];
    await waitFor(
      async () => {
        states = await panelStates();
        return states.every((panel) => panel.state === 'data') || undefined;
      },
      { timeoutMs: 15_000, intervalMs: 250, what: 'every panel to show data again', details: () => JSON.stringify(states.filter((panel) => panel.state !== 'data')) },
    );
    expect(consoleErrors.filter((text) => !text.includes('502'))).toEqual([]);
  });
});
