/**
 * The series only the rules may write: `ALERTS`, `ALERTS_FOR_STATE` and every recorded name. Gateways are
 * scraped with honor_labels, so a pushed `ALERTS{instance="rep_0"}` would otherwise be stored as if the
 * rules had evaluated it, and flag a healthy node as a straggler or a duplicate in the view. The scrape
 * configs (src/deploy/prometheus, src/deploy/kubernetes) drop these names from every gateway scrape.
 */
import { alertRuleGroups } from './alert-rules.js';
import { DEFAULT_MONITORING_OPTIONS } from './options.js';
import { recordingRuleGroups } from './recording-rules.js';

/** The series Prometheus writes for the alerting rules themselves. */
export const ALERT_SERIES = ['ALERTS', 'ALERTS_FOR_STATE'] as const;

/** Every name the rules write, each once, in rule order. */
export function ruleSeriesNames(): string[] {
  const recorded = [...alertRuleGroups(DEFAULT_MONITORING_OPTIONS), ...recordingRuleGroups()].flatMap((group) =>
    group.rules.flatMap((rule) => ('record' in rule ? [rule.record] : [])),
  );
  return [...new Set<string>([...ALERT_SERIES, ...recorded])];
}

/** A relabel regex (Prometheus anchors it) matching exactly those names; they hold no regex metacharacter. */
export function ruleSeriesRegex(): string {
  return ruleSeriesNames().join('|');
}
