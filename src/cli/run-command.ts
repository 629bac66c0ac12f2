/**
 * Exit codes, the same for every command (documented in the README and in `--help`):
 *   0 success · 1 runtime failure (a server unreachable, a push refused) · 2 usage or configuration error.
 * Errors print as one readable line on stderr, never a stack trace (set PERSIA_METRICS_DEBUG=1 for one).
 */
import { PersiaMetricsError, USAGE_ERROR_CODES } from '../errors.js';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export const EXIT_CODES_HELP = '\nExit codes: 0 success, 1 runtime failure, 2 usage or configuration error.';

export function exitCodeFor(error: unknown): number {
  return error instanceof PersiaMetricsError && USAGE_ERROR_CODES.has(error.code) ? EXIT_USAGE : EXIT_FAILURE;
}

/** Wrap a command's action: print a failure as one line and set the exit code. */
export function runAction<Args extends unknown[]>(action: (...args: Args) => Promise<number | void> | number | void) {
  return async (...args: Args): Promise<void> => {
    try {
      const code = await action(...args);
      process.exitCode = code ?? EXIT_OK;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      process.stderr.write(`persia-metrics: error: ${message}\n`);
      if (process.env['PERSIA_METRICS_DEBUG'] && error instanceof Error) process.stderr.write(`${error.stack ?? ''}\n`);
      process.exitCode = exitCodeFor(error);
    }
  };
}
