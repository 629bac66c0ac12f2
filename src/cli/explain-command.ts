/** `persia-metrics explain`: every option as a table (key, type, default, env var, help), like `mephisto wut`. */
import type { Command } from 'commander';
import { OPTION_TABLE } from '../config/options.js';
import { runAction } from './kit/action.js';
import type { CommandContext } from './kit/context.js';
import { EXIT_CODES_HELP, formatTable, scalarText } from './kit/output.js';

export function registerExplainCommand(program: Command, context: CommandContext): void {
  program
    .command('explain')
    .description('list every configuration option: key, type, default, environment variable, meaning')
    .option('--json', 'print the table as JSON (typed defaults, null where there is none)')
    .addHelpText(
      'after',
      `\nKeys go in the PersiaMetricsConfig section of global_config.yaml (or common_config.metrics_config).\nKeys marked "env only" are per node: set them by environment or in code.${EXIT_CODES_HELP}`,
    )
    .action(
      runAction(context, (flags: { json?: boolean }) => {
        // Typed for JSON readers: a default is true or 10, not "true" or "10"; no default / no variable is null.
        const rows = OPTION_TABLE.map((spec) => ({
          key: spec.key,
          property: spec.property,
          type: spec.type,
          default: spec.default ?? null,
          env: spec.env ?? null,
          where: spec.inFile ? 'file/env/code' : 'env only/code',
          help: spec.help,
        }));
        if (flags.json) {
          context.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
          return;
        }
        const header = ['KEY', 'TYPE', 'DEFAULT', 'ENV VAR', 'SET IN', 'MEANING'];
        const table = rows.map((row) => [row.key, row.type, row.default === null ? '' : scalarText(row.default), row.env ?? '', row.where, row.help]);
        context.stdout.write(`${formatTable(header, table)}\n`);
      }),
    );
}
