/**
 * Errors of the configuration layer (src/config): a value that is wrong, or a file that cannot be read.
 */
import { escapeControl, formatBytes } from './error-text.js';
import { PersiaMetricsError } from './persia-error.js';

export interface ConfigProblemLocation {
  /** The file, or a description of where the value came from (`env PERSIA_METRICS_GATEWAY_ADDR`, `options`). */
  readonly source: string;
  /** Dotted key path, e.g. `PersiaMetricsConfig.push_interval_seconds`. */
  readonly path: string;
  /** 1-based line in the file, when the value came from a file and the line is known. */
  readonly line?: number | undefined;
}

/** A configuration value is wrong: says where (file, key path, line), what was expected and what was found. */
export class ConfigError extends PersiaMetricsError {
  readonly source: string;
  readonly path: string;
  readonly line: number | undefined;
  readonly expected: string;
  readonly found: string;

  constructor(location: ConfigProblemLocation, expected: string, found: string, hint?: string) {
    const where = location.line === undefined ? location.source : `${location.source}:${location.line}`;
    const key = location.path === '' ? '' : ` ${location.path}:`;
    // One line whatever the file held: a key or value with a newline or other control character (YAML
    // allows them in quoted keys) is shown escaped, so the CLI's one-line error stays one line.
    super('PERSIA_CONFIG_INVALID', escapeControl(`${where}:${key} expected ${expected}, found ${found}${hint ? ` (${hint})` : ''}`));
    this.source = location.source;
    this.path = location.path;
    this.line = location.line;
    this.expected = expected;
    this.found = found;
  }
}

/** The configuration file could not be read or parsed as YAML at all. */
export class ConfigFileError extends PersiaMetricsError {
  readonly file: string;
  readonly line: number | undefined;

  constructor(file: string, reason: string, line?: number, cause?: unknown) {
    super('PERSIA_CONFIG_UNREADABLE', `${line === undefined ? file : `${file}:${line}`}: ${reason}`, { cause });
    this.file = file;
    this.line = line;
  }
}

/** A file named in the configuration is larger than any real one of its kind: refused before it is parsed. */
export class ConfigFileTooLargeError extends ConfigFileError {
  readonly limitBytes: number;

  constructor(file: string, what: string | undefined, limitBytes: number) {
    super(file, `${what === undefined ? '' : `${what} `}is larger than ${formatBytes(limitBytes)}, the limit for it (refused unread)`);
    this.limitBytes = limitBytes;
  }
}
