/**
 * Runs the shipped rules over scenarios with `promtool test rules`, which evaluates them deterministically
 * on a scenario's series at every evaluation step. promtool says nothing about a test that passes, so each
 * scenario's test asks for no sample at its last step from a query that lists its alerts' rising edges:
 * every alert that fired makes the test "fail", and promtool prints what it got. One test group per
 * scenario (each has its own storage), many groups per file, one promtool process per file, as many
 * processes at once as there are cores.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { binaryPath } from '../../src/local-stack/binaries.js';
import { simulateNode, type Labels } from './node-model.js';
import { seededRandom } from './random.js';
import type { Scenario } from './scenarios.js';

/** One alert series' rising edges (firing after not firing) as the query saw them. */
export interface AlertEdges {
  readonly scenario: string;
  readonly labels: Labels;
  /** Rising edges after the warm-up, and after the onset. */
  readonly edgesAfterWarmUp: number;
  readonly edgesAfterOnset: number;
  /** Time of the first rising edge after the onset, seconds from the scenario's start. */
  readonly firstAfterOnsetSeconds: number | undefined;
}

const WHAT = { first: 'first', afterOnset: 'after_onset', afterWarmUp: 'after_warm_up' } as const;

/** The scenario's last scrape, where its query runs. */
export function endSeconds(scenario: Scenario): number {
  const scrape = scenario.job.scrapeIntervalSeconds;
  return Math.floor(scenario.job.durationSeconds / scrape) * scrape;
}

/** Rising edges of every alert over (end - rangeSeconds, end], one per evaluation. */
function edgeQuery(scenario: Scenario, evaluationSeconds: number): string {
  const end = endSeconds(scenario);
  const edge = `(ALERTS{alertstate="firing"} unless ALERTS{alertstate="firing"} offset ${evaluationSeconds}s)`;
  const tag = (expr: string, what: string): string => `label_replace(${expr}, "bench", "${scenario.id}/${what}", "", "")`;
  const sinceOnset = `[${end - scenario.onsetSeconds}s:${evaluationSeconds}s]`;
  return [
    tag(`min_over_time(timestamp(${edge})${sinceOnset})`, WHAT.first),
    tag(`count_over_time(${edge}${sinceOnset})`, WHAT.afterOnset),
    tag(`count_over_time(${edge}[${end - scenario.warmUpSeconds}s:${evaluationSeconds}s])`, WHAT.afterWarmUp),
  ].join(' or ');
}

function formatValue(value: number | undefined): string {
  if (value === undefined) return '_';
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(10)));
}

/** promtool's expanding notation, with runs of one value folded (`5x3` is four 5s, `_x3` three blanks). */
export function seriesValues(values: ReadonlyArray<number | undefined>): string {
  const out: string[] = [];
  for (let i = 0; i < values.length;) {
    let j = i + 1;
    while (j < values.length && values[j] === values[i]) j += 1;
    const run = j - i;
    const text = formatValue(values[i]);
    if (run === 1) out.push(text);
    else out.push(text === '_' ? `_x${run}` : `${text}x${run - 1}`);
    i = j;
  }
  return out.join(' ');
}

function selector(name: string, labels: Labels): string {
  return `${name}{${Object.entries(labels)
    .map(([key, value]) => `${key}="${value}"`)
    .join(',')}}`;
}

/** One scenario as a test group of the promtool file (YAML written directly: the file is large and flat). */
export function scenarioTestGroup(scenario: Scenario, evaluationSeconds: number): string {
  const lines = [`- interval: ${scenario.job.scrapeIntervalSeconds}s`, '  input_series:'];
  scenario.nodes.forEach((node, index) => {
    for (const series of simulateNode(scenario.job, node, seededRandom(scenario.seed + index))) {
      lines.push(`  - series: '${selector(series.name, series.labels)}'`, `    values: '${seriesValues(series.values)}'`);
    }
  });
  lines.push('  promql_expr_test:', `  - expr: '${edgeQuery(scenario, evaluationSeconds)}'`, `    eval_time: ${endSeconds(scenario)}s`, '    exp_samples: []');
  return lines.join('\n');
}

function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [, key = '', value = ''] of text.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[key] = value;
  return labels;
}

/** The `got:` samples of promtool's report, grouped into one AlertEdges per scenario and alert series. */
export function parsePromtoolReport(output: string): AlertEdges[] {
  const bySeries = new Map<string, { scenario: string; labels: Labels; first?: number; afterOnset: number; afterWarmUp: number }>();
  for (const [, got = ''] of output.matchAll(/^\s*got: (.*)$/gm)) {
    for (const [, labelText = '', valueText = ''] of got.matchAll(/\{([^{}]*)\} (\S+?)(?=,|$)/g)) {
      const { bench = '', ...labels } = parseLabels(labelText);
      const [scenario = '', what = ''] = bench.split('/');
      const key = `${scenario}${JSON.stringify(Object.entries(labels).sort())}`;
      const entry = bySeries.get(key) ?? { scenario, labels, afterOnset: 0, afterWarmUp: 0 };
      const value = Number(valueText);
      if (what === WHAT.first) entry.first = value;
      else if (what === WHAT.afterOnset) entry.afterOnset = value;
      else if (what === WHAT.afterWarmUp) entry.afterWarmUp = value;
      bySeries.set(key, entry);
    }
  }
  return [...bySeries.values()].map((entry) => ({
    scenario: entry.scenario,
    labels: entry.labels,
    edgesAfterWarmUp: entry.afterWarmUp,
    edgesAfterOnset: entry.afterOnset,
    firstAfterOnsetSeconds: entry.first,
  }));
}

/**
 * What is wrong with a promtool run, if anything. Exit 1 with `got:` lines is the expected "failure" that
 * carries the alerts. Anything else is an error, and so is a rule that failed to evaluate (`rule: …, err: …`)
 * or a query that did (`expr: …, err: …`) even beside other groups' `got:` lines: promtool ends a test group at
 * its first evaluation error, so that scenario's later alerts would be lost without a word (a rule that passed
 * promtool's limit of 10,000 samples per query in jobs of hundreds of nodes did exactly that).
 */
export function promtoolProblem(code: number | null, output: string): string | undefined {
  const withoutResults = output.replace(/^\s*(got|exp): .*$/gm, '');
  const failed = /^.*(\berr: |error|could not|cannot).*$/im.exec(withoutResults);
  if (code === 0 && failed === null) return undefined;
  if (code === 1 && failed === null && /^\s*got: /m.test(output)) return undefined;
  return failed?.[0].trim() ?? output.slice(0, 2000);
}

function runPromtool(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    // GOGC=400: a third less CPU for these short-lived runs (measured), for memory the machine has.
    const child = spawn(binaryPath('promtool'), ['test', 'rules', file], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, GOGC: '400' } });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const output = Buffer.concat(chunks).toString('utf8');
      const problem = promtoolProblem(code, output);
      if (problem === undefined) resolve(output);
      else reject(new Error(`promtool test rules ${file} exited ${code}: ${problem}`));
    });
  });
}

export interface EvaluationPlan {
  readonly ruleFiles: Readonly<Record<string, string>>;
  readonly evaluationSeconds: number;
  /** Nodes per promtool file, about (a file holds whole scenarios): small enough to spread over the cores. */
  readonly nodesPerFile: number;
  readonly parallel?: number;
  readonly log?: (message: string) => void;
}

/** Every alert edge of every scenario. */
export async function evaluateScenarios(scenarios: readonly Scenario[], plan: EvaluationPlan): Promise<AlertEdges[]> {
  const dir = mkdtempSync(join(tmpdir(), 'persia-detection-'));
  try {
    for (const [name, text] of Object.entries(plan.ruleFiles)) writeFileSync(join(dir, name), text);
    const header = `rule_files: ${JSON.stringify(Object.keys(plan.ruleFiles))}\nevaluation_interval: ${plan.evaluationSeconds}s\ntests:\n`;
    const batches: Scenario[][] = [];
    let current: Scenario[] = [];
    let nodes = 0;
    for (const scenario of scenarios) {
      current.push(scenario);
      nodes += scenario.nodes.length;
      if (nodes >= plan.nodesPerFile) {
        batches.push(current);
        current = [];
        nodes = 0;
      }
    }
    if (current.length > 0) batches.push(current);
    const results: AlertEdges[] = [];
    let next = 0;
    let done = 0;
    const worker = async (): Promise<void> => {
      while (next < batches.length) {
        const index = next;
        next += 1;
        const file = join(dir, `batch-${index}.test.yml`);
        const batch = batches[index] ?? [];
        writeFileSync(file, header + batch.map((scenario) => scenarioTestGroup(scenario, plan.evaluationSeconds)).join('\n') + '\n');
        const output = await runPromtool(file).catch((error: unknown) => {
          throw new Error(
            `scenarios ${batch.map((scenario) => `${scenario.id} (${scenario.nodes.length} nodes)`).join(', ')}: ${error instanceof Error ? error.message : String(error)}`,
          );
        });
        results.push(...parsePromtoolReport(output));
        rmSync(file);
        done += 1;
        plan.log?.(`promtool: ${done}/${batches.length} files`);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, plan.parallel ?? cpus().length) }, worker));
    return results;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
