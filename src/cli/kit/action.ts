/**
 * A command's action run under the exit-code contract (src/cli/kit/output.ts): its result is the exit
 * status; a failure prints as one readable line on stderr (errorText, the shape of commander's errors too), never a stack trace (PERSIA_METRICS_DEBUG=1 for
 * one), and under --json also as the JSON error document on stdout.
 */
import { Command } from 'commander';
import type { CommandContext } from './context.js';
import { errorText, EXIT_OK, exitCodeFor, isInvocationError, jsonError, jsonErrorCode } from './output.js';

export function runAction<Args extends unknown[]>(context: CommandContext, action: (...args: Args) => Promise<number | void> | number | void) {
  return async (...args: Args): Promise<void> => {
    try {
      const code = await action(...args);
      context.setExitCode(code ?? EXIT_OK);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      context.stderr.write(errorText(message, isInvocationError(error)));
      if (context.env['PERSIA_METRICS_DEBUG'] && error instanceof Error) context.stderr.write(`${error.stack ?? ''}\n`);
      if (wantsJson(args)) context.stdout.write(jsonError(jsonErrorCode(error), message));
      context.setExitCode(exitCodeFor(error));
    }
  };
}

/** Commander passes the command itself last to an action: its parsed options tell whether --json was given. */
function wantsJson(args: readonly unknown[]): boolean {
  const command = args[args.length - 1];
  return command instanceof Command && command.opts()['json'] === true;
}
