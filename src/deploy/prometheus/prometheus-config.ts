/**
 * Prometheus configuration for per-job Pushgateways.
 *
 * What each gateway scrape job keeps of a gateway's series, and under which labels, is decided in one place
 * (gateway-series.ts): the nodes' pushed `job` / `role` / `instance` (their grouping key) reach the stored
 * series as pushed, a series pushed under another job than the gateway's `persia_job` is dropped, and so is
 * any pushed series only Prometheus may write (ALERTS, the recorded series, `up`, `scrape_*`). The gateway's own
 * series (process_*, pushgateway_*, `up`) keep the scrape job's name; `persia_job` carries the training job.
 *
 * Each gateway is scraped by one job only: the DNS job finds the stack's own gateway service; the others
 * come from target files (single host: written by the compose stack's discovery service, so Prometheus
 * needs no engine socket) or, on swarm, from dockerswarm_sd, which leaves the gateway service to the DNS
 * job. Found twice, a gateway would have two `up` series, and a target of one job that cannot reach it
 * would fire PersiaGatewayDown while the other scrapes it fine.
 * `persia-metrics discover` leaves out whatever these jobs find (src/discovery/scrape-reader.ts).
 *
 * Data plus the comments that say why each scrape job is there, written by the YAML emitter (src/deploy/yaml.ts).
 */
import { DEFAULT_GATEWAY_PORT } from '../../gateway/address.js';
import { promDuration } from '../../monitoring/duration.js';
import { GATEWAY_SCRAPE_JOB_PREFIX } from '../../monitoring/health.js';
import { type DeployOptions } from '../deploy-options.js';
import { commented, flow, spaced, yamlFile } from '../yaml.js';
import { gatewaySeriesLabels } from './gateway-series.js';
import { ALERT_RULES_FILE, RECORDING_RULES_FILE } from './rule-files.js';

export type PrometheusFlavour = 'single-host' | 'swarm';

/** Overlay network the swarm stack declares with a fixed name, so relabelling can pick the task's address on it. */
export const SWARM_NETWORK = 'persia_metrics';
/** The gateway's compose service: the name the DNS job resolves (on swarm: `tasks.` + it). */
export const GATEWAY_SERVICE = 'metrics_gateway';

/** 10 s, or the whole interval when it is shorter (Prometheus refuses a timeout longer than the interval). */
export function scrapeTimeout(scrapeIntervalSeconds: number): string {
  return promDuration(Math.min(10, scrapeIntervalSeconds));
}

export function renderPrometheusConfig(options: DeployOptions, flavour: PrometheusFlavour): string {
  const header = `Prometheus for persia-metrics (${flavour}), rendered by \`persia-metrics init\` for job "${options.jobName}".
One Pushgateway per training job (never shared: a shared gateway is a bottleneck and a single point of
failure); this Prometheus finds them all. Validate with: promtool check config prometheus${flavour === 'swarm' ? '-swarm' : ''}.yml`;
  return yamlFile(header, {
    global: {
      scrape_interval: commented("The scrape interval the fast rules' windows are sized from (init renders both from one option).", promDuration(options.scrapeIntervalSeconds)),
      scrape_timeout: commented('A gateway holding ~1,000 nodes answers a scrape in 3-5 s; leave room.', scrapeTimeout(options.scrapeIntervalSeconds)),
      evaluation_interval: promDuration(options.scrapeIntervalSeconds),
    },
    rule_files: commented(
      'Listed one by one, not rules/*.yml: that glob would also load the promtool test file beside them.',
      [`rules/${ALERT_RULES_FILE}`, `rules/${RECORDING_RULES_FILE}`],
      true,
    ),
    scrape_configs: spaced([
      { job_name: 'prometheus', static_configs: [{ targets: flow(['localhost:9090']) }] },
      dnsScrapeJob(options, flavour),
      ...(flavour === 'swarm' ? [swarmScrapeJob()] : []),
      commented(
        flavour === 'swarm'
          ? 'Gateways outside this swarm: `persia-metrics discover` writes targets/gateway-<job>.json\n(targets + a persia_job label); Prometheus re-reads the files when they change.'
          : `Every other gateway on this engine (the other jobs'): the compose stack's discovery service
(\`persia-metrics discover --every\`, the one container with the engine socket, so that this Prometheus
needs none) writes targets/gateway-<job>.json (targets + a persia_job label); Prometheus re-reads the
files when they change.`,
        {
          job_name: `${GATEWAY_SCRAPE_JOB_PREFIX}file`,
          file_sd_configs: [
            commented("Re-read every 15 s too: the folder may appear after Prometheus starts (the discovery service's\nmount creates it), and a missing folder is not watched.", {
              files: flow(['targets/*.json']),
              refresh_interval: '15s',
            }),
          ],
          ...gatewaySeriesLabels(),
        },
        true,
      ),
    ]),
    ...remoteWrite(options),
  });
}

function dnsScrapeJob(options: DeployOptions, flavour: PrometheusFlavour): unknown {
  const dnsName = flavour === 'swarm' ? `tasks.${GATEWAY_SERVICE}` : GATEWAY_SERVICE;
  const dnsWhy =
    flavour === 'swarm'
      ? 'tasks.<service> resolves to every task of the service (the service name alone gives one virtual IP).'
      : 'The compose service name resolves to the gateway container(s) of this project.';
  return commented(
    "The job's gateway by DNS: needs no privileges, finds only the default service name.",
    {
      job_name: `${GATEWAY_SCRAPE_JOB_PREFIX}dns`,
      dns_sd_configs: [commented(dnsWhy, { names: flow([dnsName]), type: 'A', port: DEFAULT_GATEWAY_PORT, refresh_interval: '30s' })],
      relabel_configs: [commented('DNS knows no labels; this file was rendered for one job, so name it here.', { target_label: 'persia_job', replacement: options.jobName })],
      ...gatewaySeriesLabels(),
    },
    true,
  );
}

/**
 * Every sample this Prometheus stores is also sent to a long-term store (`init --remote-write-url`). Nothing
 * when no URL was given, so the default rendering stays the shipped file.
 */
function remoteWrite(options: DeployOptions): Record<string, unknown> {
  if (options.remoteWriteUrl === undefined) return {};
  return {
    remote_write: commented(
      `Long-term store: every sample scraped or recorded here is also sent to this Prometheus remote-write
endpoint (VictoriaMetrics /api/v1/write, Mimir or Cortex /api/v1/push, Thanos Receive /api/v1/receive).
Dashboards and alerts keep querying this Prometheus; point Grafana at the store for history.
Credentials: add basic_auth or authorization here (never in the URL).`,
      [{ url: options.remoteWriteUrl }],
      true,
    ),
  };
}

function swarmScrapeJob(): unknown {
  return commented(
    'Every gateway task in the swarm: services labelled persia.metrics.gateway=true (deploy.labels).\nPrometheus must run on a manager node to read the swarm API.',
    {
      job_name: `${GATEWAY_SCRAPE_JOB_PREFIX}swarm`,
      dockerswarm_sd_configs: [{ host: 'unix:///var/run/docker.sock', role: 'tasks', port: DEFAULT_GATEWAY_PORT, refresh_interval: '15s' }],
      relabel_configs: [
        { source_labels: flow(['__meta_dockerswarm_service_label_persia_metrics_gateway']), regex: 'true', action: 'keep' },
        commented("Only running tasks: a failed task's old address would be scraped as a down target.", {
          source_labels: flow(['__meta_dockerswarm_task_desired_state']),
          regex: 'running',
          action: 'keep',
        }),
        commented('A task has an address per network; Prometheus can reach it only on the shared one.', {
          source_labels: flow(['__meta_dockerswarm_network_name']),
          regex: SWARM_NETWORK,
          action: 'keep',
        }),
        commented(
          'The training job the gateway belongs to: a series it serves may carry that job only. A service without the\nlabel belongs to no known job, and its groups keep any job they were pushed under.',
          { source_labels: flow(['__meta_dockerswarm_service_label_persia_metrics_job']), target_label: 'persia_job' },
        ),
        commented(`The stack's ${GATEWAY_SERVICE} service (<stack>_${GATEWAY_SERVICE}) is the DNS job's (above): scraped once.`, {
          source_labels: flow(['__meta_dockerswarm_service_name']),
          regex: `(.+_)?${GATEWAY_SERVICE}`,
          action: 'drop',
        }),
        commented("A service that publishes ports gets a target per port; keep the gateway's.", {
          source_labels: flow(['__address__']),
          regex: `.*:${DEFAULT_GATEWAY_PORT}`,
          action: 'keep',
        }),
      ],
      ...gatewaySeriesLabels(),
    },
    true,
  );
}
