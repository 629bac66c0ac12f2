/**
 * Exit codes, the same for every command (documented in the README and in `--help`):
 *   0 success · 1 runtime failure (a server unreachable, a push refused) · 2 usage or configuration error.
 * Errors print as one readable line on stderr, never a stack trace (set PERSIA_METRICS_DEBUG=1 for one).
 * A command run with --json also prints its error on stdout as `{"error":{"code","message"}}`, so a script
 * reading stdout always gets one JSON document, success or not.
 */
import { Command } from 'commander';
import { PersiaMetricsError } from '../errors.js';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export const EXIT_CODES_HELP = '\nExit codes: 0 success, 1 runtime failure, 2 usage or configuration error.';

/** JSON error code of a command-line usage error caught by commander (unknown option, missing value). */
export const USAGE_JSON_CODE = 'PERSIA_USAGE';
/** JSON error code of an error that is not one of ours (a bug, or a library failing in an unforeseen way). */
export const UNEXPECTED_JSON_CODE = 'PERSIA_UNEXPECTED';

export function exitCodeFor(error: unknown): number {
  return error instanceof PersiaMetricsError ? error.exitCode : EXIT_FAILURE;
}

/** The one JSON shape of an error on stdout. */
export function jsonError(code: string, message: string): string {
  return `${JSON.stringify({ error: { code, message } }, null, 2)}\n`;
}

/** Wrap a command's action: print a failure as one line (and as JSON under --json) and set the exit code. */
export function runAction<Args extends unknown[]>(action: (...args: Args) => Promise<number | void> | number | void) {
  return async (...args: Args): Promise<void> => {
    try {
      const code = await action(...args);
      process.exitCode = code ?? EXIT_OK;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      process.stderr.write(`persia-metrics: error: ${message}\n`);
      if (process.env['PERSIA_METRICS_DEBUG'] && error instanceof Error) process.stderr.write(`${error.stack ?? ''}\n`);
      if (wantsJson(args)) process.stdout.write(jsonError(error instanceof PersiaMetricsError ? error.code : UNEXPECTED_JSON_CODE, message));
      process.exitCode = exitCodeFor(error);
    }
  };
}

/** Commander passes the command itself last to an action: its parsed options tell whether --json was given. */
function wantsJson(args: readonly unknown[]): boolean {
  const command = args[args.length - 1];
  return command instanceof Command && command.opts()['json'] === true;
}
