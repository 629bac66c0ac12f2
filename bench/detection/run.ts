/**
 * `npm run detection [-- --quick]`: the detection benchmark of issue 18. Generates labelled scenarios
 * (scenarios.ts), evaluates the shipped rules over them with promtool (promtool-batch.ts), scores the alerts
 * (score.ts), writes data/detection-figures.json and renders docs/detection.md from it (page.ts).
 *
 * `--render` measures nothing: it renders docs/detection.md from the committed figures (what the unit test
 * compares byte for byte). `--quick[=N]` runs 12 (or N) scenarios per kind, for checking the bench or trying
 * a rule change: it prints its figures and writes them and their page under .tmp/detection-quick/ (gitignored),
 * never over the committed ones, which only a full run may replace.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { DEFAULT_SCRAPE_INTERVAL_SECONDS } from '../../src/monitoring/capacity.js';
import { binaryPath } from '../../src/local-stack/binaries.js';
import { DEFAULT_MONITORING_OPTIONS } from '../../src/monitoring/options.js';
import { DETECTION_FIGURES_FILE, DETECTION_PAGE_FILE, detectionOutputs, readDetectionFigures, type DetectionFigures } from './figures.js';
import { renderDetectionPage } from './page.js';
import { evaluateScenarios } from './promtool-batch.js';
import { generateScenarios } from './scenarios.js';
import { kindFigures, stragglerSlices, tally } from './score.js';
import { FAULT_KINDS, shippedRules } from './shipped-rules.js';

const ROOT = new URL('../../../', import.meta.url);
const PAGE = fileURLToPath(new URL(DETECTION_PAGE_FILE, ROOT));
/** The shipped prometheus.yml evaluates rules every 15 s (src/deploy/prometheus/prometheus-config.ts). */
export const EVALUATION_SECONDS = 15;
export const SEED = 18;

/** Scenarios per kind: 100 in a full run (the page's), 12 or `--quick=N` in a quick one. */
function scenariosPerKind(argv: readonly string[]): { readonly quick: boolean; readonly perKind: number } {
  const flag = argv.find((arg) => arg === '--quick' || arg.startsWith('--quick='));
  if (flag === undefined) return { quick: false, perKind: 100 };
  const perKind = flag === '--quick' ? 12 : Number(flag.slice('--quick='.length));
  if (!(Number.isSafeInteger(perKind) && perKind > 0)) throw new Error(`${flag}: expected --quick or --quick=N with N a positive whole number of scenarios per kind`);
  return { quick: true, perKind };
}

/** One line per fault kind: what a quick run prints, so trying a rule change needs no page. */
function summary(figures: DetectionFigures): string {
  const time = (value: number | null): string => (value === null ? 'never' : `${Math.round(value)}s`);
  return figures.kinds
    .map(
      (kind) =>
        `${kind.kind}: median ${time(kind.medianSeconds)}, p95 ${time(kind.p95Seconds)}, recall ${kind.recall ?? '-'}, precision ${kind.precision ?? '-'}, ` +
        `false alerts ${kind.falseAlertsPer1000NodeHours} per 1,000 healthy node-hours`,
    )
    .concat(figures.otherAlerts.map((row) => `other: ${row.alert} ${row.episodes} episodes on healthy nodes (${row.per1000NodeHours} per 1,000 node-hours)`))
    .join('\n');
}

const log = (message: string): void => {
  process.stderr.write(`detection: ${message}\n`);
};

function promtoolVersion(): string {
  const run = spawnSync(binaryPath('promtool'), ['--version'], { encoding: 'utf8' });
  return /version (\S+)/.exec(`${run.stdout}${run.stderr}`)?.[1] ?? 'unknown';
}

function rulesCommit(): string {
  try {
    return execFileSync('git', ['log', '-1', '--format=%h %cs', '--', 'src/monitoring'], { cwd: fileURLToPath(ROOT), encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

/** Three significant digits: no figure is more exact than the run. */
function rounded<T>(value: T): T {
  return JSON.parse(JSON.stringify(value, (_key, item: unknown) => (typeof item === 'number' && !Number.isInteger(item) ? Number(item.toPrecision(3)) : item))) as T;
}

async function main(): Promise<void> {
  if (process.argv.includes('--render')) {
    writeFileSync(PAGE, renderDetectionPage(readDetectionFigures(ROOT)));
    log(`rendered ${PAGE} from ${DETECTION_FIGURES_FILE}`);
    return;
  }
  const { quick, perKind } = scenariosPerKind(process.argv.slice(2));
  const started = Date.now();
  const options = DEFAULT_MONITORING_OPTIONS;
  const rules = shippedRules(options);
  const plan = { perKind, seed: SEED, pushIntervalSeconds: options.pushIntervalSeconds, scrapeIntervalSeconds: DEFAULT_SCRAPE_INTERVAL_SECONDS };
  const commit = rulesCommit(); // as the run starts: the rules it measures
  const scenarios = generateScenarios(rules, plan);
  const nodes = scenarios.reduce((sum, scenario) => sum + scenario.nodes.length, 0);
  log(
    `${scenarios.length} scenarios, ${nodes} nodes; rules of ${rulesCommit()}: ${rules.alerts.length} alerts (${FAULT_KINDS.map((kind) => `${kind}: ${rules.claims[kind].join(', ') || 'none'}`).join('; ')})`,
  );
  // PERSIA_DETECTION_PARALLEL: promtool processes at once (default: one per core).
  const parallel = Number(process.env['PERSIA_DETECTION_PARALLEL'] ?? cpus().length);
  const edges = await evaluateScenarios(scenarios, { ruleFiles: rules.files, evaluationSeconds: EVALUATION_SECONDS, nodesPerFile: 150, parallel, log });
  const counts = tally(scenarios, edges, rules, EVALUATION_SECONDS);
  const scenariosOf = (kind: string): number => scenarios.filter((scenario) => scenario.kind === kind).length;
  const warmUp = scenarios[0]?.warmUpSeconds ?? 0;
  const figures: DetectionFigures = rounded({
    measuredAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    mode: quick ? 'quick' : 'full',
    rulesCommit: commit,
    machine: { cores: cpus().length, cpuModel: cpus()[0]?.model.trim() ?? 'unknown', node: process.version, promtool: promtoolVersion() },
    runSeconds: Math.round((Date.now() - started) / 1000),
    setup: {
      seed: plan.seed,
      perKind: plan.perKind,
      pushIntervalSeconds: plan.pushIntervalSeconds,
      scrapeIntervalSeconds: plan.scrapeIntervalSeconds,
      evaluationSeconds: EVALUATION_SECONDS,
      scenarios: scenarios.length,
      nodes,
      healthyNodeHours: counts.healthyNodeHours,
      warmUpSeconds: warmUp,
      longestWindowSeconds: rules.longestWindowSeconds,
      longestForSeconds: rules.longestForSeconds,
      stragglerThreshold: options.stragglerThreshold,
      staleAfterIntervals: options.staleAfterIntervals,
    },
    kinds: FAULT_KINDS.map((kind) => kindFigures(kind, counts, rules, scenariosOf(kind))),
    stragglerSlices: stragglerSlices(counts),
    shutdown: { scenarios: scenariosOf('shutdown'), deadAlerts: counts.deadAlertsOnShutdown },
    otherAlerts: Object.entries(counts.otherEpisodes)
      .filter(([, episodes]) => episodes > 0)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([alert, episodes]) => ({ alert, episodes, per1000NodeHours: (episodes / counts.healthyNodeHours) * 1000 })),
  });
  const outputs = detectionOutputs(figures.mode);
  const write = (path: string, text: string): void => {
    const file = fileURLToPath(new URL(path, ROOT));
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
  };
  write(outputs.figures, `${JSON.stringify(figures, null, 2)}\n`);
  write(outputs.page, renderDetectionPage(figures));
  process.stdout.write(`${summary(figures)}\n`);
  log(
    `wrote ${outputs.figures} and ${outputs.page} in ${figures.runSeconds} s${quick ? ` (quick: ${DETECTION_FIGURES_FILE} and ${DETECTION_PAGE_FILE} are left as they are)` : ''}`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`detection failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
