/** `persia-metrics check`: validate the configuration and print the effective values and where each came from. */
import type { Command } from 'commander';
import { gatewayCredentials } from '../config/credentials.js';
import { OPTION_TABLE } from '../config/options.js';
import { loadConfig } from '../config/resolve.js';
import { groupingKeyFor, groupingPath } from '../push/grouping-key.js';
import { formatTable } from './text-table.js';
import { EXIT_CODES_HELP, runAction } from './run-command.js';

export function registerCheckCommand(program: Command): void {
  program
    .command('check')
    .description('validate global_config.yaml (+ environment) and print the effective configuration with the source of each value')
    .option('-c, --config <file>', 'path of global_config.yaml (default: $PERSIA_GLOBAL_CONFIG, else ./global_config.yaml)')
    .option('--json', 'print the effective configuration as JSON')
    .addHelpText('after', EXIT_CODES_HELP)
    .action(
      runAction((flags: { config?: string; json?: boolean }) => {
        const file = flags.config ?? process.env['PERSIA_GLOBAL_CONFIG'] ?? 'global_config.yaml';
        const config = loadConfig({ file });
        // Read the secret and CA files now, as a node would at start: a missing one is a check failure.
        const credentials = gatewayCredentials(config.options);
        const auth = credentials.headers['authorization']?.split(' ')[0];
        const rows = OPTION_TABLE.map((spec) => {
          const value = config.options[spec.property];
          const origin = config.origins[spec.property];
          const shown = spec.secret && value !== undefined ? '***' : value === undefined ? '(unset)' : String(value);
          return { key: spec.key, value: shown, source: origin.source, from: origin.detail ?? '' };
        });
        const key = groupingKeyFor(config.options);
        if (flags.json) {
          process.stdout.write(`${JSON.stringify({ file: config.file, options: rows, groupingPath: groupingPath(key) }, null, 2)}\n`);
          return;
        }
        process.stdout.write(`${config.file}: OK\n\n`);
        process.stdout.write(`${formatTable(['KEY', 'VALUE', 'SOURCE', 'FROM'], rows.map((row) => [row.key, row.value, row.source, row.from]))}\n\n`);
        const security = [auth === undefined ? '' : `${auth} auth`, 'ca' in credentials.connect ? 'TLS with the given CA' : ''].filter(Boolean).join(', ');
        process.stdout.write(
          `This node pushes to ${groupingPath(key)} on ${config.options.gatewayAddr}${security ? ` (${security})` : ''}${config.options.enableMetrics ? '' : ' (disabled: enable_metrics is false)'}\n`,
        );
      }),
    );
}
