/**
 * The shipped rules over a job of hundreds of nodes, under promtool (what `npm run detection` measures with).
 * The NaN burst's baseline once held a subquery of every node's incarnation over half an hour: past ten
 * minutes in a job of 256 nodes it passed promtool's limit of 10,000 samples per query, the rule failed to
 * evaluate, promtool ended those scenarios early, and the benchmark lost their alerts without a word (its
 * straggler recall in jobs of over 64 nodes fell from 32/32 to 18/32). Here a burst on one trainer of 256, at
 * minute 11, is reported for that trainer alone, and no rule fails to evaluate on the way.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { promtoolProblem } from '../../bench/detection/promtool-batch.js';
import { ruleFiles } from '../../src/deploy/prometheus/rule-files.js';
import { NAN_BURST_ALERT } from '../../src/monitoring/fast-rules.js';
import { DEFAULT_MONITORING_OPTIONS } from '../../src/monitoring/options.js';
import { requireBinary } from '../helpers/binaries.js';

const promtool = requireBinary('promtool');
const NODES = 256;
const STEP = 15;
const STEPS = (12 * 60) / STEP;
const BURST_STEP = (11 * 60) / STEP;
const BURSTING = 'rep_7';

/** One trainer's series as the gateway holds them, scraped every STEP seconds for twelve minutes. */
function trainerSeries(instance: string, index: number): string[] {
  const labels = `job="big", role="trainer", instance="${instance}"`;
  const values = (at: (k: number) => number): string => Array.from({ length: STEPS + 1 }, (_, k) => at(k)).join(' ');
  const burst = DEFAULT_MONITORING_OPTIONS.nanBurstCount * 2;
  const series: Array<[string, string]> = [
    [`push_time_seconds{${labels}}`, values((k) => k * STEP)],
    [`persia_node_state{${labels}, state="running"}`, `1x${STEPS}`],
    [`persia_node_state{${labels}, state="stopping"}`, `0x${STEPS}`],
    [`persia_node_incarnation{${labels}}`, `${index + 1}x${STEPS}`],
    [`persia_node_start_time_seconds{${labels}}`, `0x${STEPS}`],
    // One NaN every other minute on every trainer, and the burst on one.
    [`nan_count{${labels}, feature="age"}`, values((k) => Math.floor(k / 8) + (instance === BURSTING && k >= BURST_STEP ? burst : 0))],
  ];
  return series.flatMap(([series, valuesText]) => [`  - series: '${series}'`, `    values: '${valuesText}'`]);
}

describe.skipIf(promtool === undefined)('the shipped rules over a job of 256 nodes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'persia-large-job-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('evaluate without passing promtool’s sample limit, and a NaN burst on one trainer names that trainer', () => {
    const files = ruleFiles(DEFAULT_MONITORING_OPTIONS);
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    // The scrape after the burst: its fast window holds the NaNs before it and after.
    const at = `${(BURST_STEP + 1) * STEP}s`;
    const test = [
      `rule_files: ${JSON.stringify(Object.keys(files))}`,
      `evaluation_interval: ${STEP}s`,
      'tests:',
      `- interval: ${STEP}s`,
      '  input_series:',
      ...Array.from({ length: NODES }, (_, index) => trainerSeries(`rep_${index}`, index)).flat(),
      '  promql_expr_test:',
      `  - expr: 'ALERTS{alertname="${NAN_BURST_ALERT}", alertstate="firing"}'`,
      `    eval_time: ${at}`,
      '    exp_samples:',
      `    - labels: '{__name__="ALERTS", alertname="${NAN_BURST_ALERT}", alertstate="firing", feature="age", instance="${BURSTING}", job="big", role="trainer", severity="warning"}'`,
      '      value: 1',
    ].join('\n');
    writeFileSync(join(dir, 'large.test.yml'), `${test}\n`);
    const run = spawnSync(promtool ?? 'promtool', ['test', 'rules', 'large.test.yml'], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
    const output = `${run.stdout}${run.stderr}`;
    expect(promtoolProblem(run.status, output), output).toBeUndefined();
    expect(run.status, output).toBe(0);
  });
});
