/**
 * Issue 19 part 1 in the browser: `persia-metrics view` (the built CLI) in Chromium says when Prometheus
 * cannot scrape the job's gateway, names the groups that break its /metrics and the command that repairs it,
 * and drops the banner once `repair` has run. Real Pushgateway with the consistency check off (as shipped),
 * real Prometheus scraping it as a deployment does (a persia_gateway_* job labelled with the job), broken by
 * two users' programs that define one family with two types, and by a foreign pusher whose group sends a
 * catalog family untyped under an instance label built to inject markup and steer text: the banner shows it
 * escaped, as text. Needs `npm run build` first.
 */
import { existsSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staticGatewayScrapeJobYaml } from '../../src/deploy/prometheus/gateway-series.js';
import { startPrometheus, type RunningPrometheus } from '../../src/local-stack/prometheus-process.js';
import { startPushgateway, type RunningPushgateway } from '../../src/local-stack/pushgateway-process.js';
import { spawnManaged, type ManagedProcess } from '../../src/local-stack/managed-process.js';
import { waitFor } from '../../src/local-stack/wait-for.js';
import { GATEWAY_SCRAPE_JOB_PREFIX } from '../../src/monitoring/health.js';
import { requireBinary } from '../helpers/binaries.js';
import { launchChromium, requireChromium } from '../helpers/chromium.js';
import { clashingNode } from '../helpers/clashing-node.js';
import { CLI_MAIN, runCli } from '../helpers/cli-runner.js';
import { killUserPrograms, runUserProgram } from '../helpers/user-program.js';

const ready = requireBinary('prometheus') !== undefined && requireBinary('prometheus-pushgateway') !== undefined && requireChromium();
if (!existsSync(CLI_MAIN) && process.env['CI'] === 'true') throw new Error(`CI=true and ${CLI_MAIN} is missing: run npm run build first`);

/** An instance a hostile pusher chose: markup, a bidi override that would reorder the banner, a terminal escape. */
const HOSTILE_INSTANCE = '<img src=x onerror="window.__pwned=1">\u202e\u001b[2Krep_9';
/** How the banner must show it: JSON-quoted, the override and the escape spelled out. */
const HOSTILE_SHOWN = 'instance="<img src=x onerror=\\"window.__pwned=1\\">\\u202e\\u001b[2Krep_9"';

interface BannerState {
  hidden: boolean;
  gateways: string | undefined;
  text: string;
  groups: string[];
  fix: string[];
  injected: number;
  pwned: unknown;
}

describe.skipIf(!ready || !existsSync(CLI_MAIN))('persia-metrics view: a gateway Prometheus cannot scrape', () => {
  let gateway: RunningPushgateway;
  let prometheus: RunningPrometheus;
  let view: ManagedProcess;
  let browser: Browser;
  let page: Page;
  let last: BannerState | undefined;

  const banner = async (): Promise<BannerState> => {
    last = await page.evaluate<BannerState>(`(() => {
      const banner = document.getElementById('scrape-banner');
      return {
        hidden: banner.hidden,
        gateways: banner.dataset.gateways,
        text: banner.textContent,
        groups: [...banner.querySelectorAll('.breaking-group')].map((item) => item.textContent),
        fix: [...banner.querySelectorAll('.fix code')].map((code) => code.textContent),
        injected: document.querySelectorAll('img').length,
        pwned: window.__pwned,
      };
    })()`);
    return last;
  };
  const bannerUntil = (what: string, predicate: (state: BannerState) => boolean, timeoutMs = 20_000): Promise<BannerState> =>
    waitFor(async () => ((state) => (predicate(state) ? state : undefined))(await banner()), {
      timeoutMs,
      intervalMs: 200,
      what,
      details: () => `${JSON.stringify(last)}\n${view.output()}`,
    });

  /** `view --job clash --refresh 1` on a page of its own, with the extra arguments given. */
  async function viewPage(prometheusUrl: string, extra: readonly string[] = []): Promise<{ view: ManagedProcess; page: Page }> {
    const started = spawnManaged('view', process.execPath, [CLI_MAIN, 'view', '--prometheus', prometheusUrl, '--job', 'clash', '--port', '0', '--refresh', '1', ...extra]);
    const url = await waitFor(async () => /http:\/\/127\.0\.0\.1:\d+\/\S*/.exec(started.output())?.[0], {
      timeoutMs: 15_000,
      intervalMs: 100,
      what: 'the view to print its URL',
      details: () => started.output(),
    });
    const opened = await browser.newPage();
    await opened.goto(url);
    return { view: started, page: opened };
  }

  beforeAll(async () => {
    gateway = await startPushgateway({ extraArgs: ['--push.disable-consistency-check'] });
    prometheus = await startPrometheus({
      scrapeIntervalSeconds: 1,
      extraScrapeConfigsYaml: staticGatewayScrapeJobYaml(`${GATEWAY_SCRAPE_JOB_PREFIX}clash`, [gateway.address], 'clash'),
    });
    browser = await launchChromium();
    ({ view, page } = await viewPage(prometheus.url, ['--gateway', gateway.address]));
  }, 60_000);

  afterAll(async () => {
    killUserPrograms();
    await browser?.close();
    await view?.stop();
    await prometheus?.stop();
    await gateway?.stop();
  });

  it('names the gateway, the groups that break it (hostile values escaped) and the repair; the banner goes once repaired', async () => {
    // A gateway Prometheus scrapes: an answer, and no banner.
    await prometheus.queryUntil(`up{job="${GATEWAY_SCRAPE_JOB_PREFIX}clash"} == 1`, (samples) => samples.length === 1);
    expect(await bannerUntil('a first verdict on the gateway', (state) => state.gateways === '0')).toMatchObject({ hidden: true, text: '' });

    const [gauge, counter] = await Promise.all([runUserProgram(clashingNode(gateway.address, 0, 'gauge')), runUserProgram(clashingNode(gateway.address, 1, 'counter'))]);
    expect([gauge.stdout.trim(), counter.stdout.trim()], `${gauge.stderr}\n${counter.stderr}`).toEqual(['flushed', 'flushed']);
    const foreign = await fetch(`${gateway.url}/metrics/job/clash/instance@base64/${Buffer.from(HOSTILE_INSTANCE).toString('base64url')}`, {
      method: 'PUT',
      body: 'persia_node_state 1\n', // a catalog family (a gauge) sent untyped
    });
    expect(foreign.status).toBe(202);

    const broken = await bannerUntil('the banner to name both breaking groups', (state) => !state.hidden && state.groups.length === 2 && /scrape job/.test(state.text));
    expect(broken.text).toContain(`Prometheus cannot scrape gateway ${gateway.address}`);
    expect(broken.text).toContain(`${GATEWAY_SCRAPE_JOB_PREFIX}clash sees it down`);
    expect(broken.text).toMatch(/Its \/metrics answers 500 /);
    const hostile = broken.groups.find((group) => group.includes('<img'));
    const clash = broken.groups.find((group) => group !== hostile);
    expect(clash).toMatch(/^broken by group job="clash" role="trainer" instance="rep_[01]": epoch_loss pushed as (GAUGE|COUNTER); expected (COUNTER|GAUGE)/);
    expect(hostile).toBe(`broken by group job="clash" ${HOSTILE_SHOWN}: persia_node_state pushed as UNTYPED; expected GAUGE, the catalog's type`);
    expect(broken.fix).toEqual([`persia-metrics repair --gateway ${gateway.address}`]);
    // Shown, never obeyed: no element came from the pushed value, and its handler never ran.
    expect([broken.injected, broken.pwned]).toEqual([0, undefined]);

    // A view not given the gateway still says what Prometheus sees, and how to find the groups.
    const other = await viewPage(prometheus.url);
    try {
      const seen = await waitFor(
        async () => {
          const text = (await other.page.locator('#scrape-banner').textContent()) ?? '';
          return text.includes('--dry-run') ? text : undefined;
        },
        { timeoutMs: 20_000, intervalMs: 200, what: 'the banner of a view without --gateway', details: () => other.view.output() },
      );
      expect(seen).toContain(`Prometheus cannot scrape gateway ${gateway.address} (Prometheus's scrape job ${GATEWAY_SCRAPE_JOB_PREFIX}clash sees it down)`);
      expect(seen).toContain(`persia-metrics repair --gateway ${gateway.address} --dry-run names the groups that break its /metrics`);
      expect(seen).not.toContain('<img');
    } finally {
      await other.page.close();
      await other.view.stop();
    }

    const repair = await runCli(['repair', '--gateway', gateway.address]);
    expect(repair.code, `${repair.stdout}\n${repair.stderr}`).toBe(0);
    expect(repair.stdout).toContain('2 of 2 groups deleted; /metrics now answers 200');
    await bannerUntil('the banner to go once Prometheus scrapes the gateway again', (state) => state.hidden && state.gateways === '0');
    expect((await prometheus.query(`up{job="${GATEWAY_SCRAPE_JOB_PREFIX}clash"}`))[0]?.value).toBe(1);
  }, 90_000);
});
