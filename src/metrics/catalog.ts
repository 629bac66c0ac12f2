/**
 * The metric catalog: one declarative table of every metric a persia-metrics node publishes.
 *
 * Everything else is derived from this table: the instruments a node gets, the HELP/TYPE lines of the
 * exposition, the client-side consistency check (a name always has one type and one help in every group, so
 * the gateway's own check can be switched off), the simulator, the docs and the dashboards' tests.
 *
 * Its two parts: PersiaML's two metric tables, names kept exactly (persiaml-table-metrics.ts), and the node's
 * own runtime, health, progress and pusher families (node-own-metrics.ts).
 */

import { NODE_ROLES, type NodeRole } from '../config/node-roles.js';
import { describeValue } from '../config/yaml-document.js';
import { ConfigError } from '../errors.js';
import { NODE_HEALTH_METRICS, NODE_OWN_METRICS, STEPS_METRIC } from './node-own-metrics.js';
import { PERSIAML_TABLE_METRICS } from './persiaml-table-metrics.js';

export { NODE_ROLES, type NodeRole };
export type MetricType = 'counter' | 'gauge' | 'histogram';

export type MetricGroup = 'accuracy' | 'efficiency' | 'runtime' | 'health' | 'pusher';

export interface MetricSpec {
  readonly name: string;
  readonly type: MetricType;
  readonly help: string;
  /** Unit of the value, Prometheus style: 'seconds', 'bytes', 'ratio', or '1' for a plain count. */
  readonly unit: string;
  readonly group: MetricGroup;
  /** Roles whose nodes record this metric (a node of another role still gets the instrument, unused). */
  readonly roles: readonly NodeRole[];
  /** Label names beyond the grouping key (job/role/instance are added by the gateway from the URL). */
  readonly labels: readonly string[];
  /** Histogram upper bounds, ascending, without +Inf. */
  readonly buckets?: readonly number[];
  /**
   * Series this family keeps per node before new label sets fold into an overflow series
   * (src/metrics/series-limit.ts); default: the node's max_series_per_family. `Infinity` only for label values
   * the library itself chooses from a fixed set: such a family is never limited and never dropped as idle.
   */
  readonly maxSeries?: number;
}

export { STEPS_METRIC };
export {
  PROGRESS_AGE_METRIC,
  PUSH_DURATION_BUCKETS,
  REJECTED_SAMPLES_METRIC,
  OVERFLOW_BINDINGS_METRIC,
  FAMILIES_LEFT_OUT_METRIC,
  NODE_STATES,
  type NodeState,
} from './node-own-metrics.js';
export { TIME_COST_BUCKETS } from './persiaml-table-metrics.js';

export const METRIC_CATALOG: readonly MetricSpec[] = [...PERSIAML_TABLE_METRICS, ...NODE_OWN_METRICS];

/**
 * Which of the catalog's families a node's registry holds (StartNodeMetricsInput.catalog): 'all' for a
 * program that records them; 'health' for a node whose metrics come from its extra sources (the agent),
 * which then pushes no family of work it does not see (at 0), and whose sources may write the catalog's
 * families themselves (src/push/exposition-check.ts accepts one with the catalog's type and labels).
 */
export type CatalogPart = 'all' | 'health';
export const CATALOG_PARTS: readonly CatalogPart[] = ['all', 'health'];

export function catalogPart(part: CatalogPart): readonly MetricSpec[] {
  return part === 'all' ? METRIC_CATALOG : NODE_HEALTH_METRICS;
}

/** `catalog` as a caller gave it (startNodeMetrics()): undefined is 'all'; anything else a ConfigError naming it. */
export function checkCatalogPart(catalog: unknown): CatalogPart {
  if (catalog === undefined) return 'all';
  if (CATALOG_PARTS.includes(catalog as CatalogPart)) return catalog as CatalogPart;
  throw new ConfigError({ source: 'startNodeMetrics()', path: 'catalog' }, CATALOG_PARTS.map((part) => `'${part}'`).join(' or '), describeValue(catalog));
}

/** The 15 metrics of the PersiaML spec's two tables, in table order. */
export const PERSIA_METRIC_NAMES: readonly string[] = METRIC_CATALOG.filter((spec) => spec.group === 'accuracy' || spec.group === 'efficiency').map((spec) => spec.name);

/** The grouping labels every series gets from the push URL; no metric may use them in its body. */
export const GROUPING_LABELS: readonly string[] = ['job', 'role', 'instance'];

const BY_NAME = new Map(METRIC_CATALOG.map((spec) => [spec.name, spec]));

export function findMetricSpec(name: string): MetricSpec | undefined {
  return BY_NAME.get(name);
}

/**
 * The counters whose rise is a node's progress: its step counter and the count of every time cost (each is
 * observed once per lookup, RPC or gradient update, so a node doing its work raises at least one).
 */
export const PROGRESS_METRICS: readonly string[] = [
  STEPS_METRIC,
  ...METRIC_CATALOG.filter((spec) => spec.type === 'histogram' && spec.name.endsWith('_time_cost')).map((spec) => spec.name),
];
