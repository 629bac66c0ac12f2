/**
 * The detection benchmark's own pieces (bench/detection), without promtool: the scenarios it generates are
 * labelled and cover what issue 18 asks (at least 100 per fault kind, r 1.2-3x, k of N with N from 2 to
 * hundreds, persistent and transient), the series a faulty node shows are the fault (a hung node keeps pushing
 * with frozen counts, a killed node's push time stops, a clean stop says `stopping`), and promtool's report
 * is read back into alert edges.
 */
import { describe, expect, it } from 'vitest';
import { simulateNode, type ScrapedSeries, type SimNode } from '../../bench/detection/node-model.js';
import { parsePromtoolReport, promtoolProblem, seriesValues } from '../../bench/detection/promtool-batch.js';
import { seededRandom } from '../../bench/detection/random.js';
import { generateScenarios, SCENARIO_KINDS, type Scenario } from '../../bench/detection/scenarios.js';
import { FAULT_KINDS, shippedRules } from '../../bench/detection/shipped-rules.js';
import { DEFAULT_MONITORING_OPTIONS } from '../../src/monitoring/options.js';
import { STRAGGLER_ALERT } from '../../src/monitoring/view-contract.js';

const rules = shippedRules(DEFAULT_MONITORING_OPTIONS);
const scenarios = generateScenarios(rules, { perKind: 100, seed: 18, pushIntervalSeconds: 10, scrapeIntervalSeconds: 15 });

function faultyNode(scenario: Scenario): SimNode {
  const node = scenario.nodes.find((candidate) => candidate.fault !== undefined);
  if (node === undefined) throw new Error(`${scenario.id} has no faulty node`);
  return node;
}

function series(all: readonly ScrapedSeries[], name: string, labels: Record<string, string> = {}): ScrapedSeries {
  const found = all.find((s) => s.name === name && Object.entries(labels).every(([key, value]) => s.labels[key] === value));
  if (found === undefined) throw new Error(`no series ${name} ${JSON.stringify(labels)}`);
  return found;
}

/** The value at the last scrape at or before `seconds`. */
function at(s: ScrapedSeries, scenario: Scenario, seconds: number): number | undefined {
  return s.values[Math.floor(seconds / scenario.job.scrapeIntervalSeconds)];
}

describe('detection benchmark scenarios', () => {
  it('are at least 100 per fault kind, plus clean shutdowns and healthy jobs, each labelled with its faulty nodes', () => {
    for (const kind of SCENARIO_KINDS) {
      const ofKind = scenarios.filter((scenario) => scenario.kind === kind);
      expect(ofKind.length, kind).toBeGreaterThanOrEqual(100);
      for (const scenario of ofKind) {
        const faulty = scenario.nodes.filter((node) => node.fault !== undefined);
        expect(faulty.length, scenario.id).toBe(kind === 'healthy' ? 0 : scenario.params.k);
        expect(faulty.every((node) => node.fault?.kind === kind)).toBe(true);
        expect(scenario.onsetSeconds).toBeGreaterThanOrEqual(scenario.warmUpSeconds);
      }
    }
  });

  it('slow k of N nodes by r from 1.2 to 3, N from 2 to hundreds, persistent and transient', () => {
    const stragglers = scenarios.filter((scenario) => scenario.kind === 'straggler');
    const factors = stragglers.map((scenario) => scenario.params.factor ?? 0);
    const sizes = stragglers.map((scenario) => scenario.params.n);
    expect(Math.min(...factors)).toBeGreaterThanOrEqual(1.2);
    expect(Math.max(...factors)).toBeLessThanOrEqual(3);
    expect(factors.some((r) => r < 1.5) && factors.some((r) => r > 2.5)).toBe(true);
    expect(Math.min(...sizes)).toBe(2);
    expect(Math.max(...sizes)).toBeGreaterThanOrEqual(128);
    expect(stragglers.some((scenario) => scenario.params.k > 1)).toBe(true);
    // The median of the role stays a healthy node: fewer than half are slow.
    expect(stragglers.every((scenario) => scenario.params.k < scenario.params.n / 2 || scenario.params.n <= 2)).toBe(true);
    expect(new Set(stragglers.map((scenario) => scenario.params.persistent))).toEqual(new Set([true, false]));
  });

  it('are the same for the same seed', () => {
    const again = generateScenarios(rules, { perKind: 100, seed: 18, pushIntervalSeconds: 10, scrapeIntervalSeconds: 15 });
    expect(again.map((scenario) => [scenario.id, scenario.seed, scenario.nodes.length, scenario.onsetSeconds])).toEqual(
      scenarios.map((scenario) => [scenario.id, scenario.seed, scenario.nodes.length, scenario.onsetSeconds]),
    );
  });
});

describe('a faulty node as Prometheus scrapes it from the gateway', () => {
  const first = (kind: string): Scenario => scenarios.find((scenario) => scenario.kind === kind) ?? scenarios[0]!;

  it('hung: pushes go on while its time-cost counts freeze', () => {
    const scenario = first('hang');
    const node = faultyNode(scenario);
    const all = simulateNode(scenario.job, node, seededRandom(1));
    const count = all.find((s) => s.name.endsWith('_count'))!;
    const pushTime = series(all, 'push_time_seconds');
    const later = scenario.onsetSeconds + 120;
    expect(at(count, scenario, later)).toBe(at(count, scenario, scenario.onsetSeconds + 30));
    expect(at(count, scenario, scenario.onsetSeconds - 30)!).toBeLessThan(at(count, scenario, scenario.onsetSeconds + 30)!);
    expect(at(pushTime, scenario, later)!).toBeGreaterThan(later - 3 * scenario.job.pushIntervalSeconds);
  });

  it('killed: its last push stays on the gateway; stopped cleanly: its last push says stopping', () => {
    for (const kind of ['dead', 'shutdown'] as const) {
      const scenario = first(kind);
      const all = simulateNode(scenario.job, faultyNode(scenario), seededRandom(1));
      const pushTime = series(all, 'push_time_seconds');
      const end = scenario.job.durationSeconds;
      expect(at(pushTime, scenario, end)!).toBeLessThanOrEqual(scenario.onsetSeconds + 1);
      expect(at(series(all, 'persia_node_state', { state: 'stopping' }), scenario, end), kind).toBe(kind === 'shutdown' ? 1 : 0);
    }
  });

  it('a straggler records r times fewer batches', () => {
    const scenario = scenarios.find((s) => s.kind === 'straggler' && s.params.persistent === true && (s.params.factor ?? 0) > 2.5)!;
    const slow = faultyNode(scenario);
    const peer = scenario.nodes.find((node) => node.fault === undefined)!;
    const perBatch = (node: SimNode): number => {
      const count = simulateNode(scenario.job, node, seededRandom(2)).find((s) => s.name.endsWith('_count'))!;
      return at(count, scenario, scenario.job.durationSeconds)! - at(count, scenario, scenario.onsetSeconds + 30)!;
    };
    expect(perBatch(peer) / perBatch(slow)).toBeGreaterThan(2);
  });
});

describe('promtool plumbing', () => {
  it('writes values in promtool’s expanding notation', () => {
    expect(seriesValues([undefined, undefined, 5, 5, 5, 7.5])).toBe('_x2 5x2 7.5');
  });

  it('reads every alert edge promtool reports for a scenario', () => {
    const report = [
      '  FAILED:',
      '    expr: "label_replace(...)", time: 23m,',
      '        exp: nil',
      `        got: {alertname="${STRAGGLER_ALERT}", alertstate="firing", bench="straggler_3/after_onset", instance="rep_1", job="j", role="server", severity="warning"} 1E+00, ` +
        `{alertname="${STRAGGLER_ALERT}", alertstate="firing", bench="straggler_3/after_warm_up", instance="rep_1", job="j", role="server", severity="warning"} 2E+00, ` +
        `{alertname="${STRAGGLER_ALERT}", alertstate="firing", bench="straggler_3/first", instance="rep_1", job="j", role="server", severity="warning"} 1.17E+03`,
    ].join('\n');
    expect(parsePromtoolReport(report)).toEqual([
      {
        scenario: 'straggler_3',
        labels: { alertname: STRAGGLER_ALERT, alertstate: 'firing', instance: 'rep_1', job: 'j', role: 'server', severity: 'warning' },
        edgesAfterWarmUp: 2,
        edgesAfterOnset: 1,
        firstAfterOnsetSeconds: 1170,
      },
    ]);
  });

  it('takes a run whose only failures carry alerts, and refuses one where a rule failed to evaluate, even beside them', () => {
    const alerts = [
      'Unit Testing:  batch-0.test.yml',
      '  FAILED:',
      '    expr: "label_replace(...)", time: 23m,',
      '        exp: nil',
      '        got: {bench="straggler_3/first"} 1E+00',
    ];
    expect(promtoolProblem(1, alerts.join('\n'))).toBeUndefined();
    expect(promtoolProblem(0, 'Unit Testing:  batch-0.test.yml\n  SUCCESS\n')).toBeUndefined();
    // promtool ends a test group at its first evaluation error: that scenario's later alerts are missing.
    const limit = '    rule: PersiaNaNGradientBurst, time: 10m0s, err: query processing would load too many samples into memory in query execution';
    expect(promtoolProblem(1, [...alerts, limit].join('\n'))).toBe(limit.trim());
    expect(promtoolProblem(1, '  FAILED:\n    expr: "x", time: 1m, err: parse error')).toContain('err: parse error');
    expect(promtoolProblem(2, 'no such file')).toBe('no such file');
  });

  it('knows which shipped alert claims which fault kind', () => {
    expect(rules.claims.straggler).toContain(STRAGGLER_ALERT);
    for (const kind of FAULT_KINDS) for (const other of FAULT_KINDS) if (kind !== other) expect(rules.claims[kind].filter((a) => rules.claims[other].includes(a))).toEqual([]);
  });
});
