/**
 * What the view's page draws, taken from the Grafana dashboards themselves (src/monitoring/dashboards.ts): the
 * same titles, PromQL and units, with Grafana's template variables replaced by the page's job and time
 * window. A panel added to a dashboard therefore appears in the view too, with nothing to change here.
 * Heatmaps are Grafana's alone: the view draws time series and stats, and the P50/P99 panel beside each
 * heatmap carries the same histogram.
 */
import { NODE_ROLES } from '../config/node-roles.js';
import { substituteGrafanaVariables } from '../monitoring/dashboard-model.js';
import { dashboardDefs } from '../monitoring/dashboards.js';
import { staleThresholdSeconds } from '../monitoring/health.js';
import { DEFAULT_MONITORING_OPTIONS } from '../monitoring/options.js';
import type { NodeHealthRule, ViewPanel, ViewPanelsAnswer, ViewSection } from '../monitoring/view-contract.js';
import { promqlStringContent } from './page/promql-string.js';

/** `$job` sits inside double-quoted PromQL strings (one escaping for the page, the server and demo). */
export { promqlStringContent };

/** Time windows the page offers: how far back the charts reach and the step of their range queries. */
export const VIEW_WINDOWS = {
  '2m': { seconds: 120, stepSeconds: 1 },
  '5m': { seconds: 300, stepSeconds: 2 },
  '15m': { seconds: 900, stepSeconds: 5 },
  '1h': { seconds: 3600, stepSeconds: 15 },
  '6h': { seconds: 21_600, stepSeconds: 60 },
} as const;
export type ViewWindowName = keyof typeof VIEW_WINDOWS;
export const DEFAULT_VIEW_WINDOW: ViewWindowName = '15m';

export function isViewWindowName(name: string): name is ViewWindowName {
  return Object.hasOwn(VIEW_WINDOWS, name);
}

/**
 * The window of `rate()` and `increase()`: Grafana's `$__rate_interval` is at least four scrape intervals;
 * a minute covers the shipped 15 s scrape, and a long window's step is covered twice.
 */
export function rateInterval(stepSeconds: number): string {
  return `${Math.max(60, 2 * stepSeconds)}s`;
}

/**
 * The dashboards' panels for one job. `pushIntervalSeconds` is the job's push interval where known (the
 * health dashboard's stale threshold is a number of intervals); `statedPushIntervalSeconds` the configured
 * push_interval_seconds, by which the node table judges a node that publishes none (nodeHealthRule).
 */
export function viewPanels(
  job: string,
  windowName: ViewWindowName,
  pushIntervalSeconds = DEFAULT_MONITORING_OPTIONS.pushIntervalSeconds,
  statedPushIntervalSeconds = DEFAULT_MONITORING_OPTIONS.pushIntervalSeconds,
): ViewPanelsAnswer {
  const window = VIEW_WINDOWS[windowName];
  const options = { ...DEFAULT_MONITORING_OPTIONS, pushIntervalSeconds };
  const values = { job: promqlStringContent(job), range: rateInterval(window.stepSeconds) };
  const sections: ViewSection[] = [];
  for (const [, dashboard] of dashboardDefs(options)) {
    dashboard.rows.forEach((row, rowIndex) => {
      const panels: ViewPanel[] = [];
      row.panels.forEach((panel, panelIndex) => {
        if (panel.type === 'heatmap') return;
        panels.push({
          id: `${dashboard.uid}/${rowIndex}/${panelIndex}`,
          title: panel.title,
          description: panel.description,
          kind: panel.type,
          unit: panel.unit ?? 'short',
          targets: panel.targets.map((target) => ({ expr: substituteGrafanaVariables(target.expr, values), legend: target.legend })),
        });
      });
      if (panels.length > 0) sections.push({ dashboard: dashboard.title, title: row.title, panels });
    });
  }
  return { job, window: { name: windowName, ...window }, health: nodeHealthRule(statedPushIntervalSeconds), sections };
}

/**
 * The rule the page judges nodes by: the stale alert's, as `status` applies it. A node that publishes no
 * interval (PersiaML's) is judged by `statedPushIntervalSeconds`, the job's push_interval_seconds.
 */
export function nodeHealthRule(statedPushIntervalSeconds = DEFAULT_MONITORING_OPTIONS.pushIntervalSeconds): NodeHealthRule {
  const { staleAfterIntervals, hangAfterIntervals } = DEFAULT_MONITORING_OPTIONS;
  return {
    staleAfterIntervals,
    hangAfterIntervals,
    fallbackStaleSeconds: staleThresholdSeconds(undefined, staleAfterIntervals, statedPushIntervalSeconds),
    statedPushIntervalSeconds,
    roles: NODE_ROLES,
  };
}
