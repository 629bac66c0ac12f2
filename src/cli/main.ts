#!/usr/bin/env node
/** The `persia-metrics` command: thin commands over the library. */
import { Command, type CommanderError } from 'commander';
import { registerCheckCommand } from './check-command.js';
import { registerDemoCommand } from './demo-command.js';
import { registerDiscoverCommand } from './discover-command.js';
import { registerEndJobCommand } from './end-job-command.js';
import { registerExpireCommand } from './expire-command.js';
import { registerExplainCommand } from './explain-command.js';
import { registerInitCommand } from './init-command.js';
import { EXIT_CODES_HELP, EXIT_OK, EXIT_USAGE, USAGE_JSON_CODE, jsonError } from './run-command.js';
import { registerSimulateCommand } from './simulate-command.js';
import { registerSimulateNodeCommand } from './simulate-node-command.js';
import { registerStatusCommand } from './status-command.js';
import { registerViewCommand } from './view-command.js';

const program = new Command()
  .name('persia-metrics')
  .description("Metrics for PersiaML-style training jobs: check the config, explain options, simulate a cluster, deploy and inspect a job's gateways.")
  .showHelpAfterError('(run with --help for usage)')
  .addHelpText('after', EXIT_CODES_HELP)
  .exitOverride((error: CommanderError) => {
    process.exit(exitCodeForCommander(error));
  });

/**
 * Asked-for help (`--help`, `help`) and `--version` are successes. Help shown because something is missing
 * (`persia-metrics` alone: commander prints it to stderr with exit code 1) and every other commander error
 * are usage errors; under --json the error is printed on stdout as JSON too, as for errors in an action.
 */
function exitCodeForCommander(error: CommanderError): number {
  const asked = error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || (error.code === 'commander.help' && error.exitCode === 0);
  if (asked) return EXIT_OK;
  const missingCommand = error.code === 'commander.help';
  if (missingCommand) process.stderr.write('persia-metrics: error: no command given (one of the commands above)\n');
  if (jsonRequested(process.argv.slice(2))) {
    const message = missingCommand ? 'no command given' : error.message.replace(/^error: /, '');
    process.stdout.write(jsonError(USAGE_JSON_CODE, message));
  }
  return EXIT_USAGE;
}

/** --json among the arguments, before a `--` that ends the options. */
function jsonRequested(args: readonly string[]): boolean {
  const end = args.indexOf('--');
  return (end === -1 ? args : args.slice(0, end)).includes('--json');
}

registerCheckCommand(program);
registerExplainCommand(program);
registerSimulateCommand(program);
registerSimulateNodeCommand(program);
registerDemoCommand(program);
registerInitCommand(program);
registerDiscoverCommand(program);
registerStatusCommand(program);
registerViewCommand(program);
registerExpireCommand(program);
registerEndJobCommand(program);

await program.parseAsync(process.argv);
