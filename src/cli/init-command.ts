/** `persia-metrics init`: write a ready-to-run deployment (compose, Prometheus, alerts, Grafana) for one job. */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { resolveDeployOptions, staleAfterSeconds } from '../deploy/deploy-options.js';
import { renderInitDeployment } from '../deploy/render-deployment.js';
import { writeDeployment } from '../deploy/write-deployment.js';
import { parseSeconds, parsePath } from './option-parsers.js';
import { EXIT_CODES_HELP, runAction } from './run-command.js';

interface InitFlags {
  job: string;
  dir: string;
  force?: boolean;
  pushInterval: number;
  secondJob?: string;
  remoteWriteUrl?: string;
}

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
  cd dlrm-metrics && docker-compose up -d     # Grafana at http://127.0.0.1:3000
`;

export function registerInitCommand(program: Command): void {
  program
    .command('init')
    .description('write a ready-to-run monitoring deployment for one training job (refuses to overwrite without --force)')
    .requiredOption('-j, --job <name>', 'job name: the job label of every series (letters, digits, _ . -)')
    .option('-d, --dir <dir>', 'directory to write into (created if missing)', parsePath, '.')
    .option('-f, --force', 'overwrite files that already exist')
    .option('--push-interval <seconds>', 'push_interval_seconds of the nodes; alert thresholds follow it', parseSeconds, 10)
    .option('--second-job <name>', 'also write docker-compose.second-job.yml for a second job on the same host')
    .option('--remote-write-url <url>', 'also send every sample to a long-term store (http(s) remote_write URL, e.g. VictoriaMetrics /api/v1/write)')
    .addHelpText('after', `${EXAMPLE}${EXIT_CODES_HELP} (2 also when files exist and --force is not given)`)
    .action(runAction((flags: InitFlags) => init(flags)));
}

function init(flags: InitFlags): number {
  const options = resolveDeployOptions({ jobName: flags.job, pushIntervalSeconds: flags.pushInterval, remoteWriteUrl: flags.remoteWriteUrl });
  const dir = resolve(flags.dir);
  const written = writeDeployment(dir, renderInitDeployment(options, flags.secondJob), flags.force === true);
  process.stdout.write(
    `wrote ${written.length} files for job "${options.jobName}" to ${dir}\n` +
      `nodes are stale after ${staleAfterSeconds(options)} s without a push\n` +
      (options.remoteWriteUrl === undefined ? '' : `Prometheus also sends every sample to ${options.remoteWriteUrl} (remote_write)\n`) +
      '\n' +
      'next:\n' +
      '  docker build -f docker/node/Dockerfile -t persia-metrics/node:local <persia-metrics checkout>\n' +
      `  cd ${dir} && docker-compose up -d\n` +
      '  Grafana http://127.0.0.1:3000 · Prometheus http://127.0.0.1:9090 · gateway http://127.0.0.1:9091\n',
  );
  return 0;
}
