/**
 * A long-term store answers the dashboards as Prometheus does. Real Pushgateway, `persia-metrics simulate`
 * (one node per role), a real Prometheus scraping the gateway every second and remote-writing every sample
 * (the `remote_write` block `init --remote-write-url` renders) to Debian's real VictoriaMetrics; then every
 * panel query of src/monitoring/dashboards.ts is asked of both at the same instant `t`.
 *
 * What "the same answer" means, honestly:
 * - The stored samples are the same: every series of the job, raw, over the last window before `t`, with
 *   identical timestamps and values. `t` lies midway between two scrapes, so no sample sits on a window
 *   edge (Prometheus 2.42 includes the left edge, VictoriaMetrics does not).
 * - A query without `rate`/`increase` gets the same series and values (VictoriaMetrics stores a value as a
 *   decimal of 12-15 significant digits: equal to 1e-11 relative; `time() - push_time_seconds` to 1e-5 s).
 * - `rate` and `increase` are computed differently by design (MetricsQL): Prometheus extrapolates from the
 *   first to the last sample inside the window; VictoriaMetrics does not extrapolate and starts from the last
 *   sample *before* the window. For those queries the VictoriaMetrics answer must equal Prometheus's answer to
 *   the same query with that semantics spelled out in PromQL (`rate(x[w])` → `(x - x offset w) / S`,
 *   `increase(x[w])` → `x - x offset w`, S the seconds between those two samples): same series, same values.
 *   The plain same-query difference is reported in the test output; it is the extrapolation, nothing else.
 * - A NaN answer (histogram_quantile of no observations) is dropped by MetricsQL; none is expected here,
 *   and any would be reported.
 * Needs `npm run build` first (dist/src/cli/main.js), as `npm test` does.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staticGatewayScrapeJobYaml } from '../../src/deploy/prometheus/gateway-series.js';
import { dashboardDefs } from '../../src/monitoring/dashboards.js';
import { resolveDeployOptions } from '../../src/deploy/deploy-options.js';
import { substituteGrafanaVariables } from '../../src/monitoring/dashboard-model.js';
import { rangeSelectorQuery, type PromMatrixSeries, type PromVectorSample } from '../../src/local-stack/instant-query.js';
import { spawnManaged, type ManagedProcess } from '../../src/local-stack/managed-process.js';
import { startPrometheus, type RunningPrometheus } from '../../src/local-stack/prometheus-process.js';
import { startPushgateway, type RunningPushgateway } from '../../src/local-stack/pushgateway-process.js';
import { startVictoriaMetrics, type RunningVictoriaMetrics } from '../../src/local-stack/victoria-metrics-process.js';
import { waitFor } from '../../src/local-stack/wait-for.js';
import { requireBinary } from '../helpers/binaries.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const MAIN = join(ROOT, 'dist/src/cli/main.js');
const JOB = 'long_term_it';
const SCRAPE_JOB = 'persia_gateway_static';
/** `$__rate_interval`, seconds: 20 scrapes in a window. */
const WINDOW = 20;
const ready = (['prometheus', 'prometheus-pushgateway', 'victoria-metrics'] as const).every((name) => requireBinary(name) !== undefined);
if (!existsSync(MAIN) && process.env['CI'] === 'true') throw new Error(`CI=true and ${MAIN} is missing: run npm run build first`);

/** Label set as a stable key. */
function seriesKey(metric: Record<string, string>): string {
  return JSON.stringify(Object.entries(metric).sort(([a], [b]) => a.localeCompare(b)));
}

function byKey(samples: readonly PromVectorSample[]): Map<string, number> {
  return new Map(samples.filter((sample) => !Number.isNaN(sample.value)).map((sample) => [seriesKey(sample.metric), sample.value]));
}

/**
 * Float agreement allowing for VictoriaMetrics' storage: it keeps a value as a decimal of 12 to 15 significant
 * digits (measured on 1.79.5: 0.0016651069518716578 comes back as 0.00166510695187, 1795497497.485431432 as
 * 1795497497.48543), so 1e-11 relative; `absolute` for answers that subtract large numbers.
 */
function close(a: number, b: number, absolute = 1e-9): boolean {
  return a === b || Math.abs(a - b) <= Math.max(absolute, 1e-11 * Math.max(Math.abs(a), Math.abs(b)));
}

/** Differences between two answers, as readable lines (empty: the same answer). */
function compareAnswers(expected: readonly PromVectorSample[], actual: readonly PromVectorSample[], absolute: number): string[] {
  const want = byKey(expected);
  const got = byKey(actual);
  const problems: string[] = [];
  for (const [key, value] of want) {
    const other = got.get(key);
    if (other === undefined) problems.push(`missing ${key} (Prometheus ${value})`);
    else if (!close(value, other, absolute)) problems.push(`${key}: Prometheus ${value}, VictoriaMetrics ${other}`);
  }
  for (const [key, value] of got) if (!want.has(key)) problems.push(`extra ${key} (VictoriaMetrics ${value})`);
  return problems;
}

/** Largest relative difference between two answers over the series both have. */
function largestRelativeDifference(a: readonly PromVectorSample[], b: readonly PromVectorSample[]): number {
  const other = byKey(b);
  let largest = 0;
  for (const [key, value] of byKey(a)) {
    const theirs = other.get(key);
    if (theirs === undefined || value === theirs) continue;
    largest = Math.max(largest, Math.abs(value - theirs) / Math.max(Math.abs(value), Math.abs(theirs)));
  }
  return largest;
}

/**
 * The query with MetricsQL's rollup semantics written out in PromQL: from the last sample at or before the
 * window's start (`offset`) to the last sample in it, without extrapolation. `sampledSeconds` is the time
 * between those two samples; every series comes from one scrape target, so it is the same for all.
 */
function withVictoriaMetricsRollups(expr: string, windowSeconds: number, sampledSeconds: number): string {
  return expr.replace(/\b(rate|increase)\(([^()[\]]+)\[\$__rate_interval\]\)/g, (_match, fn: string, selector: string) => {
    const delta = `(${selector} - ${selector} offset ${windowSeconds}s)`;
    return fn === 'rate' ? `(${delta} / ${sampledSeconds})` : delta;
  });
}

/** Raw samples of each store, NaNs left out (a recorded quantile of nothing; MetricsQL never returns NaN). */
function rawByKey(series: readonly PromMatrixSeries[]): Map<string, Array<[number, number]>> {
  const out = new Map<string, Array<[number, number]>>();
  for (const one of series) {
    const samples = one.samples.filter(([, value]) => !Number.isNaN(value));
    if (samples.length > 0) out.set(seriesKey(one.metric), samples);
  }
  return out;
}

/** Differences between the raw samples of the two stores (empty: the same), and the largest relative value difference seen. */
function rawDifferences(prometheus: PromMatrixSeries[], victoria: PromMatrixSeries[]): { problems: string[]; largest: number; largestAt: string; samples: number } {
  const mine = rawByKey(prometheus);
  const theirs = rawByKey(victoria);
  const problems: string[] = [];
  let largest = 0;
  let largestAt = '';
  let samples = 0;
  for (const [key, series] of mine) {
    const other = theirs.get(key);
    if (other === undefined) {
      problems.push(`missing ${key}`);
      continue;
    }
    const same = other.length === series.length && series.every(([ts, value], index) => other[index]?.[0] === ts && close(value, other[index]?.[1] ?? NaN));
    if (!same) problems.push(`${key}: Prometheus ${JSON.stringify(series)} VictoriaMetrics ${JSON.stringify(other)}`);
    samples += series.length;
    for (const [index, [, value]] of series.entries()) {
      const theirValue = other[index]?.[1] ?? value;
      const relative = value === theirValue ? 0 : Math.abs(value - theirValue) / Math.max(Math.abs(value), Math.abs(theirValue));
      if (relative > largest) [largest, largestAt] = [relative, `${key} ${value} / ${theirValue}`];
    }
  }
  for (const key of theirs.keys()) if (!mine.has(key)) problems.push(`extra ${key}`);
  return { problems, largest, largestAt, samples };
}

/**
 * An instant at least 0.2 s away from every scrape, and so is the start of the window before it (on a 1 s
 * scrape interval: about midway), a few scrapes back so the remote write has caught up. Both lie between two
 * scrapes at most 1.3 s apart: after a scrape skipped under load, VictoriaMetrics' look-back (derived from the
 * 1 s interval) could already call a series stale where Prometheus (5 min) does not. Also the seconds between
 * the last scrape before the window and the last one in it, the span of a MetricsQL rollup.
 */
async function quietInstant(prometheus: RunningPrometheus, window = WINDOW): Promise<{ t: number; sampled: number }> {
  const [up] = await rangeSelectorQuery(prometheus.url, `up{job="${SCRAPE_JOB}"}[${window + 10}s]`, Date.now() / 1000);
  const times = up?.samples.map(([ts]) => ts) ?? [];
  const lastAtOrBefore = (x: number): number => times.filter((ts) => ts <= x).at(-1) ?? NaN;
  const firstAfter = (x: number): number => times.find((ts) => ts > x) ?? NaN;
  const quiet = (x: number): boolean => times.every((ts) => Math.abs(ts - x) >= 0.2) && firstAfter(x) - lastAtOrBefore(x) <= 1.3;
  for (let i = times.length - 4; i >= 1; i -= 1) {
    const t = Math.round((((times[i] ?? 0) + (times[i + 1] ?? 0)) / 2) * 1000) / 1000;
    if (t - window > (times[0] ?? Infinity) && quiet(t) && quiet(t - window)) {
      return { t, sampled: Math.round((lastAtOrBefore(t) - lastAtOrBefore(t - window)) * 1000) / 1000 };
    }
  }
  throw new Error(`no instant clear of the scrapes at ${JSON.stringify(times)}`);
}

/** Every query of every shipped dashboard, as src/monitoring/dashboards.ts defines it (Grafana variables unsubstituted). */
function dashboardTargets(): Array<{ where: string; expr: string }> {
  return dashboardDefs(resolveDeployOptions({ jobName: JOB, pushIntervalSeconds: 1 })).flatMap(([file, dashboard]) =>
    dashboard.rows.flatMap((row) => row.panels.flatMap((panel) => panel.targets.map((target) => ({ where: `${file} / ${panel.title}`, expr: target.expr })))),
  );
}

const isRollup = (expr: string): boolean => /\b(rate|increase)\(/.test(expr);

describe.skipIf(!ready || !existsSync(MAIN))('long-term store: Prometheus remote-writes to real VictoriaMetrics', () => {
  const dir = mkdtempSync(join(tmpdir(), 'persia-long-term-it-'));
  let gateway: RunningPushgateway;
  let victoria: RunningVictoriaMetrics;
  let prometheus: RunningPrometheus;
  let nodes: ManagedProcess;
  /** The evaluation instant, unix seconds: midway between two scrapes, once both stores hold everything before it. */
  let t = 0;
  /** Seconds between the last sample before the window and the last one in it. */
  let sampled = 0;

  beforeAll(async () => {
    [gateway, victoria] = await Promise.all([startPushgateway({ extraArgs: ['--push.disable-consistency-check'] }), startVictoriaMetrics()]);
    prometheus = await startPrometheus({
      scrapeTargets: [],
      scrapeIntervalSeconds: 1,
      remoteWriteUrl: victoria.remoteWriteUrl,
      // Some panels read recorded series: those are remote-written like scraped ones.
      ruleFiles: [join(ROOT, 'config/prometheus/rules/persia-recording.yml')],
      // Like the shipped prometheus.yml: a persia_gateway_* scrape job of the job's gateway, its label handling.
      extraScrapeConfigsYaml: staticGatewayScrapeJobYaml(SCRAPE_JOB, [gateway.address], JOB),
    });
    const config = join(dir, 'global_config.yaml');
    writeFileSync(config, `PersiaMetricsConfig:\n  enable_metrics: true\n  job_name: ${JOB}\n  push_interval_seconds: 1\n  delete_on_shutdown: true\n`);
    const roles = ['--trainers', '1', '--middleware', '1', '--servers', '1'];
    nodes = spawnManaged('simulate', process.execPath, [MAIN, 'simulate', '--config', config, '--gateway', gateway.address, ...roles, '--step-ms', '10', '--quiet']);
    await prometheus.queryUntil(`count(push_time_seconds{job="${JOB}"})`, (s) => s[0]?.value === 3, 30_000);
    // A window, the scrape before it and a margin, all with every node present.
    await sleep((WINDOW + 6) * 1000);

    ({ t, sampled } = await quietInstant(prometheus));
    await sameRawSamplesBefore(t, WINDOW + 2);
  }, 80_000);

  /** Waits until VictoriaMetrics holds exactly the samples Prometheus holds in the `seconds` before `at` (the remote write caught up). */
  async function sameRawSamplesBefore(at: number, seconds: number): Promise<void> {
    const selector = `{job=~"${JOB}|${SCRAPE_JOB}"}[${seconds}s]`;
    const expected = await rangeSelectorQuery(prometheus.url, selector, at);
    let raw = rawDifferences(expected, []);
    await waitFor(
      async () => {
        raw = rawDifferences(expected, await victoria.rawSamples(selector, at));
        return raw.problems.length === 0 ? true : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 500, what: `VictoriaMetrics to hold every sample Prometheus holds before ${at}`, details: () => raw.problems.slice(0, 5).join('\n') },
    );
    console.info(
      `raw samples before ${at}: ${expected.length} series, ${raw.samples} samples, identical timestamps; largest relative value difference ${raw.largest} (${raw.largestAt})`,
    );
  }

  afterAll(async () => {
    await nodes?.stop(5000);
    await prometheus?.stop();
    await Promise.all([victoria?.stop(), gateway?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('every dashboard query gets the same answer from VictoriaMetrics as from Prometheus', async () => {
    expect(sampled, 'one sample before the window plus one per scrape in it').toBeGreaterThan(WINDOW - 1);
    expect(sampled).toBeLessThan(WINDOW + 1);
    const targets = dashboardTargets();
    expect(targets.length).toBeGreaterThan(30);

    const differences: string[] = [];
    const empty: string[] = [];
    const report: Array<{ query: string; series: number; 'largest relative difference, same query': number }> = [];
    for (const { where, expr } of targets) {
      const promql = substituteGrafanaVariables(expr, { job: JOB, range: `${WINDOW}s` });
      const rollup = isRollup(expr);
      const spelledOut = substituteGrafanaVariables(withVictoriaMetricsRollups(expr, WINDOW, sampled), { job: JOB, range: `${WINDOW}s` });
      const [fromPrometheus, fromVictoria, fromPrometheusSpelledOut] = await Promise.all([
        prometheus.query(promql, t),
        victoria.query(promql, t),
        rollup ? prometheus.query(spelledOut, t) : Promise.resolve(undefined),
      ]);
      if (fromPrometheus.length === 0) empty.push(`${where}: ${promql}`);
      for (const nan of fromPrometheus.filter((sample) => Number.isNaN(sample.value))) differences.push(`${where}: NaN in Prometheus for ${seriesKey(nan.metric)}`);
      // time() - push_time_seconds: a push time of ~1.8e9 s keeps 15 digits in VictoriaMetrics, so ±5e-6 s.
      const absolute = expr.includes('time()') ? 1e-5 : 1e-9;
      for (const problem of compareAnswers(fromPrometheusSpelledOut ?? fromPrometheus, fromVictoria, absolute)) differences.push(`${where}: ${promql}: ${problem}`);
      if (rollup) report.push({ query: promql, series: fromVictoria.length, 'largest relative difference, same query': largestRelativeDifference(fromPrometheus, fromVictoria) });
    }
    console.info(`rate/increase queries at t=${t} (window ${WINDOW}s): VictoriaMetrics vs Prometheus on the very same query text (extrapolation)`);
    console.table(report);
    // An empty answer from both is the same answer, but proves nothing: deploy-dashboards.test.ts owns "every panel has data".
    if (empty.length > 0) console.info(`empty in Prometheus (and compared as such):\n${empty.join('\n')}`);
    expect(targets.length - empty.length).toBeGreaterThan(30);
    expect(differences).toEqual([]);
  });

  // Staleness: the nodes delete their groups, the next scrape lacks their series, and Prometheus writes
  // staleness markers (remote-written too). Both stores must stop showing the gone nodes at once. Honestly:
  // at this 1 s scrape interval VictoriaMetrics' own look-back (derived from the interval between samples)
  // drops them as fast, so this proves the answers agree, not which mechanism did it (with
  // -search.noStaleMarkers it passes too). rate/increase are not compared here: the written-out form above
  // assumes a sample at the window's end.
  it('once the nodes stop and delete their groups, VictoriaMetrics drops their series when Prometheus does', async () => {
    await nodes.stop(10_000);
    await prometheus.queryUntil(`count(push_time_seconds{job="${JOB}"})`, (s) => s.length === 0, 15_000);
    await sleep(4000);
    // Half a scrape after the first scrape without the nodes' series: the markers are the newest samples there.
    const now = Date.now() / 1000;
    const lastSeen = Math.max(...(await rangeSelectorQuery(prometheus.url, `push_time_seconds{job="${JOB}"}[30s]`, now)).flatMap((series) => series.samples.map(([ts]) => ts)));
    const [up] = await rangeSelectorQuery(prometheus.url, `up{job="${SCRAPE_JOB}"}[30s]`, now);
    const staleScrape = up?.samples.map(([ts]) => ts).find((ts) => ts > lastSeen) ?? NaN;
    const after = Math.round((staleScrape + 0.5) * 1000) / 1000;
    expect(after, `an instant between two scrapes after the nodes left (last seen ${lastSeen})`).toBeLessThan(now - 2);
    await sameRawSamplesBefore(after, 4);
    const differences: string[] = [];
    const instant = dashboardTargets().filter(({ expr }) => !isRollup(expr));
    for (const { where, expr } of instant) {
      const promql = substituteGrafanaVariables(expr, { job: JOB, range: `${WINDOW}s` });
      const [fromPrometheus, fromVictoria] = await Promise.all([prometheus.query(promql, after), victoria.query(promql, after)]);
      for (const problem of compareAnswers(fromPrometheus, fromVictoria, expr.includes('time()') ? 1e-5 : 1e-9)) differences.push(`${where}: ${promql}: ${problem}`);
    }
    expect(await victoria.query(`time() - push_time_seconds{job="${JOB}"}`, after), 'the gone nodes are gone from the store too').toEqual([]);
    expect(await victoria.query(`count(time() - push_time_seconds{job="${JOB}"} > 6) or vector(0)`, after)).toEqual([{ metric: {}, value: 0 }]);
    expect(differences).toEqual([]);
  }, 40_000);
});
