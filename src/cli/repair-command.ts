/**
 * `persia-metrics repair --gateway ADDR`: deletes the groups that make a gateway's /metrics fail, so
 * Prometheus scrapes it again (src/gateway/scrape-health.ts finds them, src/discovery/group-expiry.ts
 * deletes and re-reads).
 */
import type { Command } from 'commander';
import { planRepair } from '../discovery/expiry-plan.js';
import type { GatewaySweep } from '../discovery/group-expiry.js';
import { DeployUsageError, escapeControl } from '../errors.js';
import { runAction } from './kit/action.js';
import type { CommandContext } from './kit/context.js';
import { gatewayBaseUrls, parseGatewayOption, MAX_TIMEOUT_SECONDS, parsePath, parseTimeoutSeconds } from './kit/flags.js';
import { CREDENTIALS_HELP, gatewayAccess, groupName, sweepAll, sweepsOutcome, warnStillPushing } from './kit/gateway-sweeps.js';
import { EXIT_CODES_HELP, EXIT_FAILURE, EXIT_OK, plural, quoted, toJson } from './kit/output.js';

interface RepairFlags {
  gateway: string;
  job?: string;
  dryRun?: boolean;
  timeout: number;
  config?: string;
  json?: boolean;
}

const DETAILS = `
A Pushgateway's /metrics, the page Prometheus scrapes, fails as a whole (500) when one family was pushed
with two types by two groups (a gateway run with --push.disable-consistency-check accepts both), or when a
group's grouping value is not valid UTF-8 (accepted as a group even with the check on): Prometheus then
sees nothing of any job on that gateway while every push is still answered 202. \`persia-metrics status\`
names such a gateway. repair reads the gateway's error, which names each series it cannot expose, finds
the groups holding them, and deletes those groups by the exact bytes they were pushed under (the JSON API
shows invalid UTF-8 as U+FFFD, a spelling no DELETE can reach). Each deletion is confirmed by re-reading
the gateway, and /metrics is probed again, and watched for one push interval of any deleted group still
pushing (at least 1 s): the exit status is 0 only when it answers 200 all that time. The group blamed for
one series written by two groups is the one whose grouping key lacks a label it sets in its body (a
job-only group pushing instance="rep_0"), not the node that owns the series.

A page that answers 200 is read as Prometheus reads it: a family or label name Prometheus cannot read (a
protobuf push of a-b, or of a histogram carrying its own le label, which the gateway accepts even with
its consistency check on) breaks it as surely as a 500, and the groups holding it are deleted. A group
holding a catalog family with another type than the catalog's (another job's gauge index_miss_count)
has every node's push of that family refused, or breaks the page with the check off: it is deleted too,
as is a family named "" or of a type the text page cannot say (GAUGE_HISTOGRAM), where the gateway stops
writing its page (it still parses, and lacks every family after it).
Where a name is held two ways (two types, or a family named like another's samples), the group blamed is
the odd one out: the catalog's type or family wins, else the way more groups hold it; a tie says so, and
the way the gateway gathered first is kept.

A node that keeps pushing a clashing type re-creates its group at its next push: fix its define(), or run
the gateway with its consistency check on, which refuses the clashing push and costs only that family
(the node holds it back, src/push/refused-families.ts).
${CREDENTIALS_HELP}`;

export function registerRepairCommand(program: Command, context: CommandContext): void {
  program
    .command('repair')
    .description(
      "delete the groups that make a gateway's /metrics fail (a type clash, a grouping value that is not UTF-8, a name Prometheus cannot parse) or squat a catalog family, so Prometheus scrapes it again",
    )
    .requiredOption('-g, --gateway <host:port>', 'the gateway (comma-separated for replicas; the spelling of PERSIA_METRICS_GATEWAY_ADDR)', parseGatewayOption)
    .option('-j, --job <name>', 'only groups of this job (default: whichever group breaks the page)')
    .option('--dry-run', 'show which groups break the page; delete nothing')
    .option('--timeout <seconds>', `give up one request to a gateway after this long (at most ${MAX_TIMEOUT_SECONDS})`, parseTimeoutSeconds, 5)
    .option('-c, --config <file>', 'global_config.yaml whose credentials settings to use (default: $PERSIA_GLOBAL_CONFIG, else the environment)', parsePath)
    .option('--json', 'print the result as JSON')
    .addHelpText('after', `${DETAILS}${EXIT_CODES_HELP}`)
    .action(runAction(context, (flags: RepairFlags) => repair(flags, context)));
}

async function repair(flags: RepairFlags, context: CommandContext): Promise<number> {
  if (flags.job?.trim() === '') throw new DeployUsageError('--job: expected a job name, found an empty value');
  const dryRun = flags.dryRun === true;
  const sweeps = await sweepAll(
    gatewayBaseUrls(flags.gateway),
    {
      timeoutSeconds: flags.timeout,
      dryRun,
      json: flags.json === true,
      access: gatewayAccess(flags.config, flags.gateway, context),
      probeFirst: true,
      plan: (groups, now, broken, exactPathOf) => planRepair(groups, broken, now, flags.job, exactPathOf),
    },
    context,
  );
  const outcome = sweepsOutcome(sweeps);
  warnStillPushing(sweeps, context);
  if (flags.json) context.stdout.write(`${toJson({ dryRun, gateways: sweeps })}\n`);
  else for (const sweep of sweeps) context.stdout.write(summary(sweep, dryRun, flags.job));
  const stillBlind = sweeps.some((sweep) => sweep.error === undefined && (dryRun ? false : sweep.scrapeAfter?.ok !== true));
  return outcome === EXIT_OK && !stillBlind ? EXIT_OK : EXIT_FAILURE;
}

function summary(sweep: GatewaySweep, dryRun: boolean, job: string | undefined): string {
  if (sweep.error !== undefined) return '';
  const before = sweep.scrapeBefore;
  const elsewhere = sweep.kept.filter((d) => d.verdict === 'breaks-scrape-other-job');
  if (before?.ok === true && sweep.deletions.length === 0 && elsewhere.length === 0) return `${sweep.gateway}: /metrics answers 200; nothing to repair\n`;
  // The gateway's own words, every one pushed by someone: escaped, bounded (src/gateway/scrape-health.ts).
  // A page that answers 200 and parses can still have groups to repair: a catalog family held with another type (its pushes are refused).
  const error = before?.ok === true ? "it parses, but is cut short or has the nodes' pushes of a catalog family refused" : escapeControl(before?.detail ?? '');
  const lines = sweep.deletions.map((d) => `${sweep.gateway}:   ${groupName(d)}: ${(d.scrapeProblems ?? []).join('; ')}\n`);
  const count = sweep.deletions.length;
  let head = `${sweep.gateway}: /metrics answers ${before?.statusCode ?? '?'} (${error}); ${plural(count, 'group')}${job === undefined ? '' : ` of job ${quoted(job)}`} break${count === 1 ? 's' : ''} it${count === 0 ? '' : ':'}\n`;
  if (count === 0 && elsewhere.length === 0) head = `${head}${sweep.gateway}:   the gateway's error names no group this command can find\n`;
  const outside = elsewhere.map((d) => `${sweep.gateway}:   outside --job: ${groupName(d)}: ${(d.scrapeProblems ?? []).join('; ')}\n`);
  const outsideFix =
    elsewhere.length === 0
      ? ''
      : `${sweep.gateway}:   ${plural(elsewhere.length, 'group')} of another job break${elsewhere.length === 1 ? 's' : ''} it for every job: \`persia-metrics repair --gateway ${sweep.gateway}\` (without --job) deletes ${elsewhere.length === 1 ? 'it' : 'them'}\n`;
  if (dryRun) return `${head}${lines.join('')}${outside.join('')}${outsideFix}`;
  const after = sweep.scrapeAfter;
  const afterError = escapeControl(after?.detail ?? '');
  const now =
    after?.ok === true
      ? `now answers 200 and still did ${sweep.settledSeconds ?? 0} s later: Prometheus can scrape it again`
      : sweep.scrapeRelapsed === true
        ? `answered 200 right after, but ${after?.statusCode ?? '?'} again within ${sweep.settledSeconds ?? 0} s (${afterError}): a pusher re-created what breaks it; run status or repair again to name it`
        : `still answers ${after?.statusCode ?? '(not read)'} (${afterError})`;
  return `${head}${lines.join('')}${outside.join('')}${outsideFix}${sweep.gateway}: ${sweep.deletions.filter((d) => d.deleted).length} of ${plural(count, 'group')} deleted; /metrics ${now}\n`;
}
