/** `persia-metrics init`: write a ready-to-run deployment (compose, Prometheus, alerts, Grafana) for one job. */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { type DeployOptions, resolveDeployOptions } from '../deploy/deploy-options.js';
import { gatewayAddress, gatewayResourcesFor, kubernetesNames } from '../deploy/kubernetes/manifests.js';
import { KUBERNETES_DIR, renderKubernetesDeployment } from '../deploy/kubernetes/render.js';
import { DeployUsageError } from '../errors.js';
import { renderInitDeployment } from '../deploy/render-deployment.js';
import { writeDeployment } from '../deploy/write-deployment.js';
import { MAX_GATEWAYS, suggestGatewayShards } from '../monitoring/capacity.js';
import { consistencyCheckAdvice } from '../monitoring/consistency-check.js';
import { staleAfterSeconds } from '../monitoring/health.js';
import { pushIntervalRange } from '../monitoring/options.js';
import { capacityAdvice } from './capacity-advice.js';
import { runAction } from './kit/action.js';
import type { CommandContext } from './kit/context.js';
import { choiceFlag, integerFlag, parsePath, parsePositiveInteger, parseSeconds } from './kit/flags.js';
import { EXIT_CODES_HELP, plural } from './kit/output.js';

interface InitFlags {
  job: string;
  dir: string;
  force?: boolean;
  pushInterval: number;
  secondJob?: string;
  remoteWriteUrl?: string;
  target: InitTarget;
  gateways: number;
  nodes?: number;
  seriesPerNode?: number;
  json?: boolean;
}

const TARGETS = ['compose', 'kubernetes'] as const;
type InitTarget = (typeof TARGETS)[number];

const EXAMPLE = `
Writes into DIR:
  global_config.yaml                 PersiaMetricsConfig for the job's nodes
  docker-compose.yml                 gateway, Prometheus, Grafana, trainer/middleware/server (127.0.0.1 ports)
  docker-compose.swarm.yml           the same for \`docker stack deploy\`
  docker-compose.second-job.yml      with --second-job: a second job beside the first
  config/prometheus/...              prometheus.yml, prometheus-swarm.yml, alert/recording rules + promtool tests
  config/grafana/...                 provisioning and the job health / efficiency / accuracy dashboards

Example:
  persia-metrics init --job dlrm_v1.0 --dir ./dlrm-metrics
  persia-metrics init --job dlrm_v1.0 --remote-write-url http://victoria-metrics:8428/api/v1/write
  persia-metrics init --job dlrm_v1.0 --nodes 512 --series-per-node 2000   # also prints the gateways it needs
  cd dlrm-metrics && docker-compose up -d     # Grafana at http://127.0.0.1:3000

With --target kubernetes, writes ${KUBERNETES_DIR}/ instead: gateway.yaml (Deployment + headless Service),
global-config.yaml (ConfigMap), nodes-example.yaml (a StatefulSet per role), prometheus-scrape.yml
(kubernetes_sd_configs), prometheus-rules.yaml (alert and recording rules, ConfigMap) and prometheus-operator/
(ServiceMonitor, PodMonitor, PrometheusRule):
  persia-metrics init --target kubernetes --job dlrm_v1.0 --gateways 4 --dir ./dlrm-metrics
`;

export function registerInitCommand(program: Command, context: CommandContext): void {
  program
    .command('init')
    .description('write a ready-to-run monitoring deployment for one training job (refuses to overwrite without --force)')
    .requiredOption('-j, --job <name>', 'job name: the job label of every series (letters, digits, _ . -)')
    .option('-d, --dir <dir>', 'directory to write into (created if missing)', parsePath, '.')
    .option('-f, --force', 'overwrite files that already exist')
    .option('--push-interval <seconds>', `push_interval_seconds of the nodes, ${pushIntervalRange()}; alert thresholds and the rule tests follow it`, parseSeconds, 10)
    .option('--second-job <name>', 'also write docker-compose.second-job.yml for a second job on the same host')
    .option('--remote-write-url <url>', 'also send every sample to a long-term store (http(s) remote_write URL, e.g. VictoriaMetrics /api/v1/write)')
    .option('--target <target>', 'what to write: compose (compose files, Prometheus, Grafana) or kubernetes (manifests)', choiceFlag(TARGETS), 'compose')
    .option('--gateways <n>', `gateway replicas for --target kubernetes (1-${MAX_GATEWAYS}); nodes shard over them`, integerFlag(1, MAX_GATEWAYS), 1)
    .option('--nodes <n>', 'nodes in the job: with --series-per-node, also print the gateways, cores and memory it needs (docs/capacity.md)', parsePositiveInteger)
    .option('--series-per-node <n>', 'series each node pushes (a histogram counts each bucket): with --nodes, print the sizing', parsePositiveInteger)
    .option('--json', 'print the files written (or the error) as one JSON document')
    .addHelpText('after', `${EXAMPLE}${EXIT_CODES_HELP} (2 also when files exist and --force is not given)`)
    .action(runAction(context, (flags: InitFlags) => init(flags, context)));
}

function init(flags: InitFlags, context: CommandContext): number {
  const options = resolveDeployOptions({ jobName: flags.job, pushIntervalSeconds: flags.pushInterval, remoteWriteUrl: flags.remoteWriteUrl }, flags.target);
  const dir = resolve(flags.dir);
  // Computed before anything is written, so a bad pair of options writes nothing; printed last.
  const advice = capacityAdvice({
    nodes: flags.nodes,
    seriesPerNode: flags.seriesPerNode,
    intervalSeconds: options.pushIntervalSeconds,
    gateways: flags.gateways,
    target: flags.target,
  });
  const result = flags.target === 'kubernetes' ? initKubernetes(options, dir, flags) : initCompose(options, dir, flags);
  if (flags.json === true) {
    const sizing = advice === '' ? null : advice.trim();
    context.stdout.write(`${JSON.stringify({ job: options.jobName, target: flags.target, dir, files: result.written, sizing }, null, 2)}\n`);
  } else {
    context.stdout.write(result.text + advice);
  }
  return 0;
}

/** What an init wrote, and the text telling the user what to do next. */
interface InitResult {
  readonly written: readonly string[];
  readonly text: string;
}

/** The job's sizing when --nodes and --series-per-node were given: gateways needed and whether their own consistency check fits (src/monitoring/consistency-check.ts). */
function jobSizing(options: DeployOptions, flags: InitFlags): { shards: ReturnType<typeof suggestGatewayShards>; check: ReturnType<typeof consistencyCheckAdvice> } | undefined {
  if (flags.nodes === undefined || flags.seriesPerNode === undefined) return undefined;
  const size = { nodes: flags.nodes, seriesPerNode: flags.seriesPerNode, intervalSeconds: options.pushIntervalSeconds };
  return { shards: suggestGatewayShards(size), check: consistencyCheckAdvice(size) };
}

function initCompose(options: DeployOptions, dir: string, flags: InitFlags): InitResult {
  if (flags.gateways !== 1) throw new DeployUsageError('--gateways applies to --target kubernetes (compose: see the sharding note in docker-compose.swarm.yml)');
  const check = jobSizing(options, flags)?.check.on === true;
  const written = writeDeployment(dir, renderInitDeployment(options, flags.secondJob, check), flags.force === true);
  const text =
    `wrote ${written.length} files for job "${options.jobName}" to ${dir}\n` +
    `nodes are stale after ${staleAfterSeconds(options)} s without a push\n` +
    (options.remoteWriteUrl === undefined ? '' : `Prometheus also sends every sample to ${options.remoteWriteUrl} (remote_write)\n`) +
    '\n' +
    'next:\n' +
    '  docker build -f docker/node/Dockerfile -t persia-metrics/node:local <persia-metrics checkout>\n' +
    '    (needs a git checkout of the persia-metrics repository: docker/ is not in the npm package)\n' +
    `  cd ${dir} && docker-compose up -d\n` +
    '  Grafana http://127.0.0.1:3000 · Prometheus http://127.0.0.1:9090 · gateway http://127.0.0.1:9091\n';
  return { written, text };
}

function initKubernetes(options: DeployOptions, dir: string, flags: InitFlags): InitResult {
  // Each names what the compose deployment does and the cluster's own Prometheus does instead.
  if (flags.secondJob !== undefined) throw new DeployUsageError('--second-job applies to --target compose (on Kubernetes run init once per job)');
  if (flags.remoteWriteUrl !== undefined)
    throw new DeployUsageError("--remote-write-url applies to --target compose (on Kubernetes set remote_write in your cluster's Prometheus)");
  // A job whose size was given gets gateway pods sized for it (the model's total over the replicas), and the
  // gateway's own consistency check where that size allows it.
  const sized = jobSizing(options, flags);
  const k8s =
    sized === undefined
      ? { gateways: flags.gateways }
      : {
          gateways: flags.gateways,
          // The check's cores on top, as capacity-advice.ts prints them.
          gatewayResources: gatewayResourcesFor(sized.shards.gatewayCores + (sized.check.on ? sized.check.cores : 0), sized.shards.gatewayGiB, flags.gateways),
          gatewayConsistencyCheck: sized.check.on,
        };
  const written = writeDeployment(dir, renderKubernetesDeployment(options, k8s), flags.force === true);
  const names = kubernetesNames(options.jobName);
  const text =
    `wrote ${written.length} files for job "${options.jobName}" to ${dir}/${KUBERNETES_DIR}\n` +
    `nodes push to ${gatewayAddress(names)} (${plural(flags.gateways, 'gateway replica')}, headless Service)\n` +
    (names.base === options.jobName
      ? ''
      : `object names start with ${names.base}-: "${options.jobName}" is no DNS label, so it is mapped and a hash of the exact name added (no other job's objects share them)\n`) +
    '\n' +
    'next:\n' +
    `  kubectl apply -n <namespace> -f ${dir}/${KUBERNETES_DIR}/global-config.yaml -f ${dir}/${KUBERNETES_DIR}/gateway.yaml\n` +
    `  Prometheus: merge ${KUBERNETES_DIR}/prometheus-scrape.yml, or apply ${KUBERNETES_DIR}/prometheus-operator/service-monitor.yaml\n` +
    `  alert and recording rules: ${KUBERNETES_DIR}/prometheus-rules.yaml (ConfigMap to mount), or ${KUBERNETES_DIR}/prometheus-operator/prometheus-rule.yaml, once per Prometheus, into its namespace rather than the job's (the file's header says why)\n` +
    `  nodes: see ${KUBERNETES_DIR}/nodes-example.yaml (build docker/node/Dockerfile from a git checkout of the persia-metrics repository, not in the npm package, and push it where the cluster pulls)\n`;
  return { written, text };
}
