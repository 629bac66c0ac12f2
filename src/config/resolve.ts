/**
 * Resolve the effective configuration once: defaults < file < environment < options passed in code, every
 * layer validated by the same schema from the option table, the result frozen together with where each
 * value came from (for `check`).
 */
import { ConfigError, type ConfigProblemLocation } from '../errors.js';
import { checkCredentialOptions } from './credentials.js';
import { redactUrl, type GatewayAddress } from '../gateway/address.js';
import { OPTION_BY_KEY, OPTION_TABLE, expectedValue, type MetricsOptions, type OptionSpec, type ParsedOptions, type ValueSource } from './options.js';
import { emptyVariableError, EMPTY_IS_AN_ERROR, parseEnvText, unknownVariableWarnings } from './environment.js';
import { sectionEntries, type SectionEntry } from './persiaml-layout.js';
import { didYouMean } from './suggest.js';
import { clearTextCredentialWarnings, crossOptionWarnings, describeOrigin } from './warnings.js';
import { clipText, describeValue, parseMetricsSection, readConfigText, type MetricsSection } from './yaml-document.js';

export interface ValueOrigin {
  readonly source: ValueSource;
  /** `file:line`, `PERSIA_METRICS_GATEWAY_ADDR`, or undefined for defaults and code options. */
  readonly detail?: string;
}

export interface ResolvedConfig {
  readonly options: Readonly<MetricsOptions>;
  readonly origins: Readonly<Record<keyof MetricsOptions, ValueOrigin>>;
  /**
   * `options.gatewayAddr` parsed, one entry per comma-separated replica: what the push pipeline uses (the
   * string stays for display). The option's schema parsed the winning layer's text; nothing parses it again.
   */
  readonly gateways: readonly GatewayAddress[];
  /** The file read, if any. */
  readonly file: string | undefined;
  /** Things that are allowed but probably not meant (a misspelt variable name, a timeout past the interval): a node logs each once at start, `check` prints them. */
  readonly warnings: readonly string[];
}

export interface LoadConfigInput {
  /** Path of global_config.yaml. Default: $PERSIA_GLOBAL_CONFIG; none: defaults and environment only. */
  readonly file?: string | undefined;
  /** Environment to read (default process.env); tests and the simulator pass their own. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Values from code: they win over everything else. */
  readonly options?: Partial<MetricsOptions>;
  /** Where `options` came from, as warnings name it (e.g. `--gateway` for a CLI flag); default `code options`. */
  readonly optionsOrigin?: string;
}

export const CONFIG_FILE_ENV = 'PERSIA_GLOBAL_CONFIG';

export function loadConfig(input: LoadConfigInput = {}): ResolvedConfig {
  const env = input.env ?? process.env;
  const file = input.file ?? nonEmpty(env[CONFIG_FILE_ENV]);
  const values: Record<string, unknown> = {};
  const origins: Record<string, ValueOrigin> = {};
  // Where each value was set, so a check across options (replica index vs size, user vs password) points
  // at the file line or variable that set the offending value.
  const locations: Record<string, ConfigProblemLocation> = {};

  for (const spec of OPTION_TABLE) {
    const location = { source: 'defaults', path: spec.key };
    // A default is written as a user would write it: the schema turns it into the value code uses.
    values[spec.property] = spec.default === undefined ? undefined : validate(spec, spec.default, location);
    origins[spec.property] = { source: 'default' };
    locations[spec.property] = location;
  }
  const warnings: string[] = [];
  if (file !== undefined) {
    const section = parseMetricsSection(file, readConfigText(file));
    for (const entry of sectionEntries(section)) {
      const spec = fileOption(section, entry);
      const line = section.lineOf(entry.written);
      const keyPath = [...section.path, entry.written].join('.');
      const location = { source: file, path: keyPath, line };
      locations[spec.property] = location;
      values[spec.property] = validate(spec, entry.value, location);
      origins[spec.property] = { source: 'file', detail: line === undefined ? file : `${file}:${line}` };
      if (entry.warning !== undefined) warnings.push(entry.warning(values[spec.property]));
    }
  }
  for (const spec of OPTION_TABLE) {
    const text = spec.env === undefined ? undefined : nonEmpty(env[spec.env]);
    if (spec.env !== undefined && text === undefined && env[spec.env] !== undefined && EMPTY_IS_AN_ERROR.has(spec.env)) {
      const location = { source: `environment variable ${spec.env}`, path: spec.key };
      // A string option's own schema refuses the blank, in the words it has for the file's key.
      if (spec.type === 'string') validate(spec, env[spec.env], location);
      throw emptyVariableError(spec.env, location);
    }
    if (text === undefined || spec.env === undefined) continue;
    const location = { source: `environment variable ${spec.env}`, path: spec.key };
    locations[spec.property] = location;
    values[spec.property] = validate(spec, parseEnvText(spec, text, location), location);
    origins[spec.property] = { source: 'env', detail: spec.env };
  }
  warnings.push(...unknownVariableWarnings(env));
  for (const [property, value] of Object.entries(input.options ?? {})) {
    if (value === undefined) continue;
    const spec = OPTION_TABLE.find((candidate) => candidate.property === property);
    if (spec === undefined) {
      const known = OPTION_TABLE.map((candidate) => candidate.property);
      throw new ConfigError({ source: 'options', path: property }, `one of the known options`, 'an unknown option', didYouMean(property, known));
    }
    const location = { source: 'options', path: property };
    locations[property] = location;
    values[property] = validate(spec, value, location);
    origins[property] = input.optionsOrigin === undefined ? { source: 'options' } : { source: 'options', detail: input.optionsOrigin };
  }
  const parsed = values as unknown as ParsedOptions;
  const { text: gatewayText, addresses: gateways, repeated } = parsed.gatewayAddr;
  const options: MetricsOptions = { ...parsed, gatewayAddr: gatewayText };
  const locate = (property: keyof MetricsOptions): ConfigProblemLocation => locations[property] ?? { source: 'options', path: property };
  checkReplicaRange(options, locate);
  if (options.replicaSize !== undefined && options.replicaIndex === undefined) {
    // The size alone names no node: the instance falls back to <hostname>_<pid>, a new one at each restart.
    warnings.push(
      `replica_size ${options.replicaSize} is set (${describeOrigin(origins['replicaSize'] ?? { source: 'options' })}) but replica_index is not: the instance label falls back to ` +
        'PERSIA_METRICS_INSTANCE or <hostname>_<pid>; set REPLICA_INDEX too',
    );
  }
  checkCredentialOptions(options, locate);
  warnings.push(...crossOptionWarnings(options, origins as Record<keyof MetricsOptions, ValueOrigin>));
  for (const [first, again] of repeated) {
    warnings.push(
      `gateway_addr (${describeOrigin(origins.gatewayAddr as ValueOrigin)}) names ${first.baseUrl} twice (also as ${again.host}:${again.port}): ` +
        'it is used once; list each gateway replica once',
    );
  }
  warnings.push(...clearTextCredentialWarnings(options, gateways, origins as Record<keyof MetricsOptions, ValueOrigin>));
  return Object.freeze({
    options: Object.freeze(options),
    origins: Object.freeze(origins as Record<keyof MetricsOptions, ValueOrigin>),
    gateways: Object.freeze(gateways),
    file,
    warnings: Object.freeze(warnings),
  });
}

function fileOption(section: MetricsSection, entry: SectionEntry): OptionSpec {
  // The key is whatever the file holds, any length: errors show it clipped.
  const key = clipText(entry.written);
  const spec = OPTION_BY_KEY.get(entry.key);
  const location = { source: section.file, path: [...section.path, key].join('.'), line: section.lineOf(entry.written) };
  if (spec === undefined) {
    const known = OPTION_TABLE.filter((candidate) => candidate.inFile).map((candidate) => candidate.key);
    const hint = didYouMean(entry.written, known, (near) => `"${near}"`);
    throw new ConfigError(location, 'a known option', `unknown key "${key}"`, hint ?? `known keys: ${known.join(', ')}; run \`persia-metrics explain\``);
  }
  if (spec.secret) {
    // Refused before its value is looked at or echoed: the file is shared by every node and often committed.
    throw new ConfigError(
      location,
      'no secrets in the shared file',
      `secret "${key}" (value not shown)`,
      `remove it; give it by ${spec.env ?? 'code options'} or ${key}_file`,
    );
  }
  if (!spec.inFile) {
    throw new ConfigError(location, 'a job-wide option', `per-node option "${key}"`, `set it per node with ${spec.env ?? 'code options'}, not in the shared file`);
  }
  return spec;
}

function validate(spec: OptionSpec, raw: unknown, location: ConfigProblemLocation): unknown {
  const result = spec.schema.safeParse(raw);
  if (result.success) return result.data;
  // The value is echoed back in the message: never a secret, and never a password someone put in a URL.
  const found = spec.secret ? 'a value (redacted)' : redactUrl(describeValue(raw));
  throw new ConfigError(location, expectedValue(spec, result.error), found);
}

function checkReplicaRange(options: MetricsOptions, locate: (property: keyof MetricsOptions) => ConfigProblemLocation): void {
  if (options.replicaIndex === undefined || options.replicaSize === undefined) return;
  if (options.replicaIndex < options.replicaSize) return;
  throw new ConfigError(
    locate('replicaIndex'),
    `an index below replica_size ${options.replicaSize}`,
    String(options.replicaIndex),
  );
}

function nonEmpty(text: string | undefined): string | undefined {
  return text === undefined || text.trim() === '' ? undefined : text;
}
