/**
 * `persia-metrics expire --gateway ADDR --after DURATION`: deletes the groups of nodes that stopped pushing
 * (src/discovery/expiry-plan.ts decides, src/discovery/group-expiry.ts deletes; this file parses, loops and
 * reports).
 */
import { formatDuration } from '../monitoring/duration.js';
import type { Command } from 'commander';
import { expireMissedPushes, recommendedExpireAfterSeconds } from '../monitoring/expiry.js';
import { STATED_PUSH_INTERVAL_SECONDS, staleAfterSeconds } from '../monitoring/health.js';
import { DEFAULT_MONITORING_OPTIONS } from '../monitoring/options.js';
import { planExpiry, type ExpiryRule } from '../discovery/expiry-plan.js';
import type { GatewaySweep } from '../discovery/group-expiry.js';
import { DeployUsageError, errorText } from '../errors.js';
import { runAction } from './kit/action.js';
import type { CommandContext } from './kit/context.js';
import { durationFlag, gatewayBaseUrls, parseGatewayOption, MAX_TIMEOUT_SECONDS, parsePath, parseTimeoutSeconds } from './kit/flags.js';
import { commandConfig, CREDENTIALS_HELP, jobsThere, sweepAll, sweepsOutcome } from './kit/gateway-sweeps.js';
import { gatewayCredentials } from '../config/credentials.js';
import { escapeControl, EXIT_CODES_HELP, EXIT_FAILURE, jsonErrorCode, quoted, toJson } from './kit/output.js';
import { repeatUntilSignal } from './kit/until-signal.js';

/** K: a group that publishes its push interval is kept until it missed this many of its own pushes. */
export const MISSED_PUSHES = expireMissedPushes(DEFAULT_MONITORING_OPTIONS);

/** setTimeout's limit (2^31 - 1 ms) is about 24.8 days: --every stays below it. */
const MAX_EVERY_SECONDS = 86_400 * 24;
/** Sweeps closer than a second only load the gateway: a group's age is only known to the second anyway. */
const MIN_EVERY_SECONDS = 1;
/** The gateway's push_time_seconds is known to the millisecond at best, and a node's own interval decides above this. */
const MIN_AFTER_SECONDS = 1;
/** The longest --after: a year. */
const MAX_AFTER_SECONDS = 86_400 * 365;

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

const DETAILS = `
A group is deleted once its last push is older than max(--after, ${MISSED_PUSHES} x its own push interval):
every persia-metrics node publishes persia_node_push_interval_seconds, so a slow node is never deleted
between two of its pushes (${MISSED_PUSHES} = twice the ${DEFAULT_MONITORING_OPTIONS.staleAfterIntervals} missed intervals of the stale-node alert).
A node that does not publish it (a PersiaML node: grouping key job, instance, ip_addr) is judged by the
job's push_interval_seconds (--config, else the environment; default ${STATED_PUSH_INTERVAL_SECONDS} s, PersiaML's default). A group that publishes its interval is judged by it with or
without an instance. Groups with neither (other pushers, such as a batch job's last result) are kept
unless --include-other-pushers, which applies --after alone to them.

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

export function registerExpireCommand(program: Command, context: CommandContext): void {
  program
    .command('expire')
    .description('delete the gateway groups of nodes that stopped pushing, each judged by its own push interval')
    .requiredOption('-g, --gateway <host:port>', "the job's gateway (comma-separated for replicas; the spelling of PERSIA_METRICS_GATEWAY_ADDR)", parseGatewayOption)
    .requiredOption(
      '--after <duration>',
      `delete groups whose last push is older than this (e.g. 5m; at least ${formatDuration(MIN_AFTER_SECONDS)}; see below)`,
      durationFlag(MIN_AFTER_SECONDS, MAX_AFTER_SECONDS),
    )
    .option('-j, --job <name>', 'only groups of this job (default: every job on the gateway)')
    .option(
      '--every <duration>',
      `sweep again after this long (${formatDuration(MIN_EVERY_SECONDS)} to ${formatDuration(MAX_EVERY_SECONDS)}), until SIGTERM/SIGINT`,
      durationFlag(MIN_EVERY_SECONDS, MAX_EVERY_SECONDS),
    )
    .option('--include-other-pushers', 'also expire groups that publish no push interval (--after alone applies)')
    .option('--dry-run', 'show what would be deleted; delete nothing')
    .option('--timeout <seconds>', `give up one request to a gateway after this long (at most ${MAX_TIMEOUT_SECONDS})`, parseTimeoutSeconds, 5)
    .option('-c, --config <file>', 'global_config.yaml whose credentials settings to use (default: $PERSIA_GLOBAL_CONFIG, else the environment)', parsePath)
    .option('--json', 'print each sweep as JSON')
    .addHelpText('after', `${DETAILS}${EXIT_CODES_HELP}`)
    .action(runAction(context, (flags: ExpireFlags) => expire(flags, context)));
}

async function expire(flags: ExpireFlags, context: CommandContext): Promise<number> {
  const gateways = gatewayBaseUrls(flags.gateway);
  if (flags.job !== undefined && flags.job.trim() === '') throw new DeployUsageError('--job: expected a job name, found an empty value');
  // The job's configuration, read as status reads it: the gateways' credentials, and push_interval_seconds.
  const config = commandConfig(flags.config, flags.gateway, context);
  const access = gatewayCredentials(config.options);
  const rule: ExpiryRule = {
    afterSeconds: flags.after,
    missedPushes: MISSED_PUSHES,
    includeOtherPushers: flags.includeOtherPushers === true,
    // A node that publishes no interval (PersiaML's) misses pushes of the configured one.
    statedPushIntervalSeconds: config.options.pushIntervalSeconds,
  };
  const sweepOnce = (): Promise<GatewaySweep[]> =>
    sweepAll(
      gateways,
      {
        timeoutSeconds: flags.timeout,
        dryRun: flags.dryRun === true,
        json: flags.json === true,
        access,
        plan: (groups, nowSeconds, _broken, exactPathOf) => planExpiry(groups, { job: flags.job, rule, nowSeconds, exactPathOf }),
      },
      context,
    );
  if (flags.every === undefined) {
    const sweeps = await sweepOnce();
    const outcome = sweepsOutcome(sweeps); // throws first when no gateway could be read: one JSON document, the error
    report(sweeps, flags, context);
    return outcome;
  }
  const every = flags.every;
  return repeatUntilSignal(every, context, 'sweep', async () => {
    const sweeps = await sweepOnce();
    let outcome: number;
    try {
      outcome = sweepsOutcome(sweeps);
    } catch (error) {
      // Every gateway unreadable: logged, and the loop goes on (the janitor outlives a gateway restart).
      // Under --json the sweep is still its one line, with the error: a janitor watched through its JSON never goes silent.
      context.stderr.write(`persia-metrics: ${escapeControl(errorText(error))}\n`);
      if (flags.json) {
        context.stdout.write(`${toJson({ ...sweepHeader(flags), error: { code: jsonErrorCode(error), message: errorText(error) }, gateways: sweeps }, false)}\n`);
      }
      return EXIT_FAILURE;
    }
    report(sweeps, flags, context);
    return outcome;
  });
}

function sweepHeader(flags: ExpireFlags): Record<string, unknown> {
  return { job: flags.job ?? null, afterSeconds: flags.after, missedPushes: MISSED_PUSHES, dryRun: flags.dryRun === true, at: new Date().toISOString() };
}

function report(sweeps: readonly GatewaySweep[], flags: ExpireFlags, context: CommandContext): void {
  if (flags.json) {
    const document = { ...sweepHeader(flags), ...(flags.every === undefined ? {} : { error: null }), gateways: sweeps };
    context.stdout.write(`${toJson(document, flags.every === undefined)}\n`);
    return;
  }
  for (const sweep of sweeps) {
    if (sweep.error !== undefined) continue;
    const where = `${new Date().toISOString()} swept ${sweep.gateway}${flags.job === undefined ? '' : ` (job ${quoted(flags.job)})`}`;
    if (flags.job !== undefined && sweep.deletions.length === 0 && sweep.kept.length === 0) {
      context.stdout.write(`${where}: no group of job ${quoted(flags.job)}; nothing to delete (jobs there: ${jobsThere(sweep)})\n`);
      continue;
    }
    const others = sweep.kept.filter((d) => d.verdict === 'other-pusher').length;
    const done = sweep.deletions.filter((d) => d.deleted).length;
    const verb = flags.dryRun ? `${sweep.deletions.length} would be deleted` : `${done} deleted`;
    const failed = sweep.deletions.length - done;
    context.stdout.write(
      `${where}: ${verb}${!flags.dryRun && failed > 0 ? `, ${failed} failed` : ''}, ` +
        // The node model's words (isNodeGroup, src/monitoring/view-contract.ts): a PersiaML node lacks an interval too.
        `${sweep.kept.length} kept${others > 0 ? ` (${others} not ${others === 1 ? 'a node' : 'nodes'}: no instance, no push interval)` : ''}\n`,
    );
  }
}
