/**
 * What every command prints, in one place: aligned tables whose cells cannot steer the terminal, JSON,
 * plurals and durations, and the exit-code contract (documented in the README and in `--help`):
 *   0 success · 1 runtime failure (a server unreachable, a push refused) · 2 usage or configuration error.
 * A command run with --json prints its error on stdout as `{"error":{"code","message"}}`, so a script
 * reading stdout always gets one JSON document, success or not.
 */
import { clipValue, escapeControl, escapeValue, PersiaMetricsError, quoteValue } from '../../errors.js';

export { clipValue, escapeControl, escapeValue };

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export const EXIT_CODES_HELP = '\nExit codes: 0 success, 1 runtime failure, 2 usage or configuration error.';

/** Said after an error of the invocation itself (commander's own, and PERSIA_USAGE / PERSIA_DEPLOY_USAGE from an action). */
export const USAGE_HINT = '(run with --help for usage)';

/**
 * The one shape of an error on stderr, whoever found it: commander while parsing (an unknown option, a bad
 * value a flag parser refused: src/cli/kit/program.ts) or a command's action (a typed error: action.ts).
 * `persia-metrics: error: <message>`, then USAGE_HINT when the invocation is what is wrong.
 */
export function errorText(message: string, invocation: boolean): string {
  // A message may carry what a server answered (a gateway's error body): shown, never obeyed.
  return `persia-metrics: error: ${escapeControl(message)}\n${invocation ? `${USAGE_HINT}\n` : ''}`;
}

/** Whether an error from an action is one of the invocation (its options), so errorText adds USAGE_HINT. */
export function isInvocationError(error: unknown): boolean {
  return error instanceof PersiaMetricsError && (error.code === 'PERSIA_USAGE' || error.code === 'PERSIA_DEPLOY_USAGE');
}

/** JSON error code of a command-line usage error caught by commander (unknown option, missing value). */
export const USAGE_JSON_CODE = 'PERSIA_USAGE';
/** JSON error code of an error that is not one of ours (a bug, or a library failing in an unforeseen way). */
export const UNEXPECTED_JSON_CODE = 'PERSIA_UNEXPECTED';

export function exitCodeFor(error: unknown): number {
  return error instanceof PersiaMetricsError ? error.exitCode : EXIT_FAILURE;
}

/** The JSON code of an error: ours carry a stable one; anything else is unexpected. */
export function jsonErrorCode(error: unknown): string {
  return error instanceof PersiaMetricsError ? error.code : UNEXPECTED_JSON_CODE;
}

/** The one JSON shape of an error on stdout. */
export function jsonError(code: string, message: string): string {
  return `${JSON.stringify({ error: { code, message } }, null, 2)}\n`;
}

/** JSON with unset values as `null` (the CLI's rule: a script sees every key). */
export function toJson(document: unknown, pretty = true): string {
  return JSON.stringify(document, (_key, value: unknown) => (value === undefined ? null : value), pretty ? 2 : undefined);
}

/** `"value"` for a message line: JSON quoting, and nothing in it that steers the terminal or shows as nothing (src/errors/error-text.ts). */
export function quoted(text: string): string {
  return quoteValue(text);
}

/**
 * A table cell already shown where it was made (a group's quoted labels, a value spelt by its bytes as
 * `\xff`): formatTable prints it as it is. Every other cell is a value from outside, escaped and clipped there.
 */
export class ShownCell {
  constructor(readonly text: string) {}
}

/**
 * An aligned text table (check, explain, status, discover, demo). Each cell is text from outside unless a
 * ShownCell: clipped to its start and length past SHOWN_VALUE_CHARS, then escaped with the one escaper of bare
 * values (a backslash doubled, so a real ESC shows `\e` and the text `\e` shows `\\e`).
 */
export function formatTable(header: readonly string[], rows: readonly (readonly (string | ShownCell)[])[]): string {
  const shown = (cell: string | ShownCell): string => (cell instanceof ShownCell ? cell.text : escapeValue(clipValue(cell)));
  const all = [header, ...rows].map((row) => row.map(shown));
  const widths = header.map((_, column) => Math.max(...all.map((row) => (row[column] ?? '').length)));
  const line = (row: readonly string[]): string =>
    row
      .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(all[0] ?? []), widths.map((width) => '-'.repeat(width)).join('  '), ...all.slice(1).map(line)].join('\n');
}

/** A table cell for an option value: options are scalars (String() as before); anything else as JSON, never "[object Object]". */
export function scalarText(value: unknown): string {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value === undefined || typeof value === 'symbol' || typeof value === 'function') return String(value);
  return JSON.stringify(value);
}

/** "1 group", "2 groups". */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
