/**
 * Everything a deployment consists of, as a map from relative path to file text: pure, so `init` only has to
 * write it, and the files shipped in this repository are checked to be exactly its rendering.
 */
import { DeployUsageError } from '../errors.js';
import { dashboardDefs } from '../monitoring/dashboards.js';
import { validateJobName } from '../monitoring/job-name.js';
import { type ComposeLayout, renderCompose, renderSecondJobCompose } from './compose/compose.js';
import { renderSwarmCompose } from './compose/swarm.js';
import { type DeployOptions, DEFAULT_DEPLOY_OPTIONS, DEFAULT_SECOND_JOB_NAME } from './deploy-options.js';
import { renderGlobalConfig } from './global-config.js';
import { dashboardJson } from './grafana/dashboard-json.js';
import { renderGrafanaDashboardProvider, renderGrafanaDatasource } from './grafana/provisioning.js';
import { renderPrometheusConfig } from './prometheus/prometheus-config.js';
import { ALERT_RULES_FILE, RECORDING_RULES_FILE, RULE_TESTS_FILE, renderAlertRuleTests, renderAlertRules, renderRecordingRules } from './prometheus/rule-files.js';

export type RenderedFiles = ReadonlyMap<string, string>;

/** config/ tree, identical in both layouts. */
function renderConfigTree(options: DeployOptions): Array<[string, string]> {
  return [
    ['config/prometheus/prometheus.yml', renderPrometheusConfig(options, 'single-host')],
    ['config/prometheus/prometheus-swarm.yml', renderPrometheusConfig(options, 'swarm')],
    [`config/prometheus/rules/${ALERT_RULES_FILE}`, renderAlertRules(options)],
    [`config/prometheus/rules/${RECORDING_RULES_FILE}`, renderRecordingRules()],
    [`config/prometheus/rules/${RULE_TESTS_FILE}`, renderAlertRuleTests(options)],
    ['config/grafana/provisioning/datasources/prometheus.yml', renderGrafanaDatasource()],
    ['config/grafana/provisioning/dashboards/persia.yml', renderGrafanaDashboardProvider()],
    ...dashboardDefs(options).map(([file, def]): [string, string] => [`config/grafana/dashboards/${file}`, `${JSON.stringify(dashboardJson(def), null, 2)}\n`]),
  ];
}

function composeFiles(options: DeployOptions, layout: ComposeLayout, secondJob: string | undefined): Array<[string, string]> {
  const dashboards = dashboardDefs(options).map(([file]) => file);
  const files: Array<[string, string]> = [
    ['docker-compose.yml', renderCompose(options, layout)],
    ['docker-compose.swarm.yml', renderSwarmCompose(options, layout, dashboards)],
    ['global_config.yaml', renderGlobalConfig(options)],
  ];
  if (secondJob !== undefined) {
    validateJobName(secondJob);
    // The overlay's gateway carries the second job's label: the first job's name there would make two gateways
    // of one job (discovery finds both, the overlay's nodes push to the second), against one gateway per job.
    if (secondJob === options.jobName) throw new DeployUsageError(`--second-job "${secondJob}" is the job of --job: name another job, or leave --second-job out`);
    files.push(['docker-compose.second-job.yml', renderSecondJobCompose(secondJob, layout)]);
  }
  return files;
}

/**
 * What `persia-metrics init` writes into its directory: compose files and global_config.yaml at the top
 * (run `docker-compose up -d` right there), config/ beside them.
 */
export function renderInitDeployment(options: DeployOptions, secondJob?: string, gatewayConsistencyCheck = false): RenderedFiles {
  const layout: ComposeLayout = { configDir: './config', gatewayConsistencyCheck };
  return new Map([...composeFiles(options, layout, secondJob), ...renderConfigTree(options)]);
}

/**
 * The files shipped in this repository (paths from the repo root): compose/ builds the node image from the
 * checkout and reads ../config.
 */
export function renderRepositoryDeployment(options: DeployOptions = DEFAULT_DEPLOY_OPTIONS): RenderedFiles {
  const layout: ComposeLayout = { configDir: '../config', nodeBuildContext: '..' };
  const compose = composeFiles(options, layout, DEFAULT_SECOND_JOB_NAME).map(([path, text]): [string, string] => [`compose/${path}`, text]);
  return new Map([...compose, ...renderConfigTree(options)]);
}
