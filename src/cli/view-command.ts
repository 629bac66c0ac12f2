/**
 * `persia-metrics view --prometheus URL`: the job at a glance in a browser, without Grafana. Serves one page
 * (src/view/) on 127.0.0.1 by default, and runs until Ctrl-C.
 */
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { redactedUrl } from '../gateway/url-credentials.js';
import { DEFAULT_VIEW_WINDOW, VIEW_WINDOWS, type ViewWindowName } from '../view/view-panels.js';
import { startViewServer } from '../view/view-server.js';
import { runAction } from './kit/action.js';
import type { CommandContext } from './kit/context.js';
import { choiceFlag, gatewayBaseUrls, httpUrlFlag, parseGatewayOption, parseJobName, parseListenHost, parsePath, parsePort, parseSecretFlag, secondsBetween } from './kit/flags.js';
import { gatewayCredentials, readSecret } from '../config/credentials.js';
import { commandConfig } from './kit/gateway-sweeps.js';
import { EXIT_CODES_HELP, EXIT_OK } from './kit/output.js';
import { runUntilSignal, stopped } from './kit/until-signal.js';

interface ViewFlags {
  prometheus: string;
  prometheusPasswordFile?: string;
  job?: string;
  host: string;
  port: number;
  refresh: number;
  window: ViewWindowName;
  gateway?: string;
  config?: string;
  json?: boolean;
}

export const DEFAULT_VIEW_PORT = 9188;

/**
 * The URL of Prometheus, without query or fragment (a path prefix such as /prometheus is kept, and
 * `user:password@` too: the view sends it to Prometheus as basic auth, never to the browser).
 */
export const parsePrometheusUrl = httpUrlFlag('Prometheus', 'http://127.0.0.1:9090');

/** The longest --refresh: an hour (the page's timer takes at most 2^31 - 1 ms; beyond, it fires at once, forever). */
export const MAX_REFRESH_SECONDS = 3600;

/** Where the password of the --prometheus user may come from besides the URL (which every local user can read in /proc). */
export const PROMETHEUS_PASSWORD_ENV = 'PERSIA_METRICS_PROMETHEUS_PASSWORD';

const PROMETHEUS_FLAG = '--prometheus <url>';

const parseRefresh = secondsBetween(0.5, MAX_REFRESH_SECONDS);

function isWildcardOrPublic(host: string): boolean {
  return !(host === 'localhost' || host === '::1' || host.startsWith('127.'));
}

const DETAILS = `
The page shows the job's nodes (state, age of the last push against the node's own push interval,
push failures, straggler and duplicate-identity flags) and the panels of the Grafana dashboards that
\`init\` writes (same titles, PromQL and units), refreshed every --refresh seconds. The browser talks to
this server only: it forwards the few Prometheus query endpoints the page uses, to the page's own
requests (not to another site's, nor under another host name). It listens on 127.0.0.1 unless --host
says otherwise (the metrics of a job are not for everyone on the network).

A Prometheus behind basic auth: give the user in the URL (http://user@host:9090) and the password in a
file (--prometheus-password-file, its first line) or in ${PROMETHEUS_PASSWORD_ENV}. A password in the
URL (http://user:password@host:9090, percent-encoded) works too, but any user of this machine can read
it in the process list.

A banner names each gateway of the job that Prometheus cannot scrape (its scrape job's \`up\` is 0, as the
alert PersiaGatewayDown reads it): down, or its /metrics failing as a whole because one group was pushed
with a clashing type or a grouping value that is not UTF-8. With --gateway the view also probes those
gateways' /metrics itself and names the groups that break it, with the \`persia-metrics repair\` command that
deletes them (it probes only the gateways given here, never an address it learnt from Prometheus). They are
read with the nodes' own credentials settings (PERSIA_METRICS_BASIC_AUTH_*, PERSIA_METRICS_BEARER_TOKEN(_FILE),
PERSIA_METRICS_TLS_CA_FILE, or those of --config FILE).`;

export function registerViewCommand(program: Command, context: CommandContext): void {
  program
    .command('view')
    .description("serve a live web page of a job's nodes and dashboards, read from Prometheus (no Grafana needed)")
    // Parsed in the action (parseSecretFlag): commander's message for a bad value would repeat a password.
    .requiredOption(PROMETHEUS_FLAG, 'Prometheus to read (e.g. http://127.0.0.1:9090, or http://user@host:9090 behind basic auth)')
    .option('--prometheus-password-file <path>', `file holding the password of the --prometheus user (else ${PROMETHEUS_PASSWORD_ENV})`, parsePath)
    .option('-j, --job <name>', 'job shown first (default: the first job Prometheus knows; the page has a picker)', parseJobName)
    .option('--host <address>', 'address to listen on', parseListenHost, '127.0.0.1')
    .option('--port <n>', 'port to listen on (0: any free port)', parsePort, DEFAULT_VIEW_PORT)
    .option('--refresh <seconds>', `seconds between two refreshes of the page (0.5 to ${MAX_REFRESH_SECONDS})`, parseRefresh, 5)
    .option(
      '--window <span>',
      `time window the page opens with (${Object.keys(VIEW_WINDOWS).join(', ')})`,
      choiceFlag(Object.keys(VIEW_WINDOWS) as ViewWindowName[]),
      DEFAULT_VIEW_WINDOW,
    )
    .option('-g, --gateway <host:port>', "the job's gateways to probe for groups that break their /metrics (comma-separated)", parseGatewayOption)
    .option(
      '-c, --config <file>',
      'global_config.yaml: its push_interval_seconds judges nodes that publish no interval, as status does, and its gateway credentials settings are used with --gateway (default: $PERSIA_GLOBAL_CONFIG, else the environment)',
      parsePath,
    )
    .option('--json', 'print the URL as JSON ({"url": ...}) once listening; errors as JSON')
    .addHelpText('after', `${DETAILS}\n${EXIT_CODES_HELP}`)
    .action(runAction(context, (flags: ViewFlags) => view(flags, context)));
}

/** The URL of --prometheus and the password of its user, from the URL, the file or the environment (one of them). */
function prometheusAccess(flags: ViewFlags, env: CommandContext['env']): { url: string; password: string | undefined } {
  const url = parseSecretFlag(PROMETHEUS_FLAG, flags.prometheus, parsePrometheusUrl);
  const { username, password: inUrl } = new URL(url);
  if (inUrl !== '' && flags.prometheusPasswordFile !== undefined)
    throw new UsageError('the Prometheus password is given twice, in --prometheus and in --prometheus-password-file: give it once');
  const fromEnv = env[PROMETHEUS_PASSWORD_ENV];
  const password = inUrl !== '' ? undefined : (readSecret(flags.prometheusPasswordFile) ?? (fromEnv === '' ? undefined : fromEnv));
  if (password !== undefined && username === '') {
    const source = flags.prometheusPasswordFile === undefined ? PROMETHEUS_PASSWORD_ENV : '--prometheus-password-file';
    throw new UsageError(`a Prometheus password (${source}) without a user: give the user in --prometheus, as http://user@host:port`);
  }
  return { url, password };
}

async function view(flags: ViewFlags, context: CommandContext): Promise<number> {
  const access = prometheusAccess(flags, context.env);
  // The job's configuration, read as status reads it: push_interval_seconds, and the gateways' credentials.
  const config = commandConfig(flags.config, flags.gateway, context);
  const server = await startViewServer({
    prometheusUrl: access.url,
    prometheusPassword: access.password,
    host: flags.host,
    port: flags.port,
    job: flags.job,
    refreshSeconds: flags.refresh,
    window: flags.window,
    statedPushIntervalSeconds: config.options.pushIntervalSeconds,
    ...(flags.gateway === undefined ? {} : { gateways: gatewayBaseUrls(flags.gateway), gatewayAccess: gatewayCredentials(config.options) }),
  });
  const prometheus = redactedUrl(access.url);
  if (isWildcardOrPublic(flags.host))
    context.stderr.write(`persia-metrics: warning: listening on ${flags.host}: the page and the job's metrics are reachable from the network, without a password\n`);
  if (flags.json) context.stdout.write(`${JSON.stringify({ url: server.url, prometheus, job: flags.job ?? null })}\n`);
  else context.stdout.write(`persia-metrics view: ${server.url}   (reading ${prometheus}; Ctrl-C to stop)\n`);
  await runUntilSignal(context, stopped);
  await server.close();
  return EXIT_OK;
}
