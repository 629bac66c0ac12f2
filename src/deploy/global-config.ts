/** The `global_config.yaml` a deployment's nodes read (the PersiaMetricsConfig section of PersiaML's docs). */
import type { MonitoringOptions } from '../monitoring/options.js';
import { commented, yamlFile } from './yaml.js';

/** The job name stays a string whatever it looks like (`123`, `1.10`, `true`): the emitter quotes what YAML would read otherwise. */
export function renderGlobalConfig(options: MonitoringOptions): string {
  return yamlFile(
    'PersiaML global config: the metrics section (rendered by `persia-metrics init`).\nEnvironment variables override it per node: PERSIA_METRICS_GATEWAY_ADDR, PERSIA_METRICS_JOB_NAME, PERSIA_NODE_ROLE.',
    {
      PersiaMetricsConfig: {
        enable_metrics: true,
        job_name: options.jobName,
        push_interval_seconds: options.pushIntervalSeconds,
        delete_on_shutdown: commented(
          'A node that stops cleanly removes its group from the gateway (which has no TTL): a group left behind then\nalways means a crash, and the stale-node alert stays meaningful.',
          true,
        ),
      },
    },
  );
}
