/**
 * What the `view` page (browser code, src/view/page) and the view server (src/view) agree on: the paths the
 * page asks, the shapes of the server's answers, the error types of its proxy and the alerts the page reads
 * from `ALERTS`. Compiled by both builds (src/view/page/tsconfig.json includes this one file), so neither
 * side keeps a copy: no imports here, the page build sees nothing else of the server.
 */

/** A node much slower than its role's typical node (src/monitoring/straggler-rules.ts). */
export const STRAGGLER_ALERT = 'PersiaStragglerNode';
/** Two processes push as one node (src/monitoring/alert-rules.ts). */
export const DUPLICATE_IDENTITY_ALERT = 'PersiaDuplicateNodeIdentity';

/** The view server's own answers and the Prometheus query API paths it forwards (src/view/prometheus-proxy.ts). */
export const VIEW_PATHS = {
  settings: '/api/settings',
  panels: '/api/panels',
  query: '/api/v1/query',
  queryRange: '/api/v1/query_range',
  jobValues: '/api/v1/label/job/values',
} as const;

/** Where the server serves this module to the page (its own path under dist/src, as the page imports it). */
export const VIEW_CONTRACT_MODULE = '/monitoring/view-contract.js';

/** errorType of the view server's 502 when Prometheus did not answer (the page says so and keeps its data). */
export const UNREACHABLE_ERROR_TYPE = 'prometheus_unreachable';
/** errorType of a 502 when something answered, but not as Prometheus's query API (wrong URL, credentials). */
export const REFUSED_ERROR_TYPE = 'prometheus_refused';

/** The answer to VIEW_PATHS.settings. */
export interface ViewSettings {
  readonly job: string | null;
  readonly refreshSeconds: number;
  readonly windows: readonly string[];
  readonly defaultWindow: string;
}

/**
 * How the page judges a node, as the server states it (src/monitoring/health.ts, staleThresholdSeconds):
 * stale once its last push is older than `staleAfterIntervals` of its own push interval, or than
 * `fallbackStaleSeconds` when it publishes none. Rows are listed by role in `roles` order.
 */
export interface NodeHealthRule {
  readonly staleAfterIntervals: number;
  readonly fallbackStaleSeconds: number;
  readonly roles: readonly string[];
}

export interface ViewTarget {
  readonly expr: string;
  /** Grafana legend format: `{{label}}` is replaced by the series' label value. */
  readonly legend: string;
}

export interface ViewPanel {
  /** Stable within one answer: `<dashboard uid>/<row index>/<panel index>`. */
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly kind: 'timeseries' | 'stat';
  readonly unit: string;
  readonly targets: readonly ViewTarget[];
}

export interface ViewSection {
  readonly dashboard: string;
  readonly title: string;
  readonly panels: readonly ViewPanel[];
}

/** The answer to VIEW_PATHS.panels: the dashboards' panels for one job and window, and the node health rule. */
export interface ViewPanelsAnswer {
  readonly job: string;
  readonly window: { readonly name: string; readonly seconds: number; readonly stepSeconds: number };
  readonly health: NodeHealthRule;
  readonly sections: readonly ViewSection[];
}
