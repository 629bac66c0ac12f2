/**
 * The `persia-metrics` program around the commands: help, `--version`, and commander's own errors under
 * the exit-code contract, all through the command context, so the whole CLI runs in-process as in main.ts.
 */
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { didYouMean } from '../../config/suggest.js';
import { isRepeatableParser } from './flags.js';
import type { CommandContext } from './context.js';
import { errorText, EXIT_CODES_HELP, EXIT_OK, EXIT_USAGE, USAGE_JSON_CODE, jsonError } from './output.js';
import { packageVersion } from './version.js';

/** The CLI's own entry point: `simulate` forks it once per node, each running `simulate-node`. */
export const CLI_SCRIPT = fileURLToPath(new URL('../main.js', import.meta.url));

/** How a command joins the program: each gets the context instead of the process. */
export type RegisterCommand = (program: Command, context: CommandContext) => void;

/** Runs `persia-metrics <args>` with these commands; resolves with the exit status. */
export async function runProgram(args: readonly string[], context: CommandContext, commands: readonly RegisterCommand[]): Promise<number> {
  let code = EXIT_OK;
  const program = new Command()
    .name('persia-metrics')
    .description("Metrics for PersiaML-style training jobs: check the config, explain options, simulate a cluster, deploy and inspect a job's gateways.")
    .version(packageVersion(), '-V, --version', 'print the version of persia-metrics')
    .addHelpText('after', EXIT_CODES_HELP)
    .configureOutput({
      writeOut: (text) => void context.stdout.write(text),
      writeErr: (text) => void context.stderr.write(text),
      // commander's own errors ("error: unknown option …", a value a flag parser refused) in the shape of an
      // action's (errorText): one format for every usage error, whoever found it.
      outputError: (text, write) => write(errorText(commanderMessage(text), true)),
    })
    .exitOverride();
  for (const register of commands) register(program, { ...context, setExitCode: (status) => (code = status) });
  refuseRepeatedOptions(program);
  try {
    await program.parseAsync([...args], { from: 'user' });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    code = exitCodeForCommander(error, context, args, program);
  }
  return code;
}

/**
 * An option given twice that does not add up its values (`status --job a --job b`) is a usage error on every
 * command, naming the option: commander would silently keep the last value. Only variadic options and those
 * whose parser is repeatable() (src/cli/kit/flags.ts) may repeat.
 */
function refuseRepeatedOptions(command: Command): void {
  for (const option of command.options) {
    if (option.variadic || isRepeatableParser(option.parseArg)) continue;
    let given = 0;
    command.on(`option:${option.name()}`, () => {
      given += 1;
      if (given === 2)
        command.error(`error: option '${option.flags}' given more than once (it is not repeatable): give it once`, { exitCode: EXIT_USAGE, code: 'persia.optionRepeated' });
    });
  }
  for (const sub of command.commands) refuseRepeatedOptions(sub);
}

/**
 * Asked-for help (`--help`, `help`) and `--version` are successes. Help shown because something is missing
 * (`persia-metrics` alone: commander prints it to stderr with exit code 1) and every other commander error
 * are usage errors; under --json the error is printed on stdout as JSON too, as for errors in an action.
 */
function exitCodeForCommander(error: CommanderError, context: CommandContext, args: readonly string[], program: Command): number {
  const asked = error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || (error.code === 'commander.help' && error.exitCode === 0);
  if (asked) return EXIT_OK;
  const missingCommand = error.code === 'commander.help';
  // `help stauts` reaches here as help shown for want of a command: name the one given, as `stauts` alone does.
  const missing = missingCommand ? helpTopicProblem(args, program) : undefined;
  if (missing !== undefined) context.stderr.write(errorText(missing, false));
  if (jsonRequested(args)) {
    // JSON has no help text above it to point at.
    const message = missing?.replace(` ${SEE_ABOVE}`, '') ?? commanderMessage(error.message);
    context.stdout.write(jsonError(USAGE_JSON_CODE, message));
  }
  return EXIT_USAGE;
}

/** Why help was shown instead of a command: none given, or `help <name>` naming no command (with the closest). */
function helpTopicProblem(args: readonly string[], program: Command): string {
  const helpAt = args.indexOf('help');
  const topic = helpAt === -1 ? undefined : args[helpAt + 1];
  if (topic === undefined || topic.startsWith('-')) return `no command given ${SEE_ABOVE}`;
  const hint = didYouMean(
    topic,
    program.commands.map((command) => command.name()),
  );
  return `unknown command '${topic}' ${hint === undefined ? SEE_ABOVE : `(${hint})`}`;
}

const SEE_ABOVE = '(one of the commands above)';

/** A commander error's text without its own `error: ` prefix and line end. */
function commanderMessage(text: string): string {
  return text.trimEnd().replace(/^error: /, '');
}

/** --json among the arguments, before a `--` that ends the options. */
function jsonRequested(args: readonly string[]): boolean {
  const end = args.indexOf('--');
  return (end === -1 ? args : args.slice(0, end)).includes('--json');
}
