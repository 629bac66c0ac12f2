/**
 * What `expire` and `end-job` share: the gateway's credentials, sweeping every listed gateway at once, the
 * lines that report a deletion, and the exit status of a set of sweeps. Deciding is
 * src/discovery/expiry-plan.ts and deleting src/discovery/group-expiry.ts; this is how the CLI drives and
 * reports them.
 */
import { formatDuration } from '../../monitoring/duration.js';
import { gatewayCredentials } from '../../config/credentials.js';
import { loadConfig, type ResolvedConfig } from '../../config/resolve.js';
import type { GatewayAccess } from '../../gateway/endpoint.js';
import { formatAge } from '../../discovery/gateway-status.js';
import { groupText } from '../../discovery/scrape-diagnosis.js';
import { stillPushing, type GroupDecision } from '../../discovery/expiry-plan.js';
import { sweepFailed, sweepGateway, type Deletion, type GatewaySweep, type SweepOptions } from '../../discovery/group-expiry.js';
import { GroupExpiryError } from '../../errors.js';
import type { CommandContext } from './context.js';
import { MAX_TIMEOUT_SECONDS } from './flags.js';
import { EXIT_FAILURE, EXIT_OK, escapeControl, quoted } from './output.js';

/**
 * The configuration a gateway command runs with, its warnings printed once. A `--gateway` given replaces
 * gateway_addr, so what the warnings say (credentials in clear text) is about the gateways contacted.
 */
export function commandConfig(configFile: string | undefined, gatewayFlag: string | undefined, context: CommandContext): ResolvedConfig {
  const override = gatewayFlag === undefined ? {} : { options: { gatewayAddr: gatewayFlag }, optionsOrigin: '--gateway' };
  const config = loadConfig({ file: configFile, env: context.env, ...override });
  for (const warning of config.warnings) context.stderr.write(`persia-metrics: warning: ${warning}\n`);
  return config;
}

/**
 * The nodes' own credentials and TLS trust for the gateway (PERSIA_METRICS_BASIC_AUTH_USERNAME /
 * _PASSWORD(_FILE), PERSIA_METRICS_BEARER_TOKEN(_FILE), PERSIA_METRICS_TLS_CA_FILE, or --config FILE):
 * a janitor reaches a secured gateway as the nodes do (src/config/credentials.ts).
 */
export function gatewayAccess(configFile: string | undefined, gatewayFlag: string, context: CommandContext): GatewayAccess {
  return gatewayCredentials(commandConfig(configFile, gatewayFlag, context).options);
}

/** Help for the options `expire` and `end-job` share: the credentials' source and the request timeout. */
export const CREDENTIALS_HELP = `
A gateway behind --web.config.file is reached with the nodes' own settings: PERSIA_METRICS_BASIC_AUTH_USERNAME
with PERSIA_METRICS_BASIC_AUTH_PASSWORD(_FILE), or PERSIA_METRICS_BEARER_TOKEN(_FILE), and
PERSIA_METRICS_TLS_CA_FILE for a certificate of your own CA; basic_auth_password_file, bearer_token_file and
tls_ca_file may also come from --config FILE (default: $PERSIA_GLOBAL_CONFIG).
--timeout: 0.001 to ${MAX_TIMEOUT_SECONDS} seconds, rounded to whole milliseconds.
`;

/** `job="a" role="trainer" instance="rep_0"`, job first; values as the terminal shows them, never obeys. */
export function groupName(group: Pick<GroupDecision, 'labels' | 'exactPaths'> | { readonly labels: GroupDecision['labels']; readonly exactPath: string }): string {
  return groupText(group.labels, 'exactPath' in group ? group.exactPath : group.exactPaths?.[0]);
}

/** The jobs a gateway holds, to catch a misspelt --job: `"a", "b"` or `none`. */
export function jobsThere(sweep: GatewaySweep): string {
  return sweep.jobs.length === 0 ? 'none' : sweep.jobs.map(quoted).join(', ');
}

/** One log line per deletion: which group, where, how old, its interval and the threshold it passed. */
export function deletionLine(deletion: Deletion, gateway: string, dryRun: boolean): string {
  const what = dryRun ? 'would delete' : deletion.deleted ? 'deleted' : 'FAILED to delete';
  const interval = deletion.pushIntervalSeconds === undefined ? 'no push interval published' : `push interval ${formatDuration(deletion.pushIntervalSeconds)}`;
  const threshold = deletion.thresholdSeconds === undefined ? '' : `, threshold ${formatDuration(deletion.thresholdSeconds)}`;
  const failure = deletion.error === undefined ? '' : `: ${escapeControl(deletion.error.message)}`;
  return `${new Date().toISOString()} ${what} ${groupName(deletion)} on ${gateway}: last push ${formatAge(deletion.lastPushAgeSeconds)} ago, ${interval}${threshold}${failure}`;
}

/** Sweeps every gateway at once (one that is down or hung delays no other); logs deletions as they happen unless `json`. */
export async function sweepAll(
  gateways: readonly string[],
  options: Omit<SweepOptions, 'onDeletion'> & { readonly json: boolean },
  context: CommandContext,
): Promise<GatewaySweep[]> {
  return Promise.all(
    gateways.map(async (gateway) => {
      const onDeletion = options.json ? undefined : (deletion: Deletion) => context.stdout.write(`${deletionLine(deletion, gateway, options.dryRun)}\n`);
      const sweep = await sweepGateway(gateway, { ...options, ...(onDeletion === undefined ? {} : { onDeletion }) });
      if (sweep.error !== undefined) context.stderr.write(`persia-metrics: gateway ${gateway} not swept: ${escapeControl(sweep.error.message)}\n`);
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

/** Names, once on stderr, the deleted groups whose nodes are still pushing: their next push re-creates them. */
export function warnStillPushing(sweeps: readonly GatewaySweep[], context: CommandContext): void {
  const live = sweeps.flatMap((sweep) => sweep.deletions.filter(stillPushing));
  if (live.length > 0) context.stderr.write(`persia-metrics: still pushing, will re-create their groups: ${live.map(groupName).join('; ')}\n`);
}
