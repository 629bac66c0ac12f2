/**
 * A dashboard as the monitoring model states it: rows of panels, each a title and its PromQL. The
 * queries use Grafana's variables (`$job`, `$role`, `$__rate_interval`); Grafana (src/deploy/grafana) and
 * the `view` page (src/view/view-panels.ts) fill them in.
 */

export interface TargetDef {
  readonly expr: string;
  readonly legend: string;
}

export interface PanelDef {
  readonly title: string;
  readonly description: string;
  readonly type: 'timeseries' | 'stat' | 'heatmap';
  readonly targets: readonly TargetDef[];
  /** Grafana unit id: 's', 'percentunit', 'bytes', 'short', 'ops'. @default 'short' */
  readonly unit?: string;
  /** Grid columns out of 24. @default 8 */
  readonly width?: number;
}

export interface RowDef {
  readonly title: string;
  readonly panels: readonly PanelDef[];
}

export interface DashboardDef {
  readonly uid: string;
  readonly title: string;
  readonly description: string;
  readonly rows: readonly RowDef[];
}

/**
 * Replaces Grafana's variables with plain values so promtool / Prometheus can parse or run the expression.
 */
export function substituteGrafanaVariables(expr: string, values: { job: string; role?: string; range?: string }): string {
  return expr
    .replaceAll('$__rate_interval', values.range ?? '1m')
    .replaceAll('$__interval', values.range ?? '1m')
    .replaceAll('$__range', values.range ?? '1m')
    .replaceAll('$job', values.job)
    .replaceAll('$role', values.role ?? '.*');
}
