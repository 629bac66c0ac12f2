/** Plain-text tables for the bench's output: fixed-width columns, numbers rounded for reading. */

export type Cell = string | number;

export function formatCell(value: Cell): string {
  if (typeof value === 'string') return value;
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  const abs = Math.abs(value);
  return value.toFixed(abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3);
}

export function table(title: string, header: readonly string[], rows: ReadonlyArray<readonly Cell[]>): string {
  const text = rows.map((row) => row.map(formatCell));
  const widths = header.map((name, column) => Math.max(name.length, ...text.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0))).join('  ');
  return [`\n## ${title}`, line(header), widths.map((width) => '-'.repeat(width)).join('  '), ...text.map(line)].join('\n');
}

/** `met` / `NOT met` with the figure, for the goal summary. */
export function verdict(ok: boolean): string {
  return ok ? 'met' : 'NOT met';
}
