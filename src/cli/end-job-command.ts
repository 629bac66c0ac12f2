/** `persia-metrics end-job --job NAME --gateway ADDR`: deletes every group of a finished job, and only of that job. */
import type { Command } from 'commander';
import { planEndJob } from '../discovery/expiry-plan.js';
import type { GatewaySweep } from '../discovery/group-expiry.js';
import { DeployUsageError } from '../errors.js';
import { runAction } from './kit/action.js';
import type { CommandContext } from './kit/context.js';
import { gatewayBaseUrls, parseGatewayOption, MAX_TIMEOUT_SECONDS, parsePath, parseTimeoutSeconds } from './kit/flags.js';
import { CREDENTIALS_HELP, gatewayAccess, jobsThere, sweepAll, sweepsOutcome, warnStillPushing } from './kit/gateway-sweeps.js';
import { EXIT_CODES_HELP, plural, quoted, toJson } from './kit/output.js';

interface EndJobFlags {
  job: string;
  gateway: string;
  dryRun?: boolean;
  timeout: number;
  config?: string;
  json?: boolean;
}

const DETAILS = `
Deletes every group whose job label is --job (whatever its other labels, whoever pushed it) on each
gateway listed; groups of other jobs are never touched. Run it once the job's nodes have stopped: a node
still pushing re-creates its group at its next push (such nodes are named in a warning). Each deletion is
logged. A job with no group on a gateway is not an error (running end-job twice is fine); the jobs found
there are listed, to catch a misspelt name. A gateway that cannot be read is reported, the others are
still cleared, and the exit status is 1.
${CREDENTIALS_HELP}`;

export function registerEndJobCommand(program: Command, context: CommandContext): void {
  program
    .command('end-job')
    .description('delete every gateway group of a finished job (and of no other job)')
    .requiredOption('-j, --job <name>', 'the job whose groups go (its job label)')
    .requiredOption('-g, --gateway <host:port>', "the job's gateway (comma-separated for replicas; the spelling of PERSIA_METRICS_GATEWAY_ADDR)", parseGatewayOption)
    .option('--dry-run', 'show what would be deleted; delete nothing')
    .option('--timeout <seconds>', `give up one request to a gateway after this long (at most ${MAX_TIMEOUT_SECONDS})`, parseTimeoutSeconds, 5)
    .option('-c, --config <file>', 'global_config.yaml whose credentials settings to use (default: $PERSIA_GLOBAL_CONFIG, else the environment)', parsePath)
    .option('--json', 'print the result as JSON')
    .addHelpText('after', `${DETAILS}${EXIT_CODES_HELP}`)
    .action(runAction(context, (flags: EndJobFlags) => endJob(flags, context)));
}

async function endJob(flags: EndJobFlags, context: CommandContext): Promise<number> {
  if (flags.job.trim() === '') throw new DeployUsageError('--job: expected a job name, found an empty value');
  const gateways = gatewayBaseUrls(flags.gateway);
  const dryRun = flags.dryRun === true;
  const access = gatewayAccess(flags.config, flags.gateway, context);
  const sweeps = await sweepAll(
    gateways,
    { timeoutSeconds: flags.timeout, dryRun, json: flags.json === true, access, plan: (groups, now, _broken, exactPathOf) => planEndJob(groups, flags.job, now, exactPathOf) },
    context,
  );
  const outcome = sweepsOutcome(sweeps); // throws first when no gateway could be read: one JSON document, the error
  warnStillPushing(sweeps, context);
  if (flags.json) context.stdout.write(`${toJson({ job: flags.job, dryRun, gateways: sweeps })}\n`);
  else for (const sweep of sweeps) context.stdout.write(summary(sweep, flags.job, dryRun));
  return outcome;
}

function summary(sweep: GatewaySweep, job: string, dryRun: boolean): string {
  if (sweep.error !== undefined) return '';
  if (sweep.deletions.length === 0) return `${sweep.gateway}: no group of job ${quoted(job)}; nothing to delete (jobs there: ${jobsThere(sweep)})\n`;
  const done = sweep.deletions.filter((d) => d.deleted).length;
  const what = dryRun ? `${plural(sweep.deletions.length, 'group')} would be deleted` : `${done} of ${plural(sweep.deletions.length, 'group')} deleted`;
  return `${sweep.gateway}: job ${quoted(job)}: ${what}\n`;
}
