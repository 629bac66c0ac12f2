/**
 * The one escaping of a value inside a double-quoted PromQL string, shared by the page (node-rows.ts), the
 * view server's panels (../view-panels.ts) and `demo` (src/cli/demo-command.ts). Pure: no DOM, no Node.
 */

/** A `"` or `\` in a job name must not end the string (`a"b` would break the query, `a\b` match nothing). */
export function promqlStringContent(value: string): string {
  return value.replaceAll('\\', '\\\\').replaceAll('"', '\\"');
}
