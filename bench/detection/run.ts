/**
 * `npm run detection [-- --quick]`: the detection benchmark of issue 18. Generates labelled scenarios
 * (scenarios.ts), evaluates the shipped rules over them with promtool (promtool-batch.ts), scores the alerts
 * (score.ts), writes data/detection-figures.json and renders docs/detection.md from it (page.ts).
 *
 * `--render` measures nothing: it renders docs/detection.md from the committed figures (what the unit test
 * compares byte for byte). `--quick` runs 12 scenarios per kind (for checking the bench; not for the page).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { DEFAULT_SCRAPE_INTERVAL_SECONDS } from '../../src/monitoring/capacity.js';
import { binaryPath } from '../../src/local-stack/binaries.js';
import { DEFAULT_MONITORING_OPTIONS } from '../../src/monitoring/options.js';
import { DETECTION_FIGURES_FILE, readDetectionFigures, type DetectionFigures } from './figures.js';
import { renderDetectionPage } from './page.js';
import { evaluateScenarios } from './promtool-batch.js';
import { generateScenarios } from './scenarios.js';
import { kindFigures, stragglerSlices, tally } from './score.js';
import { FAULT_KINDS, shippedRules } from './shipped-rules.js';

const ROOT = new URL('../../../', import.meta.url);
const PAGE = fileURLToPath(new URL('docs/detection.md', ROOT));
/** The shipped prometheus.yml evaluates rules every 15 s (src/deploy/prometheus/prometheus-config.ts). */
export const EVALUATION_SECONDS = 15;
export const SEED = 18;

const quick = process.argv.includes('--quick');

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
  const started = Date.now();
  const options = DEFAULT_MONITORING_OPTIONS;
  const rules = shippedRules(options);
  const plan = { perKind: quick ? 12 : 100, seed: SEED, pushIntervalSeconds: options.pushIntervalSeconds, scrapeIntervalSeconds: DEFAULT_SCRAPE_INTERVAL_SECONDS };
  const commit = rulesCommit(); // as the run starts: the rules it measures
  const scenarios = generateScenarios(rules, plan);
  const nodes = scenarios.reduce((sum, scenario) => sum + scenario.nodes.length, 0);
  log(
    `${scenarios.length} scenarios, ${nodes} nodes; rules of ${rulesCommit()}: ${rules.alerts.length} alerts (${FAULT_KINDS.map((kind) => `${kind}: ${rules.claims[kind].join(', ') || 'none'}`).join('; ')})`,
  );
  // PERSIA_DETECTION_PARALLEL: promtool processes at once (default: one per core).
  const parallel = Number(process.env['PERSIA_DETECTION_PARALLEL'] ?? cpus().length);
  const edges = await evaluateScenarios(scenarios, { ruleFiles: rules.files, evaluationSeconds: EVALUATION_SECONDS, nodesPerFile: 150, parallel, log });
  const counts = tally(scenarios, edges, rules);
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
  writeFileSync(fileURLToPath(new URL(DETECTION_FIGURES_FILE, ROOT)), `${JSON.stringify(figures, null, 2)}\n`);
  writeFileSync(PAGE, renderDetectionPage(figures));
  log(`wrote ${DETECTION_FIGURES_FILE} and docs/detection.md in ${figures.runSeconds} s`);
}

main().catch((error: unknown) => {
  process.stderr.write(`detection failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
