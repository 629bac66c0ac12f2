/** `persia-metrics discover`: find job gateways by container label and write Prometheus file_sd target files. */
import { formatDuration } from '../monitoring/duration.js';
import type { Command } from 'commander';
import { connectDockerEngine } from '../discovery/docker-engine.js';
import { errorText } from '../errors.js';
import { discoverTargets } from '../discovery/discover-targets.js';
import { type AddressChoice, ADDRESS_CHOICES, type TargetDecision } from '../discovery/target-choice.js';
import { runAction } from './kit/action.js';
import type { CommandContext } from './kit/context.js';
import { choiceFlag, durationFlag } from './kit/flags.js';
import { clipValue, EXIT_CODES_HELP, EXIT_FAILURE, EXIT_OK, escapeControl, escapeValue, formatTable } from './kit/output.js';
import { repeatUntilSignal } from './kit/until-signal.js';

interface DiscoverFlags {
  out: string;
  address: AddressChoice;
  host: string;
  job?: string;
  prune: boolean;
  print?: boolean;
  json?: boolean;
  every?: number;
}

/** setTimeout's limit (2^31 - 1 ms) is about 24.8 days: --every stays below it. */
const MAX_EVERY_SECONDS = 86_400 * 24;
/** Runs closer than a second only load the engine; Prometheus re-reads the files at its own pace anyway. */
const MIN_EVERY_SECONDS = 1;

const DETAILS = `
Looks for containers (and swarm services, on a manager) labelled persia.metrics.gateway=true; the job name
comes from the persia.metrics.job label. The engine is the one DOCKER_HOST names (Podman:
DOCKER_HOST=unix:///run/podman/podman.sock), else /var/run/docker.sock.

Writes one <out>/gateway-<job>.json per job, which prometheus.yml reads through file_sd_configs
(targets/*.json); Prometheus notices changes by itself. --every runs it again and again until SIGTERM or
SIGINT, to follow the jobs (init's compose stack runs it so, as its discovery service): a run that fails
(the engine does not answer) is reported and the next one tries again; a run prints only when its
report differs from the one before.

Inside a container (init's discovery service), paths are translated through the container's own mounts,
so the Prometheus container that reads <out> is recognised by the host folder both mount.

Which address, one per gateway (--address auto, the default, decides by who reads <out>):
  - a Prometheus container that mounts <out> and reads it through file_sd_configs (init's compose stack):
    the gateway's address on a network they share, since inside that container 127.0.0.1 is the container
    itself; and no target at all for a gateway one of its own scrape jobs already finds (dns_sd names,
    docker_sd or dockerswarm_sd on the engine socket), which would otherwise be scraped twice. With init's
    compose stack that is every gateway on the engine, so the files stay empty of them.
  - otherwise (a Prometheus on the host): the published host:port (--host for ports published on all interfaces).
--address published or internal forces one kind (for a reader discover cannot see).

In a file name, characters other than letters, digits, _ . - become _; a job label that still cannot name a
file (1-63 characters, starting with a letter or digit) fails that job's file only: the other files are
written and pruned, the failure is reported and the exit code is 1.
`;

export function registerDiscoverCommand(program: Command, context: CommandContext): void {
  program
    .command('discover')
    .description('find job gateways by container label and write Prometheus file_sd target files')
    .option('-o, --out <dir>', 'directory for the target files', 'config/prometheus/targets')
    .option('--address <kind>', `${ADDRESS_CHOICES.join(' | ')} (see below)`, choiceFlag(ADDRESS_CHOICES), 'auto')
    .option('--host <host>', 'host for ports published on all interfaces', '127.0.0.1')
    .option('-j, --job <name>', 'only gateways of this job')
    .option('--no-prune', 'keep gateway-*.json files of jobs that are no longer found')
    .option('--print', 'print the target files instead of writing them')
    .option('--json', 'print the gateways found as JSON')
    .option(
      '--every <duration>',
      `run again after this long (${formatDuration(MIN_EVERY_SECONDS)} to ${formatDuration(MAX_EVERY_SECONDS)}), until SIGTERM/SIGINT`,
      durationFlag(MIN_EVERY_SECONDS, MAX_EVERY_SECONDS),
    )
    .addHelpText('after', `${DETAILS}${EXIT_CODES_HELP}`)
    .action(runAction(context, (flags: DiscoverFlags) => (flags.every === undefined ? discover(flags, context) : discoverEvery(flags.every, flags, context))));
}

/**
 * `discover` every `everySeconds` until a signal: what a run prints is held back and written only when it
 * differs from the previous run's (a service's log then shows changes, not a table every 15 s); a run that
 * throws is reported the same way, and the loop goes on (the engine may come back).
 */
function discoverEvery(everySeconds: number, flags: DiscoverFlags, context: CommandContext): Promise<number> {
  let previous = '';
  return repeatUntilSignal(everySeconds, context, 'run', async () => {
    const stdout: string[] = [];
    const stderr: string[] = [];
    const held: CommandContext = { ...context, stdout: { write: (text: string) => stdout.push(text) }, stderr: { write: (text: string) => stderr.push(text) } };
    let code: number;
    try {
      code = await discover(flags, held);
    } catch (error) {
      stderr.push(`persia-metrics: error: ${escapeControl(errorText(error))}\n`);
      code = EXIT_FAILURE;
    }
    // "wrote" lines repeat every run: only a change of files or decisions is news.
    const report = stdout.filter((line) => !line.startsWith('wrote ')).join('') + stderr.join('');
    if (report !== previous) {
      context.stdout.write(`${new Date(context.now()).toISOString()} discover:\n${stdout.join('')}`);
      context.stderr.write(stderr.join(''));
      previous = report;
    }
    return code;
  });
}

/** A label value is anyone's text: clipped (a 300-character job name) and escaped before it is printed, as a table's cells are. */
const shown = (text: string): string => escapeValue(clipValue(text));

async function discover(flags: DiscoverFlags, context: CommandContext): Promise<number> {
  // Files are written before anything is printed: under --json a failed run must leave stdout holding
  // only the error document (src/cli/kit/action.ts), not the gateways and then the error.
  const report = await discoverTargets(await connectDockerEngine(), {
    out: flags.out,
    address: flags.address,
    host: flags.host,
    ...(flags.job === undefined ? {} : { job: flags.job }),
    prune: flags.prune,
    write: flags.print !== true,
  });
  const errorOf = (job: string): string | null => report.rejected.find((r) => r.job === job)?.reason ?? null;
  if (flags.json) {
    // null, not a missing key, for a gateway that publishes no port or gets no target.
    const entries = report.decisions.map(({ gateway, target, note }) => ({
      ...gateway,
      published: gateway.published ?? null,
      service: gateway.service ?? null,
      target: target ?? null,
      note: note ?? null,
      error: errorOf(gateway.job),
    }));
    context.stdout.write(`${JSON.stringify(entries, null, 2)}\n`);
  } else if (!flags.print) {
    const reader = report.reader === undefined ? 'no Prometheus container reads it' : `read by Prometheus container ${report.reader.name} (${report.reader.configFile})`;
    context.stdout.write(`${escapeControl(`${report.out}: ${reader}; ${report.kind} addresses`)}\n${describe(report.decisions)}\n`);
  }
  for (const { gateway, note } of report.decisions.filter((d) => d.unscraped)) {
    context.stderr.write(`persia-metrics: warning: gateway ${shown(gateway.name)} (job ${shown(gateway.job)}) ${escapeControl(note ?? '')}; skipped\n`);
  }
  for (const { job, reason } of report.rejected) context.stderr.write(`persia-metrics: error: job ${shown(job)}: ${escapeControl(reason)}\n`);
  for (const { path, reason } of report.failed) context.stderr.write(`persia-metrics: error: ${escapeControl(path)}: ${escapeControl(reason)}\n`);
  if (flags.print) {
    for (const [file, text] of report.files) context.stdout.write(`# ${escapeControl(file)}\n${text}`);
  } else if (!flags.json) {
    for (const path of report.written) context.stdout.write(`wrote ${escapeControl(path)}\n`);
    for (const path of report.removed) context.stdout.write(`removed ${escapeControl(path)}\n`);
  }
  return report.rejected.length > 0 || report.failed.length > 0 ? EXIT_FAILURE : EXIT_OK;
}

function describe(decisions: readonly TargetDecision[]): string {
  if (decisions.length === 0) return 'no gateway found (no running container labelled persia.metrics.gateway=true)';
  return formatTable(
    ['JOB', 'GATEWAY', 'KIND', 'PUBLISHED', 'INTERNAL', 'TARGET'],
    decisions.map(({ gateway: g, target, note }) => [g.job, g.name, g.kind, g.published ?? '-', g.internal.join(',') || '-', target ?? `- (${note ?? ''})`]),
  );
}
