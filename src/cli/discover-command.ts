/** `persia-metrics discover`: find job gateways by container label and write Prometheus file_sd target files. */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { connectDockerEngine } from '../discovery/docker-engine.js';
import { type AddressKind, renderFileSd, writeFileSd } from '../discovery/file-sd.js';
import { findGateways, type GatewayEndpoint } from '../discovery/gateway-discovery.js';
import { runAction } from './kit/action.js';
import type { CommandContext } from './kit/context.js';
import { choiceFlag } from './kit/flags.js';
import { EXIT_CODES_HELP, escapeControl, formatTable } from './kit/output.js';

interface DiscoverFlags {
  out: string;
  address: AddressKind;
  host: string;
  job?: string;
  prune: boolean;
  print?: boolean;
  json?: boolean;
}

const DETAILS = `
Looks for containers (and swarm services, on a manager) labelled persia.metrics.gateway=true; the job name
comes from the persia.metrics.job label. The engine is the one DOCKER_HOST names (Podman:
DOCKER_HOST=unix:///run/podman/podman.sock), else /var/run/docker.sock.

Writes one <out>/gateway-<job>.json per job, which prometheus.yml reads through file_sd_configs
(targets/*.json); Prometheus notices changes by itself. Run it from cron or a loop to follow the jobs.

Addresses:
  published  host:port of the gateway's published port (default; for a Prometheus on the host)
  internal   container-ip:9091 on each network (for a Prometheus on the same Docker network)
`;

export function registerDiscoverCommand(program: Command, context: CommandContext): void {
  program
    .command('discover')
    .description('find job gateways by container label and write Prometheus file_sd target files')
    .option('-o, --out <dir>', 'directory for the target files', 'config/prometheus/targets')
    .option('--address <kind>', 'published | internal', choiceFlag(['published', 'internal']), 'published')
    .option('--host <host>', 'host for ports published on all interfaces', '127.0.0.1')
    .option('-j, --job <name>', 'only gateways of this job')
    .option('--no-prune', 'keep gateway-*.json files of jobs that are no longer found')
    .option('--print', 'print the target files instead of writing them')
    .option('--json', 'print the gateways found as JSON')
    .addHelpText('after', `${DETAILS}${EXIT_CODES_HELP}`)
    .action(runAction(context, (flags: DiscoverFlags) => discover(flags, context)));
}

async function discover(flags: DiscoverFlags, context: CommandContext): Promise<number> {
  const kind = flags.address;
  const gateways = await findGateways(await connectDockerEngine(), { host: flags.host, ...(flags.job === undefined ? {} : { job: flags.job }) });
  const { files, skipped } = renderFileSd(gateways, kind);
  for (const gateway of skipped) {
    context.stderr.write(`persia-metrics: warning: gateway ${escapeControl(gateway.name)} (job ${escapeControl(gateway.job)}) has no ${kind} address; skipped\n`);
  }
  // Files are written before anything is printed: under --json a failed write must leave stdout holding
  // only the error document (src/cli/kit/action.ts), not the gateways and then the error.
  // An unfiltered run that found nothing prunes every old file: the gateways are gone.
  const { written, removed } = flags.print ? { written: [], removed: [] } : writeFileSd(resolve(flags.out), files, flags.prune && flags.job === undefined);
  if (flags.json) {
    // null, not a missing key, for a gateway that publishes no port.
    context.stdout.write(
      `${JSON.stringify(
        gateways.map((gateway) => ({ ...gateway, published: gateway.published ?? null })),
        null,
        2,
      )}\n`,
    );
  } else if (!flags.print) {
    context.stdout.write(`${describe(gateways)}\n`);
  }
  if (flags.print) {
    for (const [file, text] of files) context.stdout.write(`# ${escapeControl(file)}\n${text}`);
    return 0;
  }
  if (!flags.json) {
    for (const path of written) context.stdout.write(`wrote ${escapeControl(path)}\n`);
    for (const path of removed) context.stdout.write(`removed ${escapeControl(path)}\n`);
  }
  return 0;
}

function describe(gateways: readonly GatewayEndpoint[]): string {
  if (gateways.length === 0) return 'no gateway found (no running container labelled persia.metrics.gateway=true)';
  return formatTable(
    ['JOB', 'GATEWAY', 'KIND', 'PUBLISHED', 'INTERNAL'],
    gateways.map((g) => [g.job, g.name, g.kind, g.published ?? '-', g.internal.join(',') || '-']),
  );
}
