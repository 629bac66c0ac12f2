#!/usr/bin/env node
/** The `persia-metrics` command: thin commands over the library. */
import { Command, CommanderError } from 'commander';
import { registerCheckCommand } from './check-command.js';
import { registerDemoCommand } from './demo-command.js';
import { registerDiscoverCommand } from './discover-command.js';
import { registerExplainCommand } from './explain-command.js';
import { registerInitCommand } from './init-command.js';
import { EXIT_CODES_HELP, EXIT_OK, EXIT_USAGE } from './run-command.js';
import { registerSimulateCommand } from './simulate-command.js';
import { registerSimulateNodeCommand } from './simulate-node-command.js';
import { registerStatusCommand } from './status-command.js';

const program = new Command()
  .name('persia-metrics')
  .description('Metrics for PersiaML-style training jobs: check the config, explain options, simulate a cluster, deploy and inspect a job\'s gateways.')
  .showHelpAfterError('(run with --help for usage)')
  .addHelpText('after', EXIT_CODES_HELP)
  .exitOverride((error: CommanderError) => {
    // Help and version are successes; any other commander error is a usage error.
    const ok = error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help';
    process.exit(ok ? EXIT_OK : EXIT_USAGE);
  });

registerCheckCommand(program);
registerExplainCommand(program);
registerSimulateCommand(program);
registerSimulateNodeCommand(program);
registerDemoCommand(program);
registerInitCommand(program);
registerDiscoverCommand(program);
registerStatusCommand(program);

await program.parseAsync(process.argv);
