/**
 * `persia-metrics check`: resolve the configuration exactly as a node started here would (same file lookup,
 * same environment, same secret files), and print the effective values, where each came from, and the
 * warnings a node would log.
 */
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Command } from 'commander';
import { gatewayCredentials } from '../config/credentials.js';
import { OPTION_TABLE, type MetricsOptions } from '../config/options.js';
import { CONFIG_FILE_ENV, loadConfig, type ResolvedConfig } from '../config/resolve.js';
import { encodeGroupingPath, groupingKeyFor, groupingPath } from '../push/grouping-key.js';
import { runAction } from './kit/action.js';
import type { CommandContext } from './kit/context.js';
import { parsePath } from './kit/flags.js';
import { EXIT_CODES_HELP, formatTable, scalarText } from './kit/output.js';

type InstanceFrom = 'instance' | 'replica_index' | 'hostname_pid';

/** What stands for the pid in an instance a node derives from hostname and pid: check's own pid is not the node's. */
export const NODE_PID_PLACEHOLDER = '<pid of the node>';

export function registerCheckCommand(program: Command, context: CommandContext): void {
  program
    .command('check')
    .description('validate the configuration a node would load (global_config.yaml + environment) and print every effective value with its source')
    .option('-c, --config <file>', `path of global_config.yaml (default: $${CONFIG_FILE_ENV}, else no file: defaults + environment, as a node started without one)`, parsePath)
    .option('--json', 'print the effective configuration as JSON (typed values, null for unset; errors as {"error":{...}})')
    .addHelpText('after', EXIT_CODES_HELP)
    .action(runAction(context, (flags: { config?: string; json?: boolean }) => check(flags, context)));
}

function check(flags: { config?: string; json?: boolean }, context: CommandContext): void {
  // No default file name: a node without `file` and without $PERSIA_GLOBAL_CONFIG reads no file either.
  const config = loadConfig({ file: flags.config, env: context.env });
  // Read the secret and CA files now, as a node would at start: a missing one is a check failure.
  const credentials = gatewayCredentials(config.options);
  const auth = credentials.headers['authorization']?.split(' ')[0];
  const fileFrom = flags.config !== undefined ? '--config' : config.file !== undefined ? CONFIG_FILE_ENV : null;
  const rows = OPTION_TABLE.map((spec) => {
    const value = config.options[spec.property];
    const origin = config.origins[spec.property];
    const shown: unknown = spec.secret && value !== undefined ? '***' : (value ?? null);
    return { key: spec.key, value: shown, source: origin.source, from: origin.detail ?? null };
  });
  const instance = describeInstance(config.options);
  const path =
    instance.from === 'hostname_pid'
      ? `${encodeGroupingPath([
          ['job', config.options.jobName],
          ['role', config.options.role],
          ['instance', instance.prefix],
        ])}${instance.suffix}`
      : groupingPath(groupingKeyFor(config.options));
  if (config.file === undefined && existsSync('global_config.yaml')) {
    context.stderr.write(
      `persia-metrics: note: ./global_config.yaml is not read: a node reads a file only when its code passes \`file\` or $${CONFIG_FILE_ENV} names it (check it with --config global_config.yaml)\n`,
    );
  }
  if (flags.json) {
    const document = {
      file: config.file ?? null,
      fileFrom,
      options: rows,
      instance: { value: instance.prefix + instance.suffix, from: instance.from },
      groupingPath: path,
      warnings: config.warnings,
    };
    context.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
    return;
  }
  for (const warning of config.warnings) context.stderr.write(`persia-metrics: warning: ${warning}\n`);
  context.stdout.write(`${describeFile(config, fileFrom)}: OK\n\n`);
  const text = (value: unknown): string => (value === null ? '(unset)' : scalarText(value));
  context.stdout.write(
    `${formatTable(
      ['KEY', 'VALUE', 'SOURCE', 'FROM'],
      rows.map((row) => [row.key, text(row.value), row.source, row.from ?? '']),
    )}\n\n`,
  );
  if (instance.from === 'hostname_pid') {
    context.stdout.write(
      `instance: ${instance.prefix}${instance.suffix} (neither PERSIA_METRICS_INSTANCE nor REPLICA_INDEX is set: each node uses its hostname and its own pid, and a worker thread adds _t<thread id>)
`,
    );
  }
  const security = [auth === undefined ? '' : `${auth} auth`, 'ca' in credentials.connect ? 'TLS with the given CA' : ''].filter(Boolean).join(', ');
  context.stdout.write(
    `This node pushes to ${path} on ${config.options.gatewayAddr}${security ? ` (${security})` : ''}${config.options.enableMetrics ? '' : ' (disabled: enable_metrics is false)'}\n`,
  );
}

function describeFile(config: ResolvedConfig, fileFrom: string | null): string {
  if (config.file === undefined) return `no config file (no --config, $${CONFIG_FILE_ENV} unset): defaults + environment, as a node started without one`;
  return `${config.file} (from ${fileFrom === CONFIG_FILE_ENV ? `$${CONFIG_FILE_ENV}` : fileFrom})`;
}

/**
 * The node's instance as the push code derives it (src/push/grouping-key.ts): the option, else rep_<index>,
 * else <hostname>_<pid> (+ _t<thread id> in a worker thread), where the pid is the node's, unknown here.
 */
function describeInstance(options: MetricsOptions): { prefix: string; suffix: string; from: InstanceFrom } {
  if (options.instance !== undefined) return { prefix: options.instance, suffix: '', from: 'instance' };
  if (options.replicaIndex !== undefined) return { prefix: `rep_${options.replicaIndex}`, suffix: '', from: 'replica_index' };
  return { prefix: `${hostname()}_`, suffix: NODE_PID_PLACEHOLDER, from: 'hostname_pid' };
}
