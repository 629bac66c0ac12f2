/** Plain aligned text tables for terminal output (check, explain, status): one formatter for every command. */

export function formatTable(header: readonly string[], rows: readonly (readonly string[])[], maxWidths: readonly number[] = []): string {
  const clip = (cell: string, column: number): string => {
    const max = maxWidths[column];
    return max !== undefined && cell.length > max ? `${cell.slice(0, max - 1)}…` : cell;
  };
  const all = [header, ...rows].map((row) => row.map((cell, column) => clip(cell, column)));
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
