/**
 * `persia-metrics view` in a real browser (Debian's chromium through playwright-core) against a real
 * Pushgateway and Prometheus fed by simulated nodes: the page loads cleanly, every panel of the dashboards
 * shows data, the node table lists every node, the page fits a 1,440 px window with a 300-character job and
 * instance in Prometheus, a SIGKILLed node turns stale, and a Prometheus that goes
 * away is reported on the page, which recovers when it comes back. Needs `npm run build` first.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staticGatewayScrapeJobYaml } from '../../src/deploy/prometheus/gateway-series.js';
import { freePort } from '../../src/local-stack/free-port.js';
import { renderLocalScrapeConfig } from '../../src/local-stack/local-scrape-config.js';
import { spawnManaged, waitUntilReady, type ManagedProcess } from '../../src/local-stack/managed-process.js';
import { startPushgateway, type RunningPushgateway } from '../../src/local-stack/pushgateway-process.js';
import { waitFor } from '../../src/local-stack/wait-for.js';
import { startDcgmExporterFixture, type RunningDcgmFixture } from '../fixtures/agent/dcgm-exporter-fixture.js';
import { requireBinary } from '../helpers/binaries.js';
import { launchChromium, requireChromium } from '../helpers/chromium.js';
import { CLI_MAIN } from '../helpers/cli-runner.js';
import { TEST_PASSWORD, TEST_USER } from '../helpers/secured-pushgateway.js';
import { legendText } from '../../src/view/page/format.js';
import { startViewServer } from '../../src/view/view-server.js';

/** bcrypt of TEST_PASSWORD, as in test/helpers/secured-pushgateway.ts (no bcrypt tool needed). */
const TEST_PASSWORD_BCRYPT = '$2b$04$/v.qdxCOShH53/HNGM5Sq.8LrDZMc7/uNx6yTPi/oVyy4hYOpUTJS';

const RULES = join(import.meta.dirname, '../../config/prometheus/rules');
const JOB = 'view_it';
/** A 300-character name of the given kind (a job, an instance). */
const longName = (prefix: string): string => `${prefix}${'abcdefghijklmnopqrstuvwxyz0123456789_'.repeat(9)}`.slice(0, 300);
const LONG_JOB = longName('job_');
const SIMULATED_NODES = [
  ['trainer', 'rep_0'],
  ['trainer', 'rep_1'],
  ['middleware', 'rep_0'],
  ['server', 'rep_0'],
] as const;
/** A trainer whose metrics are its GPUs: `persia-metrics agent` scraping the dcgm-exporter FIXTURE (there is no GPU here). */
const GPU_NODE = ['trainer', 'rep_2'] as const;
const NODES = [...SIMULATED_NODES, GPU_NODE];
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
  let dcgm: RunningDcgmFixture | undefined;
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
  let lastRows: Array<{ node: string; stale: string; text: string }> = [];
  const nodeRows = async (): Promise<Array<{ node: string; stale: string; text: string }>> => {
    lastRows = await page.evaluate(`[...document.querySelectorAll('#nodes tbody tr')].map((row) => ({ node: row.dataset.node, stale: row.dataset.stale, text: row.textContent }))`);
    return lastRows;
  };

  /**
   * Right after Prometheus is back its last samples predate the outage: for a few refreshes no live node
   * may be flagged stale (the node killed earlier stays stale). With a 1 s scrape the window before the first
   * scrape is under one refresh, so this guards the outcome; test/unit/view/view-upstream.test.ts proves the rule.
   */
  async function expectOnlyKilledNodeStale(): Promise<void> {
    // A scrape of the gateway cut off by Prometheus's shutdown (or timed out while it was stopped) leaves stale
    // markers: Prometheus then has no current sample of any node until its next scrape (about 5 s after a
    // restart; a scrape in flight is likelier on a loaded machine), and the table is empty, as Prometheus says.
    await waitFor(async () => (await nodeRows()).length === NODES.length || undefined, {
      timeoutMs: 20_000,
      intervalMs: 100,
      what: 'the node table to list every node again',
      details: () => JSON.stringify(lastRows),
    });
    for (let check = 0; check < 8; check += 1) {
      const rows = await nodeRows();
      const status = await page.locator('#status').textContent();
      const banner = await page.locator('#banner').textContent();
      expect(
        rows.filter((row) => row.stale === 'true').map((row) => row.node),
        `check ${check}: ${JSON.stringify(rows)} status ${status} banner ${banner} at ${new Date().toISOString()}\n${view.output()}`,
      ).toEqual(['trainer/rep_1']);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }

  /** A second `view` on its own page, for an upstream of the test's choosing; its banner once the page has refreshed. */
  async function viewAgainst(prometheusUrl: string, use: (page: Page, url: string, output: () => string) => Promise<void>): Promise<void> {
    const other = spawnManaged('view', process.execPath, [CLI_MAIN, 'view', '--prometheus', prometheusUrl, '--job', JOB, '--port', '0', '--refresh', '1']);
    const otherPage = await browser.newPage();
    try {
      const url = await waitFor(async () => /http:\/\/127\.0\.0\.1:\d+\/\S*/.exec(other.output())?.[0], {
        timeoutMs: 15_000,
        intervalMs: 100,
        what: 'the view to print its URL',
        details: () => other.output(),
      });
      await otherPage.goto(url);
      await use(otherPage, url, () => other.output());
    } finally {
      await otherPage.close();
      await other.stop();
    }
  }

  beforeAll(async () => {
    gateway = await startPushgateway();
    prometheusPort = await freePort();
    const ruleFiles = readdirSync(RULES)
      .filter((file) => file.endsWith('.yml') && !file.endsWith('.test.yml'))
      .map((file) => join(RULES, file));
    // Like the shipped prometheus.yml: a persia_gateway_* scrape job of the job's gateway, its label handling.
    // The long job of the layout test below shares the gateway: a second target of it, labelled with that job,
    // keeps its groups (each target keeps its own job's only).
    const scrape = [
      staticGatewayScrapeJobYaml('persia_gateway_static', [gateway.address], JOB),
      staticGatewayScrapeJobYaml('persia_gateway_static_long', [gateway.address], LONG_JOB),
    ].join('');
    writeFileSync(join(dir, 'prometheus.yml'), renderLocalScrapeConfig({ scrapeTargets: [], scrapeIntervalSeconds: 1, ruleFiles, extraScrapeConfigsYaml: scrape }));
    await startPrometheus();

    const config = join(dir, 'global_config.yaml');
    writeFileSync(config, `PersiaMetricsConfig:\n  job_name: ${JOB}\n  push_interval_seconds: 1\n  gateway_addr: ${gateway.address}\n`);
    for (const [role, instance] of SIMULATED_NODES) {
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

    dcgm = await startDcgmExporterFixture(73);
    const [gpuRole, gpuInstance] = GPU_NODE;
    nodes.set(
      `${gpuRole}/${gpuInstance}`,
      spawnManaged('agent', '/usr/bin/env', [
        `PERSIA_METRICS_INSTANCE=${gpuInstance}`,
        process.execPath,
        CLI_MAIN,
        'agent',
        '--role',
        gpuRole,
        '--config',
        config,
        '--scrape',
        dcgm.url,
      ]),
    );

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
    await dcgm?.close();
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

  it("shows a node's GPU utilisation beside its straggler column, and the GPU panels of the efficiency dashboard", async () => {
    await page.goto(viewUrl);
    const gpuRow = `${GPU_NODE[0]}/${GPU_NODE[1]}`;
    const cells = async (): Promise<{ gpuUtil?: string; cells: string[] } | undefined> =>
      page.evaluate(`(() => { const row = [...document.querySelectorAll('#nodes tbody tr')].find((tr) => tr.dataset.node === ${JSON.stringify(gpuRow)});
        return row === undefined ? undefined : { gpuUtil: row.dataset.gpuUtil, cells: [...row.cells].map((td) => td.title ? td.textContent + ' | ' + td.title : td.textContent) }; })()`);
    // The fixture's two GPUs are at 73 % and 74 %: the row shows their mean, each GPU in the cell's title.
    const shown = await waitFor(async () => ((await cells())?.gpuUtil === '73.5' ? cells() : undefined), { timeoutMs: 20_000, intervalMs: 250, what: "the agent node's GPU cell" });
    const headers = await page.evaluate(`[...document.querySelectorAll('#nodes thead th')].map((th) => th.textContent)`);
    expect(headers).toEqual(expect.arrayContaining(['straggler', 'GPU util']));
    const column = (headers as string[]).indexOf('GPU util');
    expect((headers as string[])[column - 1]).toBe('straggler');
    expect(shown?.cells[column]).toBe('73.5% (2 GPUs, min 73%) | GPU 0: 73%, GPU 1: 74%');
    // Simulated nodes have no GPU: a dash, and no data-gpu-util.
    const others = await page.evaluate(
      `[...document.querySelectorAll('#nodes tbody tr')].filter((tr) => tr.dataset.node !== ${JSON.stringify(gpuRow)}).map((tr) => [tr.dataset.gpuUtil ?? null, tr.cells[${column}].textContent])`,
    );
    expect(new Set((others as Array<[string | null, string]>).map((pair) => JSON.stringify(pair)))).toEqual(new Set([JSON.stringify([null, '–'])]));
    const expected = ['GPU utilisation per node and GPU', 'GPU memory used per node and GPU'];
    await waitFor(async () => (await panelStates()).filter((panel) => expected.some((title) => panel.title.endsWith(title)) && panel.state === 'data').length === 2, {
      timeoutMs: 20_000,
      intervalMs: 250,
      what: 'the GPU panels to show data',
      details: () => JSON.stringify(lastRows),
    });
  });

  it('fits a 1,440 px window whatever the names: a 300-character job and instance widen neither the pickers, the table nor a chart legend', async () => {
    // Found by a new-user session: one long job name anywhere in Prometheus made the job picker 2,756 px wide
    // on every page, pushing the window picker and the "updated" line off-screen.
    const longJob = LONG_JOB;
    const longInstance = longName('host_');
    const pushed = await fetch(`${gateway.url}/metrics/job/${longJob}/role/trainer/instance/${longInstance}`, {
      method: 'PUT',
      body: '# TYPE persia_node_state gauge\npersia_node_state{state="running"} 1\n',
    });
    expect(pushed.status).toBeLessThan(300);
    const origin = new URL(viewUrl).origin;
    const wide = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    try {
      for (const [job, row] of [
        [JOB, 'trainer/rep_0'],
        [longJob, `trainer/${longInstance}`],
      ] as const) {
        await wide.goto(`${origin}/?${new URLSearchParams({ job }).toString()}`);
        // Prometheus has scraped the long job (the picker lists it), the table is drawn, the status line says
        // "updated", and on the long job's page a chart's legend names the long instance (uPlot sized its box to it).
        await waitFor(
          async () =>
            (await wide.evaluate(
              `[...document.querySelectorAll('#job-picker option')].some((option) => option.value === ${JSON.stringify(longJob)}) &&
               document.querySelector('#nodes tbody tr[data-node=' + JSON.stringify(${JSON.stringify(row)}) + ']') !== null &&
               /^updated /.test(document.querySelector('#status').textContent) &&
               ${job === longJob} === [...document.querySelectorAll('.panel[data-state="data"] .u-legend')].some((legend) => legend.textContent.includes(${JSON.stringify(longInstance)}))`,
            )) || undefined,
          { timeoutMs: 20_000, intervalMs: 250, what: `the page of ${job.slice(0, 20)}… to list the long job and its own nodes` },
        );
        type Box = { left: number; right: number; top: number; bottom: number };
        const layout = await wide.evaluate<{ scrollWidth: number; clientWidth: number; boxes: Record<string, Box> }>(`(() => {
          const box = (selector) => { const rect = document.querySelector(selector).getBoundingClientRect(); return { left: rect.left, right: rect.right, top: rect.top, bottom: rect.bottom }; };
          return { scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth,
            boxes: { job: box('#job-picker'), window: box('#window-picker'), status: box('#status'), table: box('#nodes'), summary: box('#nodes-summary') } };
        })()`);
        expect(layout.clientWidth).toBe(1440);
        expect(layout.scrollWidth, `the page of ${job.slice(0, 20)}… scrolls sideways`).toBeLessThanOrEqual(layout.clientWidth);
        for (const [part, box] of Object.entries(layout.boxes)) {
          expect(box.left, part).toBeGreaterThanOrEqual(0);
          expect(box.right, part).toBeLessThanOrEqual(1440);
          if (part === 'table' || part === 'summary') continue;
          expect(box.bottom, part).toBeLessThanOrEqual(900);
          // The pickers and the status line each read on one line, not squeezed into a column.
          expect(box.bottom - box.top, part).toBeLessThan(30);
        }
        // The whole name stays one hover away.
        expect(await wide.locator('#job-picker').getAttribute('title')).toBe(job);
      }
    } finally {
      await wide.close();
    }
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

  it('the push-failure panels name their zero line (no nameless "value" series from `or vector(0)`)', async () => {
    const origin = new URL(viewUrl).origin;
    const panels = (await (await fetch(`${origin}/api/panels?job=${JOB}&window=5m`)).json()) as {
      sections: Array<{ panels: Array<{ title: string; targets: Array<{ expr: string; legend: string }> }> }>;
    };
    const wanted = panels.sections
      .flatMap((section) => section.panels)
      .filter((panel) => ['Push failures per second, by reason', 'Scraped families left out (clashes), by node', 'Pushes rejected by the gateway'].includes(panel.title));
    expect(wanted).toHaveLength(3);
    for (const target of wanted.flatMap((panel) => panel.targets)) {
      const answer = (await (await fetch(`${origin}/api/v1/query?${new URLSearchParams({ query: target.expr }).toString()}`)).json()) as {
        data: { result: Array<{ metric: Record<string, string> }> };
      };
      const legends = answer.data.result.map((series) => legendText(target.legend, series.metric));
      expect(legends.length).toBeGreaterThan(0);
      expect(legends).not.toContain('value');
      expect(legends.every((legend) => legend !== '')).toBe(true);
    }
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
    await expectOnlyKilledNodeStale();
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

  it('a hung Prometheus (SIGSTOP) is reported within a refresh and the proxy timeout, not after the whole refresh', async () => {
    await page.locator('#status[data-prometheus="up"]').waitFor({ timeout: 20_000 });
    const pid = prometheus?.pid;
    if (pid === undefined) throw new Error('Prometheus has no pid');
    const stoppedAt = Date.now();
    process.kill(pid, 'SIGSTOP');
    try {
      await page.locator('#status[data-prometheus="down"]').waitFor({ timeout: 30_000 });
      // One refresh (1 s) + the proxy's 10 s, not the whole refresh (every panel's query waiting its 10 s in
      // turn): room for a loaded machine, where CI measured 21.5 s once (the test suite on two cores).
      expect(Date.now() - stoppedAt).toBeLessThan(25_000);
      expect(await page.locator('#banner').textContent()).toMatch(/^Prometheus is not answering since \S+ \(no answer in time\)\. The table and charts show the last data, of /);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await page.locator('#status[data-prometheus="up"]').waitFor({ timeout: 30_000 });
    await expectOnlyKilledNodeStale();
  });

  it('names a --prometheus that is not Prometheus (the gateway, a path prefix it does not serve) on the page, without its address', async () => {
    for (const wrong of [gateway.url, `http://127.0.0.1:${prometheusPort}/prometheus`]) {
      await viewAgainst(wrong, async (otherPage) => {
        await otherPage.locator('#status[data-prometheus="down"]').waitFor({ timeout: 15_000 });
        expect(await otherPage.locator('#status').textContent()).toBe('Prometheus not readable');
        const text = (await otherPage.locator('#banner').textContent()) ?? '';
        expect(text).toMatch(
          /^Prometheus at the configured address answered 404 for \/api\/v1\/[a-z/_]+: is --prometheus the Prometheus that scrapes the gateway \(its address, and its path prefix if any\)\? Nothing to show until it answers as Prometheus; retrying every 1 s\.$/,
        );
        expect(text).not.toContain('127.0.0.1');
      });
    }
  });

  it('reads a Prometheus behind basic auth with the user:password of --prometheus, which never reaches the browser; without them it says 401', async () => {
    const authPort = await freePort();
    // The REAL Prometheus with basic-auth users (its --web.config.file); the hash is test/helpers/secured-pushgateway.ts's fixed test credential.
    writeFileSync(join(dir, 'web.yml'), `basic_auth_users:\n  ${TEST_USER}: ${TEST_PASSWORD_BCRYPT}\n`);
    const secured = spawnManaged(
      'prometheus (basic auth)',
      prometheusBinary ?? 'prometheus',
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'tsdb-auth')}`,
        `--web.listen-address=127.0.0.1:${authPort}`,
        `--web.config.file=${join(dir, 'web.yml')}`,
      ],
      dir,
    );
    try {
      const authorization = `Basic ${Buffer.from(`${TEST_USER}:${TEST_PASSWORD}`).toString('base64')}`;
      await waitFor(async () => (await fetch(`http://127.0.0.1:${authPort}/-/ready`, { headers: { authorization } }).catch(() => undefined))?.ok || undefined, {
        timeoutMs: 20_000,
        intervalMs: 250,
        what: 'the secured Prometheus to be ready',
        details: () => secured.output(),
      });
      await viewAgainst(`http://${TEST_USER}:${TEST_PASSWORD}@127.0.0.1:${authPort}`, async (otherPage, url, output) => {
        const urls: string[] = [];
        const headers: string[] = [];
        otherPage.on('request', (request) => {
          urls.push(request.url());
          headers.push(JSON.stringify(request.headers()));
        });
        await waitFor(async () => (await otherPage.locator('#nodes tbody tr').count()) >= NODES.length - 1 || undefined, {
          timeoutMs: 30_000,
          intervalMs: 250,
          what: 'the node table read through the secured Prometheus',
          details: () => output(),
        });
        // The table is drawn before the panels' queries of the same refresh: the status leaves "unknown" once
        // all of them answered (seconds later on a loaded machine).
        const reachability = await waitFor(
          async () => {
            const state = await otherPage.locator('#status').getAttribute('data-prometheus');
            return state !== 'unknown' && state;
          },
          { timeoutMs: 30_000, intervalMs: 250, what: 'the first refresh through the secured Prometheus to end', details: () => output() },
        );
        expect(reachability).toBe('up');
        expect(output()).toContain(`(reading http://${TEST_USER}:***@127.0.0.1:${authPort};`);
        expect(output()).not.toContain(TEST_PASSWORD);
        expect(await otherPage.content()).not.toContain(TEST_PASSWORD);
        expect(urls.length).toBeGreaterThan(0);
        expect(urls.filter((requested) => !requested.startsWith(new URL(url).origin))).toEqual([]);
        expect(`${urls.join('\n')}\n${headers.join('\n')}`).not.toContain(TEST_PASSWORD);
      });
      await viewAgainst(`http://127.0.0.1:${authPort}`, async (otherPage) => {
        await otherPage.locator('#status[data-prometheus="down"]').waitFor({ timeout: 15_000 });
        expect(await otherPage.locator('#banner').textContent()).toContain(
          'Prometheus at the configured address answered 401 for /api/v1/label/job/values: it wants credentials (give them in --prometheus as http://user:password@host:port)',
        );
      });
    } finally {
      await secured.stop();
    }
  });

  it('refuses an answer of Prometheus bigger than its cap with a message, and forwards the rest', async () => {
    const small = await startViewServer({ prometheusUrl: `http://127.0.0.1:${prometheusPort}`, port: 0, maxAnswerBytes: 64 * 1024 });
    try {
      const end = Math.floor(Date.now() / 1000);
      const everything = new URLSearchParams({ query: '{__name__=~".+"}', start: String(end - 60), end: String(end), step: '1' });
      const big = await fetch(`http://127.0.0.1:${small.port}/api/v1/query_range?${everything.toString()}`);
      expect(big.status).toBe(502);
      expect(await big.json()).toMatchObject({
        status: 'error',
        errorType: 'answer_too_large',
        error: "Prometheus's answer is larger than 64 KB: the view does not forward it (ask for fewer series or a coarser step)",
      });
      const up = await fetch(`http://127.0.0.1:${small.port}/api/v1/query?query=up`);
      expect(up.status).toBe(200);
    } finally {
      await small.close();
    }
  });
});
