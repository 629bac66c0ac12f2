/**
 * The README's configuration table is what a user reads first: it lists every option a file, the environment
 * or code can set, with its variable, as one Markdown table (a README-only session found its header rows gone,
 * so it rendered as a paragraph of pipes, and the off switch `enable_metrics` / PERSIA_METRICS_ENABLED missing).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { OPTION_TABLE } from '../../../src/config/options.js';

const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
const section = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('\n## ', readme.indexOf('## Configuration') + 1));
const lines = section.split('\n');

describe("the README's configuration table", () => {
  it('is one Markdown table: a header row, its delimiter, then a row per option', () => {
    const first = lines.findIndex((line) => line.startsWith('|'));
    expect(lines[first]).toBe('| key | type | default | env var | meaning |');
    expect(lines[first + 1]).toBe('|---|---|---|---|---|');
    const rows = lines.slice(first + 2);
    const end = rows.findIndex((line) => !line.startsWith('|'));
    expect(rows.slice(end === -1 ? rows.length : end).filter((line) => line.startsWith('|'))).toEqual([]);
  });

  it("names every option with its environment variable (a secret's file variant in its secret's row)", () => {
    const rows = lines.filter((line) => line.startsWith('| ') && !line.startsWith('| key |'));
    for (const spec of OPTION_TABLE) {
      const row = rows.find((line) => line.startsWith(`| ${spec.key} `)) ?? rows.find((line) => line.includes(`\`${spec.key}\``));
      expect(row, spec.key).toBeDefined();
      if (spec.env !== undefined) expect(row, spec.key).toContain(spec.env);
    }
  });
});
