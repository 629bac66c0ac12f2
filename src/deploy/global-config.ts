/** The `global_config.yaml` a deployment's nodes read (the PersiaMetricsConfig section of PersiaML's docs). */
import type { MonitoringOptions } from '../monitoring/options.js';

/** The job name is quoted: `123`, `1.10`, `true` or `2024-01-01` would otherwise be read back as a number, boolean or date. */
export function renderGlobalConfig(options: MonitoringOptions): string {
  return `# PersiaML global config: the metrics section (rendered by \`persia-metrics init\`).
# Environment variables override it per node: PERSIA_METRICS_GATEWAY_ADDR, PERSIA_METRICS_JOB_NAME, PERSIA_NODE_ROLE.
PersiaMetricsConfig:
  enable_metrics: true
  job_name: ${JSON.stringify(options.jobName)}
  push_interval_seconds: ${options.pushIntervalSeconds}
  # A node that stops cleanly removes its group from the gateway (which has no TTL): a group left behind then
  # always means a crash, and the stale-node alert stays meaningful.
  delete_on_shutdown: true
`;
}
