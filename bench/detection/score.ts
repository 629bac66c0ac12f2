/**
 * From the alerts promtool saw to the figures: for each fault kind, time to alert (from the fault's onset to
 * the first evaluation at which an alert claiming that kind fires for the faulty node), recall, precision and
 * false alerts per 1,000 healthy node-hours. An alert episode is one rising edge of an `ALERTS` series.
 */
import { percentile } from '../timing.js';
import type { DetectionFigures, KindFigures, SliceFigures } from './figures.js';
import type { SimNode } from './node-model.js';
import type { AlertEdges } from './promtool-batch.js';
import type { Scenario } from './scenarios.js';
import { endSeconds } from './promtool-batch.js';
import { seededRandom } from './random.js';
import { FAULT_KINDS, kindClaimedBy, type FaultKind, type ShippedRules } from './shipped-rules.js';

/** One injected fault and what the rules made of it. */
export interface FaultOutcome {
  readonly scenario: Scenario;
  readonly node: SimNode;
  readonly kind: FaultKind;
  /** Seconds from onset to the first alert claiming the kind for this node; undefined: none in the horizon. */
  readonly secondsToAlert: number | undefined;
  /** The same as a live Prometheus shows it: plus the scenario's evaluation phase (evaluationPhaseSeconds). */
  readonly liveSecondsToAlert: number | undefined;
}

/**
 * How long after a scrape a live Prometheus evaluates the rules: its own phase, the same for a whole job,
 * anywhere within one evaluation interval (promtool evaluates at the scrape instants). Drawn per scenario from
 * its seed. Exact for rules that read the last scraped samples only (hang, dead node: between two scrapes they
 * see the same samples, so the alert comes that much later); for a range window (a straggler, a NaN burst) a
 * phase also moves which scrapes the window holds, so there it is an estimate.
 */
export function evaluationPhaseSeconds(scenario: Scenario, evaluationSeconds: number): number {
  return seededRandom(scenario.seed ^ 0x5eed).uniform(0, evaluationSeconds);
}

export interface Tally {
  readonly outcomes: readonly FaultOutcome[];
  readonly trueEpisodes: Readonly<Record<FaultKind, number>>;
  readonly falseEpisodes: Readonly<Record<FaultKind, number>>;
  /** False episodes on nodes that were healthy at the time (the per-node-hour figure counts these). */
  readonly falseOnHealthy: Readonly<Record<FaultKind, number>>;
  /** Alerts that claim no fault kind, by name: episodes on healthy nodes. */
  readonly otherEpisodes: Readonly<Record<string, number>>;
  /** Dead-node alerts on nodes that shut down cleanly. */
  readonly deadAlertsOnShutdown: number;
  readonly healthyNodeHours: number;
}

const zero = (): Record<FaultKind, number> => Object.fromEntries(FAULT_KINDS.map((kind) => [kind, 0])) as Record<FaultKind, number>;

function nodeOf(scenario: Scenario, labels: Readonly<Record<string, string>>): SimNode | undefined {
  return scenario.nodes.find((node) => node.role === labels['role'] && node.instance === labels['instance']);
}

export function tally(scenarios: readonly Scenario[], edges: readonly AlertEdges[], rules: ShippedRules, evaluationSeconds = 0): Tally {
  const byId = new Map(scenarios.map((scenario) => [scenario.id, scenario]));
  const trueEpisodes = zero();
  const falseEpisodes = zero();
  const falseOnHealthy = zero();
  const otherEpisodes: Record<string, number> = {};
  const first = new Map<string, number>();
  let deadAlertsOnShutdown = 0;
  for (const edge of edges) {
    const scenario = byId.get(edge.scenario);
    if (scenario === undefined) throw new Error(`promtool reported an unknown scenario ${edge.scenario}`);
    const alert = edge.labels['alertname'] ?? '';
    const kind = kindClaimedBy(rules, alert);
    const node = nodeOf(scenario, edge.labels);
    const fault = node?.fault;
    const beforeOnset = edge.edgesAfterWarmUp - edge.edgesAfterOnset;
    if (kind === undefined) {
      // Counted while the node was healthy only: a dead node's other alerts are not noise.
      otherEpisodes[alert] = (otherEpisodes[alert] ?? 0) + (fault === undefined ? edge.edgesAfterWarmUp : beforeOnset);
      continue;
    }
    if (node !== undefined && fault?.kind === kind) {
      trueEpisodes[kind] += edge.edgesAfterOnset;
      falseEpisodes[kind] += beforeOnset;
      falseOnHealthy[kind] += beforeOnset;
      if (edge.firstAfterOnsetSeconds !== undefined) {
        const key = `${scenario.id}/${node.role}/${node.instance}`;
        first.set(key, Math.min(first.get(key) ?? Infinity, edge.firstAfterOnsetSeconds - scenario.onsetSeconds));
      }
    } else {
      falseEpisodes[kind] += edge.edgesAfterWarmUp;
      falseOnHealthy[kind] += fault === undefined ? edge.edgesAfterWarmUp : beforeOnset;
      if (fault?.kind === 'shutdown' && kind === 'dead') deadAlertsOnShutdown += edge.edgesAfterOnset;
    }
  }
  const outcomes: FaultOutcome[] = [];
  let healthySeconds = 0;
  for (const scenario of scenarios) {
    const end = endSeconds(scenario);
    for (const node of scenario.nodes) {
      healthySeconds += (node.fault === undefined ? end : scenario.onsetSeconds) - scenario.warmUpSeconds;
      const kind = node.fault?.kind;
      if (kind === undefined || kind === 'shutdown') continue;
      const secondsToAlert = first.get(`${scenario.id}/${node.role}/${node.instance}`);
      const liveSecondsToAlert = secondsToAlert === undefined ? undefined : secondsToAlert + evaluationPhaseSeconds(scenario, evaluationSeconds);
      outcomes.push({ scenario, node, kind, secondsToAlert, liveSecondsToAlert });
    }
  }
  return { outcomes, trueEpisodes, falseEpisodes, falseOnHealthy, otherEpisodes, deadAlertsOnShutdown, healthyNodeHours: healthySeconds / 3600 };
}

/** Median and p95 with a missed fault as never (null when the percentile falls on a miss). */
function timeFigures(outcomes: readonly FaultOutcome[]): Pick<SliceFigures, 'medianSeconds' | 'p95Seconds' | 'detectedMedianSeconds' | 'liveMedianSeconds' | 'liveP95Seconds'> {
  const all = outcomes.map((outcome) => outcome.secondsToAlert ?? Infinity).sort((a, b) => a - b);
  const live = outcomes.map((outcome) => outcome.liveSecondsToAlert ?? Infinity).sort((a, b) => a - b);
  const detected = all.filter(Number.isFinite);
  const finite = (value: number): number | null => (Number.isFinite(value) ? value : null);
  const liveFinite = (value: number): number | null => (Number.isFinite(value) ? Math.round(value * 10) / 10 : null);
  return {
    medianSeconds: finite(percentile(all, 50)),
    p95Seconds: finite(percentile(all, 95)),
    detectedMedianSeconds: finite(percentile(detected, 50)),
    liveMedianSeconds: liveFinite(percentile(live, 50)),
    liveP95Seconds: liveFinite(percentile(live, 95)),
  };
}

export function slice(label: string, outcomes: readonly FaultOutcome[]): SliceFigures {
  const detected = outcomes.filter((outcome) => outcome.secondsToAlert !== undefined).length;
  return { label, faults: outcomes.length, detected, recall: outcomes.length === 0 ? null : detected / outcomes.length, ...timeFigures(outcomes) };
}

export function kindFigures(kind: FaultKind, counts: Tally, rules: ShippedRules, scenarios: number): KindFigures {
  const outcomes = counts.outcomes.filter((outcome) => outcome.kind === kind);
  const all = slice(kind, outcomes);
  const truePositives = counts.trueEpisodes[kind];
  const raised = truePositives + counts.falseEpisodes[kind];
  const precision = raised === 0 ? null : truePositives / raised;
  const recall = all.recall;
  return {
    ...all,
    kind,
    alerts: rules.claims[kind].map((name) => ({ name, forSeconds: rules.forSeconds[name] ?? 0, windowSeconds: rules.windowSecondsOf[name] ?? 0 })),
    scenarios,
    trueAlerts: truePositives,
    falseAlerts: counts.falseEpisodes[kind],
    precision,
    f1: precision === null || recall === null || precision + recall === 0 ? null : (2 * precision * recall) / (precision + recall),
    falseAlertsPer1000NodeHours: (counts.falseOnHealthy[kind] / counts.healthyNodeHours) * 1000,
  };
}

/** The straggler faults by slowdown, persistence and job size. */
export function stragglerSlices(counts: Tally): SliceFigures[] {
  const stragglers = counts.outcomes.filter((outcome) => outcome.kind === 'straggler');
  const factor = (outcome: FaultOutcome): number => outcome.scenario.params.factor ?? 0;
  const persistent = (outcome: FaultOutcome): boolean => outcome.scenario.params.persistent === true;
  const n = (outcome: FaultOutcome): number => outcome.scenario.params.n;
  return [
    slice(
      'r 1.2–1.5×',
      stragglers.filter((o) => factor(o) < 1.5),
    ),
    slice(
      'r 1.5–2×',
      stragglers.filter((o) => factor(o) >= 1.5 && factor(o) < 2),
    ),
    slice(
      'r 2–3×',
      stragglers.filter((o) => factor(o) >= 2),
    ),
    slice(
      'persistent, r ≥ 1.5×',
      stragglers.filter((o) => persistent(o) && factor(o) >= 1.5),
    ),
    slice(
      'transient (20 s – 5 min)',
      stragglers.filter((o) => !persistent(o)),
    ),
    slice(
      'N = 2',
      stragglers.filter((o) => n(o) === 2),
    ),
    slice(
      'N 3–16',
      stragglers.filter((o) => n(o) > 2 && n(o) <= 16),
    ),
    slice(
      'N 17–64',
      stragglers.filter((o) => n(o) > 16 && n(o) <= 64),
    ),
    slice(
      'N > 64',
      stragglers.filter((o) => n(o) > 64),
    ),
  ];
}

export type { DetectionFigures };
