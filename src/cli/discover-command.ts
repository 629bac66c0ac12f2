/** `persia-metrics discover`: find job gateways by container label and write Prometheus file_sd target files. */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { DeployUsageError } from '../errors.js';
import { connectDockerEngine } from '../discovery/docker-engine.js';
import { type AddressKind, renderFileSd, writeFileSd } from '../discovery/file-sd.js';
import { findGateways, type GatewayEndpoint } from '../discovery/gateway-discovery.js';
import { formatTable } from './text-table.js';
import { EXIT_CODES_HELP, runAction } from './run-command.js';

interface DiscoverFlags {
  out: string;
  address: string;
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

export function registerDiscoverCommand(program: Command): void {
  program
    .command('discover')
    .description('find job gateways by container label and write Prometheus file_sd target files')
    .option('-o, --out <dir>', 'directory for the target files', 'config/prometheus/targets')
    .option('--address <kind>', 'published | internal', 'published')
    .option('--host <host>', 'host for ports published on all interfaces', '127.0.0.1')
    .option('-j, --job <name>', 'only gateways of this job')
    .option('--no-prune', 'keep gateway-*.json files of jobs that are no longer found')
    .option('--print', 'print the target files instead of writing them')
    .option('--json', 'print the gateways found as JSON')
    .addHelpText('after', `${DETAILS}${EXIT_CODES_HELP}`)
    .action(runAction((flags: DiscoverFlags) => discover(flags)));
}

async function discover(flags: DiscoverFlags): Promise<number> {
  if (flags.address !== 'published' && flags.address !== 'internal') {
    throw new DeployUsageError(`--address must be "published" or "internal", found "${flags.address}"`);
  }
  const kind: AddressKind = flags.address;
  const gateways = await findGateways(await connectDockerEngine(), { host: flags.host, ...(flags.job === undefined ? {} : { job: flags.job }) });
  const { files, skipped } = renderFileSd(gateways, kind);
  for (const gateway of skipped) {
    process.stderr.write(`persia-metrics: warning: gateway ${gateway.name} (job ${gateway.job}) has no ${kind} address; skipped\n`);
  }
  // Files are written before anything is printed: under --json a failed write must leave stdout holding
  // only the error document (src/cli/run-command.ts), not the gateways and then the error.
  // An unfiltered run that found nothing prunes every old file: the gateways are gone.
  const { written, removed } = flags.print ? { written: [], removed: [] } : writeFileSd(resolve(flags.out), files, flags.prune && flags.job === undefined);
  if (flags.json) {
    // null, not a missing key, for a gateway that publishes no port.
    process.stdout.write(
      `${JSON.stringify(
        gateways.map((gateway) => ({ ...gateway, published: gateway.published ?? null })),
        null,
        2,
      )}\n`,
    );
  } else if (!flags.print) {
    process.stdout.write(`${describe(gateways)}\n`);
  }
  if (flags.print) {
    for (const [file, text] of files) process.stdout.write(`# ${file}\n${text}`);
    return 0;
  }
  if (!flags.json) {
    for (const path of written) process.stdout.write(`wrote ${path}\n`);
    for (const path of removed) process.stdout.write(`removed ${path}\n`);
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
