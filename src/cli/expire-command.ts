/**
 * `persia-metrics expire --gateway ADDR --after DURATION`: deletes the groups of nodes that stopped pushing
 * (src/discovery/group-expiry.ts decides and deletes; this file parses, loops and reports). Also the pieces
 * `end-job` shares: the gateway list, the sweep of every replica, the report.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { gatewayCredentials } from '../config/credentials.js';
import { parseGatewayList } from '../config/gateway-address.js';
import { loadConfig } from '../config/resolve.js';
import { expireMissedPushes, recommendedExpireAfterSeconds } from '../monitoring/expiry.js';
import { staleAfterSeconds } from '../monitoring/health.js';
import { DEFAULT_MONITORING_OPTIONS } from '../monitoring/options.js';
import { formatAge } from '../discovery/gateway-status.js';
import {
  orderedLabels,
  planExpiry,
  sweepFailed,
  sweepGateway,
  type Deletion,
  type ExpiryRule,
  type GatewaySweep,
  type GroupDecision,
  type SweepOptions,
} from '../discovery/group-expiry.js';
import type { GatewayAccess } from '../discovery/gateway-api.js';
import { DeployUsageError, errorText, GroupExpiryError, PersiaMetricsError } from '../errors.js';
import { MAX_TIMEOUT_SECONDS, parsePath, parseTimeoutSeconds } from './option-parsers.js';
import { EXIT_CODES_HELP, EXIT_FAILURE, EXIT_OK, runAction } from './run-command.js';

/** K: a group that publishes its push interval is kept until it missed this many of its own pushes. */
export const MISSED_PUSHES = expireMissedPushes(DEFAULT_MONITORING_OPTIONS);

const UNITS: Readonly<Record<string, number>> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86_400 };
/** setTimeout's limit (2^31 - 1 ms) is about 24.8 days: --every stays below it. */
const MAX_EVERY_SECONDS = 86_400 * 24;
/** Sweeps closer than a second only load the gateway: a group's age is only known to the second anyway. */
const MIN_EVERY_SECONDS = 1;
/** The gateway's push_time_seconds is known to the millisecond at best, and a node's own interval decides above this. */
const MIN_AFTER_SECONDS = 1;
/** The longest --after: a year. */
const MAX_AFTER_SECONDS = 86_400 * 365;

/**
 * A duration as Prometheus writes them (`90s`, `5m`, `1h30m`, `500ms`, `2d`) or a plain number of seconds.
 * A bad value is a usage error naming what was expected (commander adds the option's name).
 */
export function parseDuration(text: string, maxSeconds = MAX_AFTER_SECONDS, minSeconds = 0): number {
  const trimmed = text.trim();
  const expected = `expected a duration such as 90s, 5m, 1h30m or a number of seconds, found ${JSON.stringify(text)}`;
  let seconds: number;
  if (/^\d+(\.\d+)?$/.test(trimmed)) seconds = Number(trimmed);
  else if (/^(\d+(\.\d+)?(ms|s|m|h|d))+$/.test(trimmed)) {
    seconds = 0;
    for (const [, amount, unit] of trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)) seconds += Number(amount) * (UNITS[unit ?? 's'] ?? 1);
  } else throw new InvalidArgumentError(expected);
  if (!(seconds > 0)) throw new InvalidArgumentError(`expected a duration above 0, found ${JSON.stringify(text)}`);
  if (minSeconds > 0 && seconds < minSeconds) throw new InvalidArgumentError(`expected a duration of at least ${formatDuration(minSeconds)}, found ${JSON.stringify(text)}`);
  if (seconds > maxSeconds) throw new InvalidArgumentError(`expected a duration of at most ${formatDuration(maxSeconds)}, found ${JSON.stringify(text)}`);
  return seconds;
}

/** 300 → `5m`, 90 → `90s`, 1.5 → `1.5s`: how --after and thresholds are shown back. */
export function formatDuration(seconds: number): string {
  if (seconds >= 3600 && seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds >= 60 && seconds % 60 === 0) return `${seconds / 60}m`;
  return `${Number(seconds.toFixed(3))}s`;
}

/** --gateway: the spelling of PERSIA_METRICS_GATEWAY_ADDR (host:port, scheme optional, comma-separated replicas). */
export function gatewayBaseUrls(text: string): string[] {
  const { addresses, error } = parseGatewayList(text);
  if (addresses === undefined) throw new DeployUsageError(`--gateway: ${error ?? 'an invalid address'} (expected host:port, comma-separated for replicas)`);
  return [...new Set(addresses.map((address) => address.baseUrl))];
}

/** `job="a" role="trainer" instance="rep_0"`, job first. */
export function groupName(decision: Pick<GroupDecision, 'labels'>): string {
  return orderedLabels(decision.labels)
    .map(([label, value]) => `${label}=${JSON.stringify(value)}`)
    .join(' ');
}

/** One log line per deletion: which group, where, how old, its interval and the threshold it passed. */
export function deletionLine(deletion: Deletion, gateway: string, dryRun: boolean): string {
  const what = dryRun ? 'would delete' : deletion.deleted ? 'deleted' : 'FAILED to delete';
  const interval = deletion.pushIntervalSeconds === undefined ? 'no push interval published' : `push interval ${formatDuration(deletion.pushIntervalSeconds)}`;
  const threshold = deletion.thresholdSeconds === undefined ? '' : `, threshold ${formatDuration(deletion.thresholdSeconds)}`;
  const failure = deletion.error === undefined ? '' : `: ${deletion.error.message}`;
  return `${new Date().toISOString()} ${what} ${groupName(deletion)} on ${gateway}: last push ${formatAge(deletion.lastPushAgeSeconds)} ago, ${interval}${threshold}${failure}`;
}

/** JSON with unset values as `null` (the CLI's rule: a script sees every key). */
export function toJson(document: unknown, pretty = true): string {
  return JSON.stringify(document, (_key, value: unknown) => (value === undefined ? null : value), pretty ? 2 : undefined);
}

/** Sweeps every gateway at once (one that is down or hung delays no other); logs deletions as they happen unless `json`. */
export async function sweepAll(gateways: readonly string[], options: Omit<SweepOptions, 'onDeletion'> & { readonly json: boolean }): Promise<GatewaySweep[]> {
  return Promise.all(
    gateways.map(async (gateway) => {
      const onDeletion = options.json ? undefined : (deletion: Deletion) => process.stdout.write(`${deletionLine(deletion, gateway, options.dryRun)}\n`);
      const sweep = await sweepGateway(gateway, { ...options, ...(onDeletion === undefined ? {} : { onDeletion }) });
      if (sweep.error !== undefined) process.stderr.write(`persia-metrics: gateway ${gateway} not swept: ${sweep.error.message}\n`);
      return sweep;
    }),
  );
}

/** Exit status of a set of sweeps: every gateway unreadable is an error; some failed, 1; all fine, 0. */
export function sweepsOutcome(sweeps: readonly GatewaySweep[]): number {
  if (sweeps.length > 0 && sweeps.every((sweep) => sweep.error !== undefined)) {
    throw new GroupExpiryError(`no gateway could be read: ${sweeps.map((sweep) => sweep.error?.message ?? '').join('; ')}`);
  }
  return sweeps.some(sweepFailed) ? EXIT_FAILURE : EXIT_OK;
}

interface ExpireFlags {
  gateway: string;
  after: number;
  job?: string;
  every?: number;
  includeOtherPushers?: boolean;
  dryRun?: boolean;
  timeout: number;
  config?: string;
  json?: boolean;
}

/** "1 group", "2 groups". */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/**
 * The nodes' own credentials and TLS trust for the gateway (PERSIA_METRICS_BASIC_AUTH_USERNAME /
 * _PASSWORD(_FILE), PERSIA_METRICS_BEARER_TOKEN(_FILE), PERSIA_METRICS_TLS_CA_FILE, or --config FILE):
 * a janitor reaches a secured gateway as the nodes do (src/config/credentials.ts).
 */
export function gatewayAccess(configFile: string | undefined): GatewayAccess {
  const config = loadConfig({ file: configFile });
  return gatewayCredentials(config.options);
}

/** Options `expire` and `end-job` share: the credentials' source and the request timeout. */
export const CREDENTIALS_HELP = `
A gateway behind --web.config.file is reached with the nodes' own settings: PERSIA_METRICS_BASIC_AUTH_USERNAME
with PERSIA_METRICS_BASIC_AUTH_PASSWORD(_FILE), or PERSIA_METRICS_BEARER_TOKEN(_FILE), and
PERSIA_METRICS_TLS_CA_FILE for a certificate of your own CA; basic_auth_password_file, bearer_token_file and
tls_ca_file may also come from --config FILE (default: $PERSIA_GLOBAL_CONFIG).
--timeout: 0.001 to ${MAX_TIMEOUT_SECONDS} seconds, rounded to whole milliseconds.
`;

const DETAILS = `
A group is deleted once its last push is older than max(--after, ${MISSED_PUSHES} x its own push interval):
every persia-metrics node publishes persia_node_push_interval_seconds, so a slow node is never deleted
between two of its pushes (${MISSED_PUSHES} = twice the ${DEFAULT_MONITORING_OPTIONS.staleAfterIntervals} missed intervals of the stale-node alert).
Groups without that metric (other pushers, such as a batch job's last result) are kept unless
--include-other-pushers, which applies --after alone to them.

Choose --after so that the stale-node alert (PersiaNodeStoppedPushing) fires and notifies first: at least
the stale threshold (push interval x ${DEFAULT_MONITORING_OPTIONS.staleAfterIntervals}) + the alert's for (1m) + 3m; with the shipped 10 s interval
that is ${formatDuration(recommendedExpireAfterSeconds(DEFAULT_MONITORING_OPTIONS))} (the stale threshold alone is ${staleAfterSeconds(DEFAULT_MONITORING_OPTIONS)}s).

Durations: 90s, 5m, 1h30m, 500ms, 2d, or a plain number of seconds. --after: ${formatDuration(MIN_AFTER_SECONDS)} to ${formatDuration(MAX_AFTER_SECONDS)};
--every: ${formatDuration(MIN_EVERY_SECONDS)} to ${formatDuration(MAX_EVERY_SECONDS)}. Ages use this machine's clock.
Each deletion is logged (group, gateway, age, push interval, threshold). Several comma-separated gateways
(replicas) are swept at once; one that cannot be read is reported and the others are still swept (exit 1).
With --job, a gateway holding no group of that job is reported with the jobs it holds (a misspelt name).
A node that pushes between the read and the DELETE re-creates its group at its next push.
--every repeats the sweep until SIGTERM or SIGINT, which end it cleanly after the sweep in progress (exit
status: the last sweep's); a second signal stops at once. Under --json each sweep is one JSON document on
its own line, also a sweep that could read no gateway (its "error" says why; otherwise "error" is null).
${CREDENTIALS_HELP}`;

export function registerExpireCommand(program: Command): void {
  program
    .command('expire')
    .description('delete the gateway groups of nodes that stopped pushing, each judged by its own push interval')
    .requiredOption('-g, --gateway <host:port>', "the job's gateway (comma-separated for replicas; the spelling of PERSIA_METRICS_GATEWAY_ADDR)")
    .requiredOption('--after <duration>', `delete groups whose last push is older than this (e.g. 5m; at least ${formatDuration(MIN_AFTER_SECONDS)}; see below)`, (text: string) =>
      parseDuration(text, MAX_AFTER_SECONDS, MIN_AFTER_SECONDS),
    )
    .option('-j, --job <name>', 'only groups of this job (default: every job on the gateway)')
    .option(
      '--every <duration>',
      `sweep again after this long (${formatDuration(MIN_EVERY_SECONDS)} to ${formatDuration(MAX_EVERY_SECONDS)}), until SIGTERM/SIGINT`,
      (text: string) => parseDuration(text, MAX_EVERY_SECONDS, MIN_EVERY_SECONDS),
    )
    .option('--include-other-pushers', 'also expire groups that publish no push interval (--after alone applies)')
    .option('--dry-run', 'show what would be deleted; delete nothing')
    .option('--timeout <seconds>', `give up one request to a gateway after this long (at most ${MAX_TIMEOUT_SECONDS})`, parseTimeoutSeconds, 5)
    .option('-c, --config <file>', 'global_config.yaml whose credentials settings to use (default: $PERSIA_GLOBAL_CONFIG, else the environment)', parsePath)
    .option('--json', 'print each sweep as JSON')
    .addHelpText('after', `${DETAILS}${EXIT_CODES_HELP}`)
    .action(runAction((flags: ExpireFlags) => expire(flags)));
}

async function expire(flags: ExpireFlags): Promise<number> {
  const gateways = gatewayBaseUrls(flags.gateway);
  if (flags.job !== undefined && flags.job.trim() === '') throw new DeployUsageError('--job: expected a job name, found an empty value');
  const access = gatewayAccess(flags.config);
  const rule: ExpiryRule = { afterSeconds: flags.after, missedPushes: MISSED_PUSHES, includeOtherPushers: flags.includeOtherPushers === true };
  const sweepOnce = (): Promise<GatewaySweep[]> =>
    sweepAll(gateways, {
      timeoutSeconds: flags.timeout,
      dryRun: flags.dryRun === true,
      json: flags.json === true,
      access,
      plan: (groups, nowSeconds) => planExpiry(groups, { job: flags.job, rule, nowSeconds }),
    });
  if (flags.every === undefined) {
    const sweeps = await sweepOnce();
    const outcome = sweepsOutcome(sweeps); // throws first when no gateway could be read: one JSON document, the error
    report(sweeps, flags);
    return outcome;
  }
  return repeatUntilSignal(flags.every, async () => {
    const sweeps = await sweepOnce();
    let outcome: number;
    try {
      outcome = sweepsOutcome(sweeps);
    } catch (error) {
      // Every gateway unreadable: logged, and the loop goes on (the janitor outlives a gateway restart).
      // Under --json the sweep is still its one line, with the error: a janitor watched through its JSON never goes silent.
      process.stderr.write(`persia-metrics: ${errorText(error)}\n`);
      if (flags.json) {
        const code = error instanceof PersiaMetricsError ? error.code : 'PERSIA_UNEXPECTED';
        process.stdout.write(`${toJson({ ...sweepHeader(flags), error: { code, message: errorText(error) }, gateways: sweeps }, false)}\n`);
      }
      return EXIT_FAILURE;
    }
    report(sweeps, flags);
    return outcome;
  });
}

function sweepHeader(flags: ExpireFlags): Record<string, unknown> {
  return { job: flags.job ?? null, afterSeconds: flags.after, missedPushes: MISSED_PUSHES, dryRun: flags.dryRun === true, at: new Date().toISOString() };
}

function report(sweeps: readonly GatewaySweep[], flags: ExpireFlags): void {
  if (flags.json) {
    const document = { ...sweepHeader(flags), ...(flags.every === undefined ? {} : { error: null }), gateways: sweeps };
    process.stdout.write(`${toJson(document, flags.every === undefined)}\n`);
    return;
  }
  for (const sweep of sweeps) {
    if (sweep.error !== undefined) continue;
    const where = `${new Date().toISOString()} swept ${sweep.gateway}${flags.job === undefined ? '' : ` (job "${flags.job}")`}`;
    if (flags.job !== undefined && sweep.deletions.length === 0 && sweep.kept.length === 0) {
      const jobs = sweep.jobs.length === 0 ? 'none' : sweep.jobs.map((name) => JSON.stringify(name)).join(', ');
      process.stdout.write(`${where}: no group of job "${flags.job}"; nothing to delete (jobs there: ${jobs})\n`);
      continue;
    }
    const others = sweep.kept.filter((d) => d.verdict === 'other-pusher').length;
    const done = sweep.deletions.filter((d) => d.deleted).length;
    const verb = flags.dryRun ? `${sweep.deletions.length} would be deleted` : `${done} deleted`;
    const failed = sweep.deletions.length - done;
    process.stdout.write(
      `${where}: ${verb}${!flags.dryRun && failed > 0 ? `, ${failed} failed` : ''}, ` +
        `${sweep.kept.length} kept${others > 0 ? ` (${others} without persia_node_push_interval_seconds)` : ''}\n`,
    );
  }
}

/** Runs `sweep` now and every `everySeconds` until SIGTERM or SIGINT; a sweep in progress finishes first. */
async function repeatUntilSignal(everySeconds: number, sweep: () => Promise<number>): Promise<number> {
  let stopped = false;
  let wake: () => void = () => {};
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopped) {
      // A second signal: at once, saying so (the sweep in progress is abandoned, its DELETEs may be half done).
      process.stderr.write(`persia-metrics: ${signal} again: stopped at once, without finishing the sweep in progress\n`);
      process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
    }
    stopped = true;
    process.stderr.write(`persia-metrics: ${signal}: stopping after the sweep in progress\n`);
    wake();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  let code = EXIT_OK;
  try {
    while (!stopped) {
      code = await sweep();
      if (stopped) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, everySeconds * 1000);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
  return code;
}
