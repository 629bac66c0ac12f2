/** `persia-metrics status --job NAME`: every node of the job as its gateway sees it (last push age, failures). */
import type { Command } from 'commander';
import { gatewayCredentials } from '../config/credentials.js';
import type { ResolvedConfig } from '../config/resolve.js';
import { DeployUsageError, StatusError } from '../errors.js';
import { connectDockerEngine } from '../discovery/docker-engine.js';
import { findGateways } from '../discovery/gateway-discovery.js';
import type { ApiGroup } from '../gateway/api.js';
import { GatewayClient } from '../gateway/client.js';
import { gatewayEndpoint, type GatewayEndpoint } from '../gateway/endpoint.js';
import { exactGroupingPaths } from '../gateway/group-identity.js';
import { probeScrape, type ScrapeHealth } from '../gateway/scrape-health.js';
import { scrapeDiagnosis, type ScrapeDiagnosis } from '../discovery/scrape-diagnosis.js';
import { FALLBACK_STALE_SECONDS, nodePaused, sparePausedJob } from '../monitoring/health.js';
import { DEFAULT_MONITORING_OPTIONS } from '../monitoring/options.js';
import { extraGroupingLabels, formatAge, markMovedNodes, type NodeStatus, type OtherGroupStatus, readJobGroups, shownInstance } from '../discovery/gateway-status.js';
import { runAction } from './kit/action.js';
import { commandConfig, groupName } from './kit/gateway-sweeps.js';
import type { CommandContext } from './kit/context.js';
import { gatewayBaseUrls as listedGateways, parseGatewayOption, parsePath, parseSeconds } from './kit/flags.js';
import { escapeControl, EXIT_CODES_HELP, EXIT_FAILURE, EXIT_OK, formatTable, plural, quoted, ShownCell } from './kit/output.js';

interface StatusFlags {
  job?: string;
  config?: string;
  gateway?: string;
  json?: boolean;
  staleAfter?: number;
  timeout: number;
}

const DETAILS = `
The job and the gateway resolve as a node's would (--config, else $PERSIA_GLOBAL_CONFIG; then
PERSIA_METRICS_* variables): --job, else job_name; --gateway, else gateway_addr when the file or the
environment sets it, else the published port of the container labelled persia.metrics.job=<job> found
through DOCKER_HOST. Several comma-separated gateways (replicas) are all read at once; a replica that cannot be read is
named on stderr and the others are still shown. A node found on two replicas is current on the one with
its newest push; the other group is marked LEFT (a failover left it behind). A group of the job that is
not a node (keyed by job alone and publishing no push interval: a batch job's last result) is listed apart
under "other groups", never stale. Exit code 1 also when a gateway could not be read, or when the gateways
hold no node of the job.
Each gateway's own /metrics (the page Prometheus scrapes) is probed too, and read as Prometheus reads
it: one group pushed with a type that clashes with another group's, or with a grouping value that is not
valid UTF-8, makes the whole page fail (500), and a family or label name Prometheus cannot read (a-b, an
le label of a histogram's own) makes a 200 page Prometheus cannot parse: either way Prometheus sees
nothing of any job there while every push is still accepted. A family named "" (or of a type the text
page cannot say) cuts the page short, though it still parses; a group holding a catalog family with
another type (a gauge index_miss_count) has the nodes' pushes of that family refused. Such a gateway is
named with the groups that break it (see \`persia-metrics repair\`), and the exit code is 1.
`;

export function registerStatusCommand(program: Command, context: CommandContext): void {
  program
    .command('status')
    .description(
      "show the job's nodes as its gateway sees them: role, instance, state (HUNG: pushing without progress; paused: stopped stepping on purpose), last push age, push failures, duplicate identities",
    )
    .option('-j, --job <name>', 'job name (the job label of the groups; default: job_name of the config)')
    .option('-c, --config <file>', 'global_config.yaml to read (default: $PERSIA_GLOBAL_CONFIG, else none)', parsePath)
    .option('-g, --gateway <host:port>', "the job's gateway (comma-separated for replicas)", parseGatewayOption)
    .option(
      '--stale-after <seconds>',
      `mark nodes whose last push is older than this (default: ${DEFAULT_MONITORING_OPTIONS.staleAfterIntervals} of the node's own push intervals; of the job's push_interval_seconds for a group that does not publish its interval, such as a PersiaML node: ${FALLBACK_STALE_SECONDS} s at the default)`,
      parseSeconds,
    )
    .option('--timeout <seconds>', 'give up reading a gateway after this long', parseSeconds, 5)
    .option('--json', 'print the nodes as JSON')
    .addHelpText('after', `${DETAILS}${EXIT_CODES_HELP}`)
    .action(runAction(context, (flags: StatusFlags) => status(flags, context)));
}

async function gatewayBaseUrls(job: string, flags: StatusFlags, config: ResolvedConfig): Promise<string[]> {
  // The built-in default (metrics_gateway:9091) names a container, not something this host can reach:
  // only an address somebody set is used; otherwise the engine is asked where the job's gateway listens.
  if (flags.gateway !== undefined) return listedGateways(flags.gateway); // a gateway listed twice, however spelt, is read once
  if (config.origins.gatewayAddr.source !== 'default') return config.gateways.map((address) => address.baseUrl); // each gateway once (loadConfig)
  const found = await findGateways(await connectDockerEngine(), { job });
  const published = found.map((g) => g.published).filter((p): p is string => p !== undefined);
  if (published.length === 0) {
    throw new StatusError(`no gateway of job "${job}" with a published port found; pass --gateway host:port`);
  }
  return published.map((address) => `http://${address}`);
}

/** What one replica answered: its nodes of the job, or why it could not be read. */
interface GatewayRead {
  readonly gateway: string;
  readonly ok: boolean;
  readonly nodes: number;
  /** The job's groups there that are not nodes (OtherGroupStatus). */
  readonly otherGroups: number;
  readonly error?: string;
  /** Prometheus's view of it: whether its /metrics answers, and which groups break it. */
  readonly scrape?: ScrapeDiagnosis;
}

/** The groups of one gateway and its /metrics probe, with one client. */
async function readGateway(endpoint: GatewayEndpoint): Promise<{ groups: ApiGroup[]; scrape: ScrapeHealth | Error }> {
  const client = new GatewayClient(endpoint);
  try {
    const [groups, scrape] = await Promise.all([client.groups(), probeScrape(client).catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))))]);
    return { groups, scrape };
  } finally {
    await client.close();
  }
}

/** host:port of a base URL, as the user wrote it in PERSIA_METRICS_GATEWAY_ADDR. */
function shortGateway(baseUrl: string): string {
  return baseUrl.replace(/^http:\/\//, '');
}

async function status(flags: StatusFlags, context: CommandContext): Promise<number> {
  const config = commandConfig(flags.config, flags.gateway, context);
  if (flags.job !== undefined && flags.job.trim() === '') throw new DeployUsageError('--job is empty: give the job name, or leave it out to use job_name of the config');
  const job = flags.job ?? config.options.jobName;
  const bases = await gatewayBaseUrls(job, flags, config);
  // Every replica is read at once, and one that is down or hung (within --timeout) does not hide the others.
  // A secured gateway is read with the credentials its nodes push with (PERSIA_METRICS_BASIC_AUTH_*, bearer, CA).
  const access = gatewayCredentials(config.options);
  const results = await Promise.allSettled(bases.map((base) => readGateway(gatewayEndpoint(base, { timeoutSeconds: flags.timeout, access }))));
  const gateways: GatewayRead[] = [];
  const read: NodeStatus[] = [];
  const otherGroups: OtherGroupStatus[] = [];
  results.forEach((result, index) => {
    const gateway = shortGateway(bases[index] ?? '');
    if (result.status === 'rejected') {
      gateways.push({ gateway, ok: false, nodes: 0, otherGroups: 0, error: result.reason instanceof Error ? result.reason.message : String(result.reason) });
      return;
    }
    const { groups, scrape } = result.value;
    const found = readJobGroups(groups, {
      job,
      nowSeconds: context.now() / 1000,
      ...(flags.staleAfter === undefined ? {} : { staleAfterSeconds: flags.staleAfter }),
      staleAfterIntervals: DEFAULT_MONITORING_OPTIONS.staleAfterIntervals,
      statedPushIntervalSeconds: config.options.pushIntervalSeconds,
      gateway,
      // Groups the JSON API shows alike (bytes that are not UTF-8 as U+FFFD) are told apart by the scrape's 500.
      ...(scrape instanceof Error || scrape.ok ? {} : { exactPaths: exactGroupingPaths(groups, scrape.problems) }),
    });
    gateways.push({ gateway, ok: true, nodes: found.nodes.length, otherGroups: found.otherGroups.length, scrape: scrapeDiagnosis(groups, scrape) });
    read.push(...found.nodes);
    otherGroups.push(...found.otherGroups);
  });
  const failed = gateways.filter((g) => !g.ok);
  if (failed.length === gateways.length) {
    throw new StatusError(failed.map((g) => g.error).join('; '));
  }
  // Every replica's nodes first: a paused trainer on one spares its waiting peers on the others.
  const nodes = sparePausedJob(markMovedNodes(read));
  if (flags.json) {
    context.stdout.write(`${JSON.stringify({ job, gateways, nodes, otherGroups }, null, 2)}\n`);
  } else {
    if (nodes.length > 0) context.stdout.write(nodeTable(job, nodes));
    if (otherGroups.length > 0) context.stdout.write(otherGroupTable(job, otherGroups));
    context.stdout.write(`${nodes.length > 0 ? '' : '\n'}read ${gateways.length === 1 ? 'gateway' : `${gateways.length} gateways`}: ${gateways.map(describeRead).join(', ')}\n`);
  }
  for (const g of failed) context.stderr.write(`persia-metrics: error: gateway ${g.gateway} not read (${escapeControl(g.error ?? 'unknown')}); its nodes are missing above\n`);
  // A gateway whose page answers but where a group holds a catalog family with another type is broken too: for that family's pushes.
  const blind = gateways.filter((g) => g.scrape !== undefined && (!g.scrape.ok || g.scrape.breakingGroups.length > 0));
  for (const g of blind) context.stderr.write(blindGateway(g));
  if (nodes.length === 0) {
    const others = otherGroups.length === 0 ? '' : ` (only ${plural(otherGroups.length, 'other group')}, not nodes)`;
    context.stderr.write(`persia-metrics: no node of job ${quoted(job)} on the gateway${gateways.length === 1 ? '' : 's'}${others}\n`);
  }
  return nodes.length === 0 || failed.length > 0 || blind.length > 0 ? EXIT_FAILURE : EXIT_OK;
}

function describeRead(read: GatewayRead): string {
  if (!read.ok) return `${read.gateway} (NOT READ)`;
  const others = read.otherGroups === 0 ? '' : `, ${plural(read.otherGroups, 'other group')}`;
  return `${read.gateway} (${plural(read.nodes, 'node')}${others}${read.scrape?.ok === false ? ', NOT SCRAPABLE' : ''})`;
}

/** Why Prometheus sees nothing of this gateway, and what to do about it. */
function blindGateway(read: GatewayRead): string {
  const scrape = read.scrape;
  if (scrape === undefined) return '';
  const head = scrape.ok
    ? `persia-metrics: error: gateway ${read.gateway} answers 200 on /metrics and it parses, but groups on it cut that page short or have the nodes' pushes of a catalog family refused\n`
    : scrape.statusCode === 0
      ? `persia-metrics: error: the /metrics page of gateway ${read.gateway} could not be read (${scrape.detail}): Prometheus may see none of its jobs\n`
      : `persia-metrics: error: gateway ${read.gateway} answers ${scrape.statusCode} on /metrics (${scrape.detail}): Prometheus scrapes nothing of any job there, though pushes are accepted\n`;
  const groups = scrape.breakingGroups.map((group) => `persia-metrics:   broken by group ${groupName(group)}: ${group.problems.join('; ')}\n`);
  const fix =
    scrape.breakingGroups.length > 0 ? `persia-metrics:   \`persia-metrics repair --gateway ${read.gateway}\` deletes ${scrape.breakingGroups.length === 1 ? 'it' : 'them'}\n` : '';
  return head + groups.join('') + fix;
}

function nodeTable(job: string, nodes: readonly NodeStatus[]): string {
  const rows = nodes.map((n) => [
    n.role,
    // A group pushed under more labels than job/role/instance is another node: its extra labels say which.
    new ShownCell([shownInstance(n), ...extraGroupingLabels(n)].join(' ')),
    n.condition === 'stopped' ? 'stopped' : n.hung ? `${n.state ?? '-'} HUNG (no progress for ${formatAge(n.progressAgeSeconds)})` : (n.state ?? '-'),
    formatAge(n.lastPushAgeSeconds) + (n.stale ? ' STALE' : ''),
    n.lastPushSuccessful ? 'accepted' : 'REJECTED',
    (n.pushFailures === undefined ? '-' : String(n.pushFailures)) + (n.sourceFailures ? ` (+${n.sourceFailures} source)` : ''),
    n.duplicateIdentity ? 'DUPLICATE' : 'ok',
    n.gateway + (n.movedTo === undefined ? '' : ` (LEFT: now on ${n.movedTo})`),
  ]);
  const table = `${formatTable(['ROLE', 'INSTANCE', 'STATE', 'LAST PUSH', 'LAST PUSH RESULT', 'PUSH FAILURES', 'IDENTITY', 'GATEWAY'], rows)}\n`;
  const stale = nodes.filter((n) => n.stale).length;
  const stopped = nodes.filter((n) => n.condition === 'stopped').length;
  const duplicated = nodes.filter((n) => n.duplicateIdentity).length;
  const left = nodes.filter((n) => n.movedTo !== undefined).length;
  const current = nodes.length - left;
  const hung = nodes.filter((n) => n.hung).length;
  const notes = [`${stale} stale`];
  if (hung > 0) notes.push(`${hung} hung (pushing, but no step or time cost for at least one push interval)`);
  const paused = nodes.filter(nodePaused).length;
  if (paused > 0) notes.push(`${paused} paused (stopped stepping on purpose: a checkpoint, an evaluation; not hung)`);
  if (stopped > 0) notes.push(`${stopped} stopped (shut down cleanly; \`expire\` or \`end-job\` removes their groups)`);
  if (duplicated > 0) notes.push(`${duplicated} pushed by more than one process or thread (see IDENTITY)`);
  const sources = nodes.filter((n) => (n.sourceFailures ?? 0) > 0).length;
  if (sources > 0) notes.push(`${sources} with scraped sources left out of pushes that landed (+N source under PUSH FAILURES: not failed pushes)`);
  if (left > 0) notes.push(`${left} group${left === 1 ? '' : 's'} left behind on a replica the node moved away from (see GATEWAY)`);
  return `${table}\n${plural(current, 'node')} of job ${quoted(job)}, ${notes.join(', ')}\n`;
}

/**
 * The job's groups that are not nodes (keyed by job alone, no push interval: src/monitoring/view-contract.ts,
 * isNodeGroup), apart from the nodes: no state, never stale, and no alert or expiry judges them as nodes.
 */
function otherGroupTable(job: string, groups: readonly OtherGroupStatus[]): string {
  const rows = groups.map((g) => [
    new ShownCell(groupName(g.exactPath === undefined ? { labels: g.groupingKey } : { labels: g.groupingKey, exactPath: g.exactPath })),
    formatAge(g.lastPushAgeSeconds),
    g.lastPushSuccessful ? 'accepted' : 'REJECTED',
    g.gateway,
  ]);
  const table = formatTable(['GROUPING KEY', 'LAST PUSH', 'LAST PUSH RESULT', 'GATEWAY'], rows);
  const them = groups.length === 1 ? 'it' : 'them';
  return (
    `\n${plural(groups.length, 'other group')} of job ${quoted(job)} (no instance, no push interval: not ${groups.length === 1 ? 'a node' : 'nodes'}; ` +
    `never stale, no alert; \`expire\` keeps ${them} unless --include-other-pushers)\n` +
    `${table}\n`
  );
}
