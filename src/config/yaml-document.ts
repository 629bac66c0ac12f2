/**
 * Reading `global_config.yaml`: parse it, find the metrics section in either of the two layouts users have,
 * and map a key path back to its line so every error can point at it.
 */
import yaml from 'js-yaml';
import { ConfigError, ConfigFileError } from '../errors.js';
import { FILE_LIMITS, readBoundedFile } from './bounded-file.js';

/** The seed's layout: a top-level section. */
export const SECTION_KEY = 'PersiaMetricsConfig';
/** PersiaML's code layout (rust/persia-common config): `common_config.metrics_config`. */
export const PERSIA_SECTION_PATH = ['common_config', 'metrics_config'] as const;

export interface MetricsSection {
  readonly file: string;
  /** Key path of the section, e.g. ['PersiaMetricsConfig']. */
  readonly path: readonly string[];
  readonly values: Record<string, unknown>;
  /** 1-based line of a key inside the section (undefined if it cannot be found). */
  lineOf(key?: string): number | undefined;
}

/** The text of a YAML file a user named (global_config.yaml, a Prometheus config): a regular file of at most 1 MiB. */
export function readConfigText(file: string): string {
  return readBoundedFile(file, undefined, FILE_LIMITS.config);
}

/** Parse the file's text and return the metrics section, or throw a ConfigError/ConfigFileError naming the file. */
export function parseMetricsSection(file: string, text: string): MetricsSection {
  let document: unknown;
  try {
    document = yaml.load(text, { filename: file });
  } catch (error) {
    const mark = (error as { mark?: { line?: number } }).mark;
    const reason = (error as { reason?: string }).reason ?? String(error);
    throw new ConfigFileError(file, `not valid YAML: ${reason}`, mark?.line === undefined ? undefined : mark.line + 1, error);
  }
  const lines = text.split(/\r?\n/);
  if (!isMapping(document)) {
    throw new ConfigError({ source: file, path: '' }, `a YAML mapping with a ${SECTION_KEY} section`, describeValue(document));
  }
  const top = document[SECTION_KEY];
  const common = document[PERSIA_SECTION_PATH[0]];
  const nested = isMapping(common) ? common[PERSIA_SECTION_PATH[1]] : undefined;
  if (top !== undefined && nested !== undefined) {
    throw new ConfigError(
      { source: file, path: PERSIA_SECTION_PATH.join('.'), line: findKeyLine(lines, [...PERSIA_SECTION_PATH]) },
      `one metrics section`,
      `both ${SECTION_KEY} and ${PERSIA_SECTION_PATH.join('.')}`,
      'keep one of them',
    );
  }
  const path: readonly string[] = top !== undefined ? [SECTION_KEY] : nested !== undefined ? PERSIA_SECTION_PATH : [];
  if (path.length === 0) {
    throw new ConfigError(
      { source: file, path: SECTION_KEY },
      `a ${SECTION_KEY} section (or ${PERSIA_SECTION_PATH.join('.')})`,
      'no such section',
      `add "${SECTION_KEY}:\\n  enable_metrics: true\\n  job_name: my_job"`,
    );
  }
  const values = top ?? nested;
  if (!isMapping(values)) {
    throw new ConfigError({ source: file, path: path.join('.'), line: findKeyLine(lines, [...path]) }, 'a mapping of options', describeValue(values));
  }
  return {
    file,
    path,
    values,
    lineOf: (key) => findKeyLine(lines, key === undefined ? [...path] : [...path, key]),
  };
}

/** A plain YAML mapping: not a list, a date, nor `!!binary` data (a Buffer, whose bytes would read as keys "0", "1"...). */
export function isMapping(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** How a found value is described in errors: its type and, when short, the value itself. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'nothing (empty value)';
  if (Array.isArray(value)) return `a list of ${value.length} item(s)`;
  if (value instanceof Date) return `a date (${value.toISOString().slice(0, 10)})`;
  if (value instanceof Uint8Array) return `binary data (${value.length} bytes)`;
  if (typeof value === 'object') return 'a mapping';
  // What is left is a scalar (a code option may also be a symbol or a function): String() of each, spelled out.
  const text =
    typeof value === 'string'
      ? JSON.stringify(value)
      : typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint'
        ? String(value)
        : typeof value === 'symbol' || typeof value === 'function'
          ? value.toString()
          : '';
  return `${typeof value} ${clipText(text)}`;
}

/** Text from a file as an error shows it: at most `max` characters, a longer one cut and its length said. */
export function clipText(text: string, max = 60): string {
  return text.length > max ? `${text.slice(0, max - 3)}... (${text.length} characters)` : text;
}

/**
 * 1-based line of a key path in block-style YAML: each segment is searched below its parent's line, at a
 * deeper indent. js-yaml keeps no positions, and this covers how config files are written; flow-style
 * (`{a: 1}`) sections simply give no line.
 */
export function findKeyLine(lines: readonly string[], path: readonly string[]): number | undefined {
  let from = 0;
  let parentIndent = -1;
  let found: number | undefined;
  for (const segment of path) {
    found = undefined;
    for (let index = from; index < lines.length; index += 1) {
      const line = lines[index] ?? '';
      if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
      const indent = line.length - line.trimStart().length;
      if (indent <= parentIndent) break; // left the parent's block
      if (startsWithKey(line.slice(indent), segment)) {
        found = index;
        parentIndent = indent;
        from = index + 1;
        break;
      }
    }
    if (found === undefined) return undefined;
  }
  return found === undefined ? undefined : found + 1;
}

/**
 * `key:`, `"key":` or `'key':` at the start of `text`. Compared as text, never built into a RegExp: a key is
 * whatever the file holds, and a 100,000-character one is beyond what a RegExp may be.
 */
function startsWithKey(text: string, key: string): boolean {
  for (const quote of ['"', "'", '']) {
    const written = `${quote}${key}${quote}`;
    if (text.startsWith(written) && text.slice(written.length).trimStart().startsWith(':')) return true;
  }
  return false;
}
