/**
 * The dashboards of src/monitoring/dashboards.ts as Grafana's JSON model (schema of Grafana 9.x): panels laid
 * out automatically in rows, so the layout never needs hand editing. Only the fields Grafana needs are
 * written; it fills in the rest on load.
 */
import type { DashboardDef, PanelDef, TargetDef } from '../../monitoring/dashboard-model.js';

/** Uid of the provisioned Prometheus datasource (provisioning.ts). */
export const DATASOURCE_UID = 'persia-prometheus';
const DATASOURCE = { type: 'prometheus', uid: DATASOURCE_UID } as const;

type Json = Record<string, unknown>;
const PANEL_HEIGHT = 8;

function target(def: TargetDef, index: number, heatmap: boolean): Json {
  return {
    datasource: DATASOURCE,
    refId: String.fromCharCode(65 + index),
    expr: def.expr,
    legendFormat: def.legend,
    ...(heatmap ? { format: 'heatmap', interval: '' } : {}),
  };
}

function panelJson(def: PanelDef, id: number, gridPos: Json): Json {
  const heatmap = def.type === 'heatmap';
  const unit = def.unit ?? 'short';
  const base: Json = {
    id,
    type: def.type,
    title: def.title,
    description: def.description,
    datasource: DATASOURCE,
    gridPos,
    targets: def.targets.map((t, i) => target(t, i, heatmap)),
  };
  if (heatmap) {
    return {
      ...base,
      // Buckets come precomputed from the histogram: Grafana must not re-bucket them.
      options: { calculate: false, yAxis: { unit, axisPlacement: 'left' }, color: { scheme: 'Oranges', mode: 'scheme' }, cellGap: 1, tooltip: { show: true, yHistogram: true } },
      fieldConfig: { defaults: {}, overrides: [] },
    };
  }
  if (def.type === 'stat') {
    return {
      ...base,
      options: { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, colorMode: 'value', graphMode: 'area', textMode: 'value_and_name' },
      fieldConfig: { defaults: { unit, thresholds: { mode: 'absolute', steps: [{ color: 'green', value: null }] } }, overrides: [] },
    };
  }
  return {
    ...base,
    options: { legend: { displayMode: 'list', placement: 'bottom', showLegend: true }, tooltip: { mode: 'multi', sort: 'desc' } },
    fieldConfig: { defaults: { unit, custom: { lineWidth: 1, fillOpacity: 10, showPoints: 'never' } }, overrides: [] },
  };
}

function templating(): Json {
  const jobQuery = 'label_values(push_time_seconds, job)';
  const roleQuery = 'label_values(push_time_seconds{job="$job"}, role)';
  return {
    list: [
      {
        name: 'job',
        label: 'Job',
        type: 'query',
        datasource: DATASOURCE,
        definition: jobQuery,
        query: { query: jobQuery, refId: 'job' },
        refresh: 2,
        sort: 1,
        multi: false,
        includeAll: false,
      },
      {
        name: 'role',
        label: 'Role',
        type: 'query',
        datasource: DATASOURCE,
        definition: roleQuery,
        query: { query: roleQuery, refId: 'role' },
        refresh: 2,
        sort: 1,
        multi: true,
        includeAll: true,
        allValue: '.*',
        current: { selected: true, text: ['All'], value: ['$__all'] },
      },
    ],
  };
}

/** The dashboard as Grafana's JSON model: rows become collapsible row panels, panels flow left to right. */
export function dashboardJson(def: DashboardDef): Json {
  const panels: Json[] = [];
  let id = 1;
  let y = 0;
  for (const row of def.rows) {
    panels.push({ id: id++, type: 'row', title: row.title, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y }, panels: [] });
    y += 1;
    let x = 0;
    for (const panel of row.panels) {
      const w = panel.width ?? 8;
      if (x + w > 24) {
        x = 0;
        y += PANEL_HEIGHT;
      }
      panels.push(panelJson(panel, id++, { h: PANEL_HEIGHT, w, x, y }));
      x += w;
    }
    y += PANEL_HEIGHT;
  }
  return {
    uid: def.uid,
    title: def.title,
    description: def.description,
    tags: ['persia-metrics'],
    timezone: 'browser',
    schemaVersion: 37,
    version: 1,
    editable: true,
    graphTooltip: 1,
    refresh: '30s',
    time: { from: 'now-1h', to: 'now' },
    links: [{ type: 'dashboards', tags: ['persia-metrics'], asDropdown: false, includeVars: true, keepTime: true, title: 'persia-metrics' }],
    templating: templating(),
    annotations: { list: [] },
    panels,
  };
}

/** Every PromQL expression of a dashboard JSON (for tests: parse them, run them). */
export function dashboardExpressions(dashboard: unknown): Array<{ panel: string; expr: string }> {
  const out: Array<{ panel: string; expr: string }> = [];
  const panels = (dashboard as { panels?: unknown[] }).panels ?? [];
  for (const raw of panels) {
    const panel = raw as { title?: string; type?: string; targets?: Array<{ expr?: unknown }> };
    for (const t of panel.targets ?? []) {
      out.push({ panel: panel.title ?? '(untitled)', expr: typeof t.expr === 'string' ? t.expr : '' });
    }
  }
  return out;
}
