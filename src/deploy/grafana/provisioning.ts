/** Grafana provisioning: the Prometheus datasource (fixed uid, referenced by every panel) and the dashboards folder. */
import { commented, yamlFile } from '../yaml.js';
import { DATASOURCE_UID } from './dashboard-json.js';

/** Where the dashboards JSON files are mounted inside the Grafana container. */
export const GRAFANA_DASHBOARDS_PATH = '/var/lib/grafana/dashboards';

export function renderGrafanaDatasource(prometheusUrl = 'http://prometheus:9090'): string {
  return yamlFile('Grafana datasource for persia-metrics (rendered by `persia-metrics init`).', {
    apiVersion: 1,
    datasources: [
      {
        name: 'Prometheus',
        uid: DATASOURCE_UID,
        type: 'prometheus',
        access: 'proxy',
        url: prometheusUrl,
        isDefault: true,
        editable: false,
        jsonData: {
          timeInterval: commented("Prometheus's scrape interval: Grafana's $__rate_interval is derived from it (at least 4 scrapes).", '15s'),
        },
      },
    ],
  });
}

export function renderGrafanaDashboardProvider(): string {
  return yamlFile('Grafana dashboard provider for persia-metrics (rendered by `persia-metrics init`).', {
    apiVersion: 1,
    providers: [
      {
        name: 'persia-metrics',
        folder: 'PERSIA',
        type: 'file',
        allowUiUpdates: commented('The files are the source of truth: edits in the UI are not saved back (copy a dashboard to change it).', false),
        updateIntervalSeconds: 30,
        options: { path: GRAFANA_DASHBOARDS_PATH },
      },
    ],
  });
}
