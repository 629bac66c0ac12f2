/**
 * `persia-metrics agent --role ROLE --scrape URL [--scrape URL ...]`: one node whose metrics are what local
 * /metrics endpoints serve (a Python trainer's prometheus_client, dcgm-exporter's GPUs), pushed under the
 * node's identity through the library's pusher. It reads the configuration a node reads (global_config.yaml,
 * the environment), scrapes each endpoint at every push (src/push/scrape-source.ts) and runs until
 * SIGINT/SIGTERM, then shuts down as a node does: a final push, and the DELETE when configured.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { ConfigError, UsageError } from '../errors.js';
import { redactUrl } from '../gateway/address.js';
import { KeepAlive } from '../gateway/keep-alive.js';
import { NODE_ROLES, type NodeRole } from '../metrics/catalog.js';
import { checkProgressSource } from '../metrics/progress.js';
import { startNodeMetrics } from '../node-metrics.js';
import { checkScrapeUrl, DEFAULT_SCRAPE_MAX_BYTES, repeatedEndpoint, scrapeSource } from '../push/scrape-source.js';
import { runAction } from './kit/action.js';
import type { CommandContext } from './kit/context.js';
import { integerFlag, optionFlag, parseGatewayOption, parsePath, repeatable } from './kit/flags.js';
import { EXIT_CODES_HELP, EXIT_OK } from './kit/output.js';
import { runUntilSignal, stopped } from './kit/until-signal.js';

interface AgentFlags {
  role?: NodeRole;
  scrape?: string[];
  config?: string;
  gateway?: string;
  maxScrapeBytes: number;
  progress?: string;
}

const DETAILS = `
Each --scrape endpoint is read at every push, under the push timeout (push_timeout_seconds), as OpenMetrics
or text 0.0.4, and its families join the node's push. An endpoint that is down, slow, answers an error, a
page over --max-scrape-bytes or one that is not exposition text is left out of that push alone, reported
once and counted in persia_metrics_push_failures_total{reason="extra_source"}; it is pushed again as soon
as it answers. A family named like one of the catalog's (lookup_rpc_time_cost, say) is pushed when it has
the catalog's type and labels, and feeds the dashboards and slowdown scores as a library node's does; one
with another type or labels, one an earlier endpoint writes, or with a job, role or instance label, is
reported once and left out (counted in persia_metrics_extra_source_families_left_out, not as a push
failure). A user:password@ in a --scrape URL is sent as basic auth and never printed; each endpoint once. The agent pushes none of the catalog's families itself, only the node's health
(state, interval, incarnation, push failures; the progress age with --progress), and not its own Node.js
runtime: the node is the scraped process. Job, gateway, replicas, interval and credentials come from the
configuration as for any node (see \`persia-metrics check\`); identity from REPLICA_INDEX, REPLICA_SIZE,
PERSIA_METRICS_INSTANCE.

Progress: --progress FAMILY names a counter of the scraped pages (a trainer's step counter, e.g.
train_steps_total; the sum of its samples), or a histogram (its observations, the _count samples), whose
rise is the node's progress: persia_node_progress_age_seconds is pushed from it, and a trainer whose counter
stops while it keeps serving is called HUNG by status and PersiaNodeHung. Until the family first shows, the
age counts from the agent's start: a family no page carries (a typo) is said once and the node turns HUNG;
a gauge is refused by name. Without --progress the agent cannot know the node's progress and pushes neither
persia_node_progress_age_seconds nor persia_node_steps_total: hang detection is off for that node.

Example (a trainer rank and its GPUs):
  persia-metrics agent --role trainer --scrape http://127.0.0.1:8000/metrics --scrape http://127.0.0.1:9400/metrics`;

export function registerAgentCommand(program: Command, context: CommandContext): void {
  program
    .command('agent')
    .description('push local /metrics endpoints (a Python trainer, dcgm-exporter) as one node, until stopped')
    .option('--role <role>', `node role: ${NODE_ROLES.join(', ')}`, optionFlag('role'))
    .option(
      '--scrape <url>',
      'a /metrics endpoint to scrape at each push (repeat for more)',
      repeatable((text) => text),
    )
    .option('-c, --config <file>', 'global_config.yaml to read', parsePath)
    .option('--gateway <host:port>', 'the gateway, over the file and PERSIA_METRICS_GATEWAY_ADDR', parseGatewayOption)
    .option('--progress <family>', "a counter family of the scraped pages whose rise is the node's progress (hang detection)", progressFamily)
    .option('--max-scrape-bytes <bytes>', 'the largest page read from one endpoint', integerFlag(1024, 2 ** 30), DEFAULT_SCRAPE_MAX_BYTES)
    .addHelpText('after', `${DETAILS}\n${EXIT_CODES_HELP}`)
    .action(runAction(context, (flags: AgentFlags) => runAgent(flags, context)));
}

async function runAgent(flags: AgentFlags, context: CommandContext): Promise<number> {
  if (flags.scrape === undefined) throw new UsageError('agent needs at least one --scrape URL (the /metrics endpoint of a process on this node)');
  const urls = flags.scrape.map(scrapeUrl);
  const repeated = repeatedEndpoint(urls);
  if (repeated !== undefined) {
    const [first, again] = repeated.map((index) => redactUrl(flags.scrape?.[index] ?? ''));
    throw new UsageError(
      `option '--scrape <url>' names one endpoint twice ('${first}' and '${again}'): give each endpoint once (scraped twice, every family of its page clashes with itself)`,
    );
  }
  const sources = urls.map((url) => scrapeSource(url, { maxBytes: flags.maxScrapeBytes }));
  try {
    const node = startNodeMetrics({
      file: flags.config,
      env: context.env,
      options: {
        ...(flags.role === undefined ? {} : { role: flags.role }),
        ...(flags.gateway === undefined ? {} : { gatewayAddr: flags.gateway }),
      },
      // The node's metrics are the scraped pages': of the catalog it records only its own health.
      catalog: 'health',
      extraSources: sources,
      progress: flags.progress === undefined ? false : { family: flags.progress },
    });
    if (!node.enabled) throw new UsageError('enable_metrics is false in the configuration: the agent would push nothing');
    const { job, role, instance } = node.groupingKey;
    const interval = node.config.options.pushIntervalSeconds;
    const progress = flags.progress === undefined ? 'no --progress: hang detection is off for this node' : `progress: ${flags.progress}`;
    context.stderr.write(
      `persia-metrics agent [${job}/${role}/${instance}]: pushing ${sources.map((source) => source.sourceName).join(', ')} every ${interval} s to ${node.gatewayUrl ?? ''} (${progress}); Ctrl-C to stop\n`,
    );
    // The node's timers and sockets never hold a process (a training program's end is its own): the agent
    // has nothing else to do, so it holds itself until the signal and the final push.
    await runUntilSignal(
      context,
      (stop) =>
        new KeepAlive().during(async () => {
          await stopped(stop);
          await node.shutdown();
        }),
      { first: 'pushing the final metrics, then stopping (send it again to stop at once)' },
    );
    return EXIT_OK;
  } finally {
    await Promise.all(sources.map((source) => source.close()));
  }
}

/** A --progress value: a metric family name (checked where startNodeMetrics() checks it), else a usage error. */
function progressFamily(text: string): string {
  try {
    checkProgressSource({ family: text }, true);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new InvalidArgumentError(`expected a counter family of the scraped pages (a metric name such as train_steps_total), found "${text}"`);
  }
  return text;
}

/** A --scrape value, as a usage error naming the option when it is no http(s) URL (credentials hidden). */
function scrapeUrl(text: string): string {
  try {
    return checkScrapeUrl(text, '--scrape');
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new UsageError(`option '--scrape <url>' argument '${redactUrl(text)}' is invalid. expected ${error.expected}`);
  }
}
