/**
 * The series only Prometheus may write: `ALERTS`, `ALERTS_FOR_STATE` and every recorded name (the rules'), and
 * `up` and `scrape_*` (each scrape's own). A pushed `ALERTS{instance="rep_0"}` would otherwise be stored as if
 * the rules had evaluated it, and flag a healthy node as a straggler or a duplicate in the view; a pushed
 * `up{job="persia_gateway_dns", instance="elsewhere:443"} 0` would raise PersiaGatewayDown for a gateway that
 * does not exist. Every gateway scrape drops these names (src/deploy/prometheus/gateway-series.ts).
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

/**
 * What Prometheus adds to every scrape: `up`, and `scrape_duration_seconds`, `scrape_samples_scraped` and the
 * other `scrape_*`. metric_relabel_configs never see Prometheus's own copies, only a scraped one.
 */
export const SCRAPE_SERIES_REGEX = 'up|scrape_.+';

/**
 * A relabel regex (Prometheus anchors it) matching exactly the rules' names (they hold no regex
 * metacharacter) and the scrape's.
 */
export function prometheusSeriesRegex(): string {
  return [...ruleSeriesNames(), SCRAPE_SERIES_REGEX].join('|');
}
