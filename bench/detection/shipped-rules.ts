/**
 * The rules the benchmark measures: whatever src/monitoring ships today, as the deploy serializer writes
 * them (src/deploy/prometheus/rule-files.ts), never a copy. From the same rule objects it reads which series
 * the rules look at (so the scenarios generate those and no others), their longest range window and `for`
 * (so every scenario runs long enough for a slow rule to answer), and which alert claims which fault.
 */
import { alertRuleGroups, alertSpecs } from '../../src/monitoring/alert-rules.js';
import type { MonitoringOptions } from '../../src/monitoring/options.js';
import { recordingRuleGroups } from '../../src/monitoring/recording-rules.js';
import { load, dump } from 'js-yaml';
import { RECORDING_RULES_FILE, ruleFiles } from '../../src/deploy/prometheus/rule-files.js';
import { METRIC_CATALOG, type MetricSpec } from '../../src/metrics/catalog.js';
import { STRAGGLER_ALERT } from '../../src/monitoring/view-contract.js';

/** The faults the benchmark injects; `healthy` jobs and clean shutdowns are the cases that must stay silent. */
export const FAULT_KINDS = ['straggler', 'hang', 'dead', 'nan'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/**
 * Which shipped alerts claim which fault, by what each alert says it detects. An alert that names the wrong
 * node, or a fault of another kind, counts against the precision of the kind it claims. A kind no shipped
 * alert claims has recall 0 and says so on the page.
 */
const CLAIMS: Readonly<Record<FaultKind, (alert: string) => boolean>> = {
  straggler: (alert) => alert === STRAGGLER_ALERT || /straggl/i.test(alert),
  hang: (alert) => /hung|hang|stall|progress/i.test(alert),
  // The stale-node alert (alert-rules.ts): "stopped pushing", and any dead/stale-node rule added beside it.
  dead: (alert) => /stoppedpushing|node(down|dead)|stale(?!ness)/i.test(alert),
  nan: (alert) => /nan/i.test(alert),
};

/** The series the Pushgateway adds to every group it stores (push time and last failed push time). */
export const GATEWAY_SERIES = ['push_time_seconds', 'push_failure_time_seconds'] as const;

export interface ShippedRules {
  /**
   * Rule file name → its text as `persia-metrics init` writes it, less the recording rules no alert reads
   * (directly or through another record): they cannot change when an alert fires, and they would cost promtool
   * a third of its time (the per-role quantiles the dashboards read).
   */
  readonly files: Readonly<Record<string, string>>;
  /** Every alert of the files. */
  readonly alerts: readonly string[];
  /** The alerts that claim each kind (possibly none). */
  readonly claims: Readonly<Record<FaultKind, readonly string[]>>;
  /** Catalog metrics some rule reads (a histogram when any of its series is read). */
  readonly metrics: readonly MetricSpec[];
  /** Every series name some rule reads (a histogram's `_bucket`, `_count`, `_sum` each on its own). */
  readonly series: ReadonlySet<string>;
  /** Gateway series some rule reads. */
  readonly gatewaySeries: readonly string[];
  /** Each alert's longest range window, its records' included, seconds. */
  readonly windowSecondsOf: Readonly<Record<string, number>>;
  /** Each alert's `for`, seconds (0 without one). */
  readonly forSeconds: Readonly<Record<string, number>>;
  /** Every range window of the rules, seconds, longest first. */
  readonly windowsSeconds: readonly number[];
  /** Longest range window and longest `for` of any rule, seconds. */
  readonly longestWindowSeconds: number;
  readonly longestForSeconds: number;
}

const DURATION = /(\d+)(ms|s|m|h|d)/g;
const UNIT_SECONDS: Readonly<Record<string, number>> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86_400 };

/** Seconds of a Prometheus duration such as `1m30s`. */
export function durationSeconds(text: string): number {
  let seconds = 0;
  for (const [, amount, unit] of text.matchAll(DURATION)) seconds += Number(amount) * (UNIT_SECONDS[unit ?? 's'] ?? 1);
  return seconds;
}

function reads(exprs: readonly string[], name: string): boolean {
  const word = new RegExp(`(^|[^a-zA-Z0-9_:])${name}($|[^a-zA-Z0-9_:])`);
  return exprs.some((expr) => word.test(expr));
}

/** The records alerts read, directly or through other records. */
function recordsAlertsRead(alertExprs: readonly string[], records: ReadonlyArray<{ readonly record: string; readonly expr: string }>): Set<string> {
  const needed = new Set<string>();
  const frontier = [...alertExprs];
  while (frontier.length > 0) {
    const expr = frontier.pop() ?? '';
    for (const rule of records) {
      if (!needed.has(rule.record) && reads([expr], rule.record)) {
        needed.add(rule.record);
        frontier.push(...records.filter((other) => other.record === rule.record).map((other) => other.expr));
      }
    }
  }
  return needed;
}

interface RuleFileShape {
  groups: Array<{ name: string; rules: Array<{ record?: string }> }>;
}

function withoutUnreadRecords(text: string, needed: ReadonlySet<string>): string {
  const file = load(text) as RuleFileShape;
  file.groups = file.groups
    .map((group) => ({ ...group, rules: group.rules.filter((rule) => rule.record === undefined || needed.has(rule.record)) }))
    .filter((group) => group.rules.length > 0);
  return dump(file, { lineWidth: -1, noRefs: true });
}

export function shippedRules(options: MonitoringOptions): ShippedRules {
  // The recording rules of the rule files, and those an alert group computes before its alerts (the fast group's).
  const records = [...recordingRuleGroups(), ...alertRuleGroups(options)].flatMap((group) => group.rules.flatMap((rule) => ('record' in rule ? [rule] : [])));
  const alertExprs = alertRuleGroups(options).flatMap((group) => group.rules.map((rule) => rule.expr));
  const needed = recordsAlertsRead(alertExprs, records);
  const rules = [...alertRuleGroups(options).flatMap((group) => group.rules), ...records.filter((rule) => needed.has(rule.record))];
  const exprs = rules.map((rule) => rule.expr);
  const files = ruleFiles(options);
  const alerts = alertSpecs(options).map((spec) => spec.alert);
  // Not the restart guard's range (src/monitoring/health.ts, ofRunningIncarnation): it scores nothing, and as the
  // longest range it would stretch every scenario's warm-up (its nodes never restart).
  const windowsIn = (expr: string): number[] =>
    [...expr.replace(/changes\(persia_node_incarnation\[[^\]]*\]\)/g, '').matchAll(/\[([0-9smhd]+)(?::[0-9smhd]*)?\]/g)].map(([, range]) => durationSeconds(range ?? ''));
  const windows = exprs.flatMap(windowsIn);
  const alertWindow = (expr: string): number => {
    const read = recordsAlertsRead([expr], records);
    return Math.max(0, ...windowsIn(expr), ...records.filter((rule) => read.has(rule.record)).flatMap((rule) => windowsIn(rule.expr)));
  };
  const fors = rules.flatMap((rule) => ('for' in rule && rule.for !== undefined ? [durationSeconds(rule.for)] : []));
  const seriesOf = (spec: MetricSpec): string[] => (spec.type === 'histogram' ? [`${spec.name}_bucket`, `${spec.name}_count`, `${spec.name}_sum`] : [spec.name]);
  return {
    files: { ...files, [RECORDING_RULES_FILE]: withoutUnreadRecords(files[RECORDING_RULES_FILE] ?? 'groups: []', needed) },
    alerts,
    claims: Object.fromEntries(FAULT_KINDS.map((kind) => [kind, alerts.filter(CLAIMS[kind])])) as Record<FaultKind, string[]>,
    metrics: METRIC_CATALOG.filter((spec) => seriesOf(spec).some((name) => reads(exprs, name))),
    series: new Set(METRIC_CATALOG.flatMap(seriesOf).filter((name) => reads(exprs, name))),
    gatewaySeries: GATEWAY_SERIES.filter((name) => reads(exprs, name)),
    windowSecondsOf: Object.fromEntries(alertSpecs(options).map((spec) => [spec.alert, alertWindow(spec.expr)])),
    forSeconds: Object.fromEntries(alertSpecs(options).map((spec) => [spec.alert, spec.for === undefined ? 0 : durationSeconds(spec.for)])),
    windowsSeconds: [...new Set(windows)].sort((a, b) => b - a),
    longestWindowSeconds: Math.max(0, ...windows),
    longestForSeconds: Math.max(0, ...fors),
  };
}

/** The kind an alert claims, if any. */
export function kindClaimedBy(rules: ShippedRules, alert: string): FaultKind | undefined {
  return FAULT_KINDS.find((kind) => rules.claims[kind].includes(alert));
}
