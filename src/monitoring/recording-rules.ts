/** The recording rules of persia-metrics jobs, as data: time-cost quantiles per role and the straggler scores. */
import { METRIC_CATALOG } from '../metrics/catalog.js';
import type { RecordingRule, RuleGroup } from './rule-model.js';
import { stragglerRecordingRules } from './straggler-rules.js';

/** The `*_time_cost` histograms of the catalog. */
export function timeCostMetrics(): readonly string[] {
  return METRIC_CATALOG.filter((spec) => spec.type === 'histogram' && spec.name.endsWith('_time_cost')).map((spec) => spec.name);
}

/** Name of the recorded P50/P99 of a time cost per job and role. */
export function quantileRecordName(metric: string, quantile: 'p50' | 'p99'): string {
  return `job_role:${metric}:${quantile}_5m`;
}

/**
 * P50/P99 of every time cost per job and role, precomputed: the dashboards compute the same live, but an
 * alert or a long-range graph reads these cheaply.
 */
function timeCostQuantiles(): RecordingRule[] {
  const quantiles = [
    ['p50', '0.5'],
    ['p99', '0.99'],
  ] as const;
  return timeCostMetrics().flatMap((metric) =>
    quantiles.map(([name, q]) => ({ record: quantileRecordName(metric, name), expr: `histogram_quantile(${q}, sum by (job, role, le) (rate(${metric}_bucket[5m])))` })),
  );
}

/** The recording rule file's groups. */
export function recordingRuleGroups(): RuleGroup[] {
  return [
    { name: 'persia-metrics-time-costs', rules: timeCostQuantiles() },
    { name: 'persia-metrics-stragglers', rules: stragglerRecordingRules(timeCostMetrics()) },
  ];
}
