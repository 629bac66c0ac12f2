/**
 * Labelled scenarios: jobs of N nodes with ordinary noise, some with one fault kind injected into k of them
 * at a random moment after a warm-up. Deterministic for a seed. Which roles can show a fault comes from the
 * series the shipped rules read (shipped-rules.ts): a straggler or a hang is only visible on a role that
 * records batch-driven series, a NaN burst only on a role that records a NaN counter.
 */
import { NODE_ROLES, type MetricSpec, type NodeRole } from '../../src/metrics/catalog.js';
import { SIMULATED_FEATURES } from '../../src/simulate/workload.js';
import { isProgressCounter, isTimeCost, type InjectedKind, type JobModel, type NodeFault, type SimNode } from './node-model.js';
import { seededRandom, type Random } from './random.js';
import type { ShippedRules } from './shipped-rules.js';

export type ScenarioKind = InjectedKind | 'healthy';
export const SCENARIO_KINDS: readonly ScenarioKind[] = ['straggler', 'hang', 'dead', 'shutdown', 'nan', 'healthy'];

export interface Scenario {
  readonly id: string;
  readonly kind: ScenarioKind;
  readonly seed: number;
  readonly job: JobModel;
  readonly nodes: readonly SimNode[];
  /** Alerts before this are start-up, not counted (the rules' windows are still filling). */
  readonly warmUpSeconds: number;
  /** When the fault starts (the end of the warm-up for a healthy job). */
  readonly onsetSeconds: number;
  /** What the scenario varies, for the page's breakdowns. */
  readonly params: { readonly n: number; readonly k: number; readonly factor?: number; readonly persistent?: boolean; readonly faultSeconds?: number };
}

export interface ScenarioPlan {
  readonly perKind: number;
  readonly seed: number;
  readonly pushIntervalSeconds: number;
  readonly scrapeIntervalSeconds: number;
}

/**
 * Nodes of one role in a job: most jobs are small; stragglers also run among hundreds (5 % of them), where
 * one slow node is hardest to tell from the noise of many. (Sizes kept to what promtool evaluates in minutes.)
 */
const SMALL_JOB_SIZES = [2, 2, 3, 4, 4, 6, 8, 8, 12, 16, 24, 32, 48];
const LARGE_JOB_SIZES = [96, 128, 256];
/** Warm-up and horizons count windows up to this long (see generateScenarios). */
export const WINDOW_CAP_SECONDS = 600;
/** Seconds per batch of a job's healthy nodes, drawn log-uniform between these (the page cites them). */
export const STEP_SECONDS_RANGE = [0.02, 0.5] as const;

/** One faulty node among a few peers: its fault, not the crowd, is what these scenarios measure. */
const FEW_NODES = [2, 3, 4, 6, 8];
/** Per role of a healthy job. */
const HEALTHY_ROLE_SIZES = [2, 3, 4, 6];

/** A per-feature NaN counter of the catalog (nan_count, nan_grad_skipped). */
function isNanCounter(spec: MetricSpec): boolean {
  return spec.type === 'counter' && spec.labels.includes('feature') && /^nan_/.test(spec.name);
}

function instance(index: number): string {
  return `rep_${index}`;
}

/** Roles on which the rules can see a fault of this kind at all. */
export function visibleRoles(rules: ShippedRules, kind: 'batches' | 'nan'): NodeRole[] {
  const matches = (spec: MetricSpec): boolean => (kind === 'nan' ? isNanCounter(spec) : isTimeCost(spec) || isProgressCounter(spec));
  const roles = new Set(rules.metrics.filter(matches).flatMap((spec) => spec.roles));
  return NODE_ROLES.filter((role) => roles.has(role));
}

function jobModel(rules: ShippedRules, plan: ScenarioPlan, random: Random, durationSeconds: number, id: string): JobModel {
  return {
    job: `bench_${id}`,
    pushIntervalSeconds: plan.pushIntervalSeconds,
    scrapeIntervalSeconds: plan.scrapeIntervalSeconds,
    durationSeconds,
    stepSeconds: random.logUniform(...STEP_SECONDS_RANGE),
    medianSeconds: Object.fromEntries(rules.metrics.filter((spec) => spec.type === 'histogram').map((spec) => [spec.name, random.logUniform(0.0005, 0.02)])),
    metrics: rules.metrics,
    series: rules.series,
    gatewaySeries: rules.gatewaySeries,
    features: SIMULATED_FEATURES,
  };
}

/** Every scenario of the plan, in a stable order. */
export function generateScenarios(rules: ShippedRules, plan: ScenarioPlan): Scenario[] {
  const random = seededRandom(plan.seed);
  // Long enough for the windows that score a healthy node to fill. A longer one (a half-hour baseline of
  // a NaN rate) starts empty: healthy nodes here record no NaN, so an empty baseline reads as a full one would.
  const windowSeconds = rules.windowsSeconds.find((seconds) => seconds <= WINDOW_CAP_SECONDS) ?? 0;
  const warmUpSeconds = Math.max(120, windowSeconds);
  // Long enough for the slowest rule claiming the kind to answer a fault that starts after the warm-up (a
  // healthy job runs as long as the slowest rule of all, so that rule has its chance to misfire too).
  const horizonSeconds = (kind: ScenarioKind): number => {
    const claims = kind === 'healthy' ? rules.alerts : rules.claims[kind === 'shutdown' ? 'dead' : kind];
    return windowSeconds + Math.max(0, ...claims.map((alert) => rules.forSeconds[alert] ?? 0)) + 90;
  };
  const batchRoles = visibleRoles(rules, 'batches');
  const nanRoles = visibleRoles(rules, 'nan');
  const nanMetrics = rules.metrics.filter(isNanCounter);
  const scenarios: Scenario[] = [];
  for (const kind of SCENARIO_KINDS) {
    for (let i = 0; i < plan.perKind; i += 1) {
      const id = `${kind}_${i}`;
      const seed = random.int(1, 2 ** 31);
      const own = seededRandom(seed);
      const onsetSeconds = Math.round(warmUpSeconds + own.uniform(0, plan.scrapeIntervalSeconds));
      const durationSeconds = onsetSeconds + horizonSeconds(kind);
      const job = jobModel(rules, plan, own, durationSeconds, id);
      const roleFor = (roles: readonly NodeRole[]): NodeRole => (roles.length === 0 ? own.pick(NODE_ROLES) : own.pick(roles));
      let nodes: SimNode[];
      let params: Scenario['params'];
      if (kind === 'healthy') {
        // A whole job: every role, each with a few nodes.
        nodes = NODE_ROLES.flatMap((role) => Array.from({ length: own.pick(HEALTHY_ROLE_SIZES) }, (_, index) => ({ role, instance: instance(index) })));
        params = { n: nodes.length, k: 0 };
      } else if (kind === 'straggler') {
        const n = own.chance(0.05) ? own.pick(LARGE_JOB_SIZES) : own.pick(SMALL_JOB_SIZES);
        const k = n <= 4 || own.chance(0.5) ? 1 : own.int(2, Math.min(8, Math.floor((n - 1) / 2)));
        const factor = Math.round(own.uniform(1.2, 3) * 100) / 100;
        const persistent = own.chance(0.6);
        const faultSeconds = persistent ? Infinity : Math.round(own.logUniform(20, 300));
        const role = roleFor(batchRoles);
        const slow = new Set(pickIndexes(own, n, k));
        const fault: NodeFault = { kind: 'straggler', startSeconds: onsetSeconds, endSeconds: onsetSeconds + faultSeconds, factor };
        nodes = Array.from({ length: n }, (_, index) => ({ role, instance: instance(index), ...(slow.has(index) ? { fault } : {}) }));
        params = { n, k, factor, persistent, ...(persistent ? {} : { faultSeconds }) };
      } else {
        const n = own.pick(FEW_NODES);
        const role = roleFor(kind === 'nan' ? nanRoles : kind === 'hang' ? batchRoles : NODE_ROLES);
        const victim = own.int(0, n - 1);
        const metric = nanMetrics.find((spec) => spec.roles.includes(role))?.name ?? 'nan_count';
        const fault: NodeFault =
          kind === 'nan'
            ? { kind, startSeconds: onsetSeconds, metric, feature: own.pick(SIMULATED_FEATURES), count: Math.round(own.logUniform(1, 1000)), pushes: own.int(1, 3) }
            : { kind, startSeconds: onsetSeconds };
        nodes = Array.from({ length: n }, (_, index) => ({ role, instance: instance(index), ...(index === victim ? { fault } : {}) }));
        params = { n, k: 1 };
      }
      scenarios.push({ id, kind, seed, job, nodes, warmUpSeconds, onsetSeconds, params });
    }
  }
  return scenarios;
}

function pickIndexes(random: Random, n: number, k: number): number[] {
  const all = Array.from({ length: n }, (_, index) => index);
  for (let i = all.length - 1; i > 0; i -= 1) {
    const j = random.int(0, i);
    [all[i], all[j]] = [all[j] ?? 0, all[i] ?? 0];
  }
  return all.slice(0, k);
}
