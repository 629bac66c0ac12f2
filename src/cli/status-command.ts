/** `persia-metrics status --job NAME`: every node of the job as its gateway sees it (last push age, failures). */
import type { Command } from 'commander';
import { parseGatewayList } from '../config/gateway-address.js';
import { loadConfig, type ResolvedConfig } from '../config/resolve.js';
import { DeployUsageError, StatusError } from '../errors.js';
import { connectDockerEngine } from '../discovery/docker-engine.js';
import { findGateways } from '../discovery/gateway-discovery.js';
import { fetchGatewayGroups } from '../discovery/gateway-api.js';
import { formatAge, type NodeStatus, summarizeGroups } from '../discovery/gateway-status.js';
import { parseSeconds, parsePath } from './option-parsers.js';
import { formatTable } from './text-table.js';
import { EXIT_CODES_HELP, runAction } from './run-command.js';

interface StatusFlags {
  job?: string;
  config?: string;
  gateway?: string;
  json?: boolean;
  staleAfter: number;
  timeout: number;
}

const DETAILS = `
The job and the gateway resolve as a node's would (--config, else $PERSIA_GLOBAL_CONFIG; then
PERSIA_METRICS_* variables): --job, else job_name; --gateway, else gateway_addr when the file or the
environment sets it, else the published port of the container labelled persia.metrics.job=<job> found
through DOCKER_HOST. Several comma-separated gateways (replicas) are all read. Exit code 1 also when the
gateway holds no node of the job.
`;

export function registerStatusCommand(program: Command): void {
  program
    .command('status')
    .description("show the job's nodes as its gateway sees them: role, instance, state, last push age, push failures, duplicate identities")
    .option('-j, --job <name>', 'job name (the job label of the groups; default: job_name of the config)')
    .option('-c, --config <file>', 'global_config.yaml to read (default: $PERSIA_GLOBAL_CONFIG, else none)', parsePath)
    .option('-g, --gateway <host:port>', "the job's gateway (comma-separated for replicas)")
    .option('--stale-after <seconds>', 'mark nodes whose last push is older than this', parseSeconds, 60)
    .option('--timeout <seconds>', 'give up reading a gateway after this long', parseSeconds, 5)
    .option('--json', 'print the nodes as JSON')
    .addHelpText('after', `${DETAILS}${EXIT_CODES_HELP}`)
    .action(runAction((flags: StatusFlags) => status(flags)));
}

async function gatewayBaseUrls(job: string, flags: StatusFlags, config: ResolvedConfig): Promise<string[]> {
  // The built-in default (metrics_gateway:9091) names a container, not something this host can reach:
  // only an address somebody set is used; otherwise the engine is asked where the job's gateway listens.
  if (flags.gateway !== undefined && flags.gateway.trim() !== '') {
    const { addresses, error } = parseGatewayList(flags.gateway);
    if (addresses === undefined) throw new DeployUsageError(`gateway address: ${error ?? 'invalid'}`);
    return [...new Set(addresses.map((address) => address.baseUrl))]; // a gateway listed twice is read once
  }
  if (config.origins.gatewayAddr.source !== 'default') return [...new Set(config.gateways.map((address) => address.baseUrl))];
  const found = await findGateways(await connectDockerEngine(), { job });
  const published = found.map((g) => g.published).filter((p): p is string => p !== undefined);
  if (published.length === 0) {
    throw new StatusError(`no gateway of job "${job}" with a published port found; pass --gateway host:port`);
  }
  return published.map((address) => `http://${address}`);
}

async function status(flags: StatusFlags): Promise<number> {
  const config = loadConfig({ file: flags.config });
  const job = flags.job ?? config.options.jobName;
  const nodes: NodeStatus[] = [];
  for (const base of await gatewayBaseUrls(job, flags, config)) {
    const groups = await fetchGatewayGroups(base, flags.timeout);
    nodes.push(...summarizeGroups(groups, { job, nowSeconds: Date.now() / 1000, staleAfterSeconds: flags.staleAfter, gateway: base }));
  }
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ job, nodes }, null, 2)}\n`);
  } else if (nodes.length > 0) {
    const rows = nodes.map((n) => [
      n.role,
      n.instance,
      n.state ?? '-',
      formatAge(n.lastPushAgeSeconds) + (n.stale ? ' STALE' : ''),
      n.lastPushSuccessful ? 'ok' : 'REJECTED',
      n.pushFailures === undefined ? '-' : String(n.pushFailures),
      n.duplicateIdentity ? 'DUPLICATE' : 'ok',
    ]);
    process.stdout.write(`${formatTable(['ROLE', 'INSTANCE', 'STATE', 'LAST PUSH', 'GATEWAY', 'PUSH FAILURES', 'IDENTITY'], rows)}\n`);
    const stale = nodes.filter((n) => n.stale).length;
    const duplicated = nodes.filter((n) => n.duplicateIdentity).length;
    process.stdout.write(`\n${nodes.length} nodes of job "${job}", ${stale} stale${duplicated > 0 ? `, ${duplicated} pushed by more than one process (see IDENTITY)` : ''}\n`);
  }
  if (nodes.length === 0) {
    process.stderr.write(`persia-metrics: no node of job "${job}" on the gateway\n`);
    return 1;
  }
  return 0;
}
