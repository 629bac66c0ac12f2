/** `persia-metrics status --job NAME`: every node of the job as its gateway sees it (last push age, failures). */
import type { Command } from 'commander';
import { parseGatewayList } from '../config/gateway-address.js';
import { DeployUsageError, StatusError } from '../errors.js';
import { connectDockerEngine } from '../discovery/docker-engine.js';
import { findGateways } from '../discovery/gateway-discovery.js';
import { fetchGatewayGroups } from '../discovery/gateway-api.js';
import { formatAge, type NodeStatus, summarizeGroups } from '../discovery/gateway-status.js';
import { parseSeconds } from './option-parsers.js';
import { formatTable } from './text-table.js';
import { EXIT_CODES_HELP, runAction } from './run-command.js';

interface StatusFlags {
  job: string;
  gateway?: string;
  json?: boolean;
  staleAfter: number;
  timeout: number;
}

const DETAILS = `
The gateway is --gateway, else PERSIA_METRICS_GATEWAY_ADDR, else the published port of the container
labelled persia.metrics.job=<job> found through DOCKER_HOST. Several comma-separated gateways (replicas)
are all read. Exit code 1 also when the gateway holds no node of the job.
`;

export function registerStatusCommand(program: Command): void {
  program
    .command('status')
    .description("show the job's nodes as its gateway sees them: role, instance, state, last push age, push failures, duplicate identities")
    .requiredOption('-j, --job <name>', 'job name (the job label of the groups)')
    .option('-g, --gateway <host:port>', 'the job\'s gateway (comma-separated for replicas)')
    .option('--stale-after <seconds>', 'mark nodes whose last push is older than this', parseSeconds, 60)
    .option('--timeout <seconds>', 'give up reading a gateway after this long', parseSeconds, 5)
    .option('--json', 'print the nodes as JSON')
    .addHelpText('after', `${DETAILS}${EXIT_CODES_HELP}`)
    .action(runAction((flags: StatusFlags) => status(flags)));
}

async function gatewayBaseUrls(flags: StatusFlags): Promise<string[]> {
  const text = flags.gateway ?? process.env['PERSIA_METRICS_GATEWAY_ADDR'];
  if (text !== undefined && text.trim() !== '') {
    const { addresses, error } = parseGatewayList(text);
    if (addresses === undefined) throw new DeployUsageError(`gateway address: ${error ?? 'invalid'}`);
    return addresses.map((address) => address.baseUrl);
  }
  const found = await findGateways(await connectDockerEngine(), { job: flags.job });
  const published = found.map((g) => g.published).filter((p): p is string => p !== undefined);
  if (published.length === 0) {
    throw new StatusError(`no gateway of job "${flags.job}" with a published port found; pass --gateway host:port`);
  }
  return published.map((address) => `http://${address}`);
}

async function status(flags: StatusFlags): Promise<number> {
  const nodes: NodeStatus[] = [];
  for (const base of await gatewayBaseUrls(flags)) {
    const groups = await fetchGatewayGroups(base, flags.timeout);
    nodes.push(...summarizeGroups(groups, { job: flags.job, nowSeconds: Date.now() / 1000, staleAfterSeconds: flags.staleAfter, gateway: base }));
  }
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ job: flags.job, nodes }, null, 2)}\n`);
  } else if (nodes.length > 0) {
    const rows = nodes.map((n) => [
      n.role, n.instance, n.state ?? '-', formatAge(n.lastPushAgeSeconds) + (n.stale ? ' STALE' : ''),
      n.lastPushSuccessful ? 'ok' : 'REJECTED', n.pushFailures === undefined ? '-' : String(n.pushFailures),
      n.duplicateIdentity ? 'DUPLICATE' : 'ok',
    ]);
    process.stdout.write(`${formatTable(['ROLE', 'INSTANCE', 'STATE', 'LAST PUSH', 'GATEWAY', 'PUSH FAILURES', 'IDENTITY'], rows)}\n`);
    const stale = nodes.filter((n) => n.stale).length;
    const duplicated = nodes.filter((n) => n.duplicateIdentity).length;
    process.stdout.write(`\n${nodes.length} nodes of job "${flags.job}", ${stale} stale${duplicated > 0 ? `, ${duplicated} pushed by more than one process (see IDENTITY)` : ''}\n`);
  }
  if (nodes.length === 0) {
    process.stderr.write(`persia-metrics: no node of job "${flags.job}" on the gateway\n`);
    return 1;
  }
  return 0;
}
