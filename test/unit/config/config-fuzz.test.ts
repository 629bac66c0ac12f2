/**
 * Property-based: whatever a user writes in global_config.yaml, the environment or code options, loading it
 * yields a valid frozen config or a typed ConfigError/ConfigFileError that names where (file + key path),
 * never a TypeError or any other surprise from deep inside. (`check` on bad files, which runs the built CLI, is in
 * test/integration/cli-check-bad-files.test.ts.)
 */
import fc from 'fast-check';
import yaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { OPTION_TABLE } from '../../../src/config/options.js';
import { loadConfig, type LoadConfigInput } from '../../../src/config/resolve.js';
import { ConfigError, ConfigFileError } from '../../../src/errors.js';
import { configFileWriter } from '../../helpers/config-files.js';

const write = configFileWriter('persia-config-fuzz-');

/** Load, and check the outcome is one of the two allowed shapes. Returns the error, if any. */
function loadChecked(input: LoadConfigInput): ConfigError | ConfigFileError | undefined {
  try {
    const config = loadConfig(input);
    expect(Object.isFrozen(config.options)).toBe(true);
    expect(Number.isFinite(config.options.pushIntervalSeconds) && config.options.pushIntervalSeconds > 0).toBe(true);
    expect(config.options.jobName.trim()).not.toBe('');
    return undefined;
  } catch (error) {
    if (error instanceof ConfigFileError) {
      expect(error.file).toBe(input.file);
      return error;
    }
    if (!(error instanceof ConfigError)) throw new Error(`not a typed config error: ${String(error)}`, { cause: error });
    expect(error.message).not.toMatch(/\n/); // one readable line
    return error;
  }
}

// Values a YAML document can hold after parsing, including the awkward ones (dates, huge numbers, deep nesting).
const scalar = fc.oneof(
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.constantFrom(1e308, -0, 0.01, 86_401, 2 ** 53, '', ' ', 'true', '10', 'NaN', 'metrics_gateway:9091', 'a/b c', 'http://h:1/p', '日本'),
  fc.string(),
  fc.string({ unit: 'binary' }), // control characters, newlines, astral unicode
  fc.constant(null),
);
const value = fc.letrec((tie) => ({
  any: fc.oneof({ depthSize: 'small' }, scalar, fc.array(tie('any'), { maxLength: 3 }), fc.dictionary(fc.string(), tie('any'), { maxKeys: 3 })),
})).any;
const knownKey = fc.constantFrom(...OPTION_TABLE.map((spec) => spec.key));
// Keys with a newline or control character are legal in quoted YAML keys and must not break the one-line error.
const key = fc.oneof(knownKey, knownKey.map((known) => known.replace('_', '')), fc.string(), fc.string({ unit: 'binary' }), fc.constantFrom('a\nb', 'tab\there', '\u0000'));
const section = fc.dictionary(key, value, { maxKeys: 5 });

const PARAMS = { numRuns: 300 };

describe('config from random input (fast-check)', () => {
  it('random section contents: a valid config or a ConfigError with the key path and line', () => {
    fc.assert(
      fc.property(section, fc.constantFrom('PersiaMetricsConfig', 'common_config.metrics_config'), (values, layout) => {
        const document = layout === 'PersiaMetricsConfig' ? { PersiaMetricsConfig: values } : { common_config: { metrics_config: values } };
        const file = write(yaml.dump(document, { skipInvalid: true }));
        const error = loadChecked({ file, env: {} });
        if (error instanceof ConfigError && Object.keys(values).length > 0) {
          expect(error.source).toBe(file);
          expect(error.path.startsWith(layout === 'PersiaMetricsConfig' ? 'PersiaMetricsConfig' : 'common_config.metrics_config')).toBe(true);
        }
      }),
      PARAMS,
    );
  });

  it('random whole documents (not a mapping, missing section, other shapes): typed errors only', () => {
    fc.assert(
      fc.property(value, (document) => {
        loadChecked({ file: write(yaml.dump(document, { skipInvalid: true })), env: {} });
      }),
      PARAMS,
    );
  });

  it('random text (broken YAML, tabs, anchors, binary): typed errors only', () => {
    const yamlish = fc.array(fc.constantFrom('PersiaMetricsConfig:', '  job_name: x', '\t', ': :', '- a', '&a [*a]', '{', '"', "'", '!!binary', '%YAML 1.2', '---', 'PersiaMetricsConfig: !!binary aGVsbG8=', 'PersiaMetricsConfig: !!set {a, b}', '"k\\ny": 1', '  push_interval_seconds: 1e999', '\n'), { maxLength: 8 });
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), yamlish.map((lines) => lines.join('\n'))), (text) => {
        loadChecked({ file: write(text), env: {} });
      }),
      PARAMS,
    );
  });

  it('random environment values for every option: valid, or a ConfigError naming the option', () => {
    const env = fc.record(Object.fromEntries(OPTION_TABLE.filter((spec) => spec.env).map((spec) => [spec.env as string, fc.oneof(fc.string(), fc.string({ unit: 'binary' }))])), { requiredKeys: [] });
    fc.assert(
      fc.property(env, (variables) => {
        const error = loadChecked({ env: variables });
        if (error instanceof ConfigError) expect(OPTION_TABLE.some((spec) => error.path === spec.key)).toBe(true);
      }),
      PARAMS,
    );
  });

  it('random code options of any type: valid, or a ConfigError naming the option', () => {
    const options = fc.record(Object.fromEntries(OPTION_TABLE.map((spec) => [spec.property, value])), { requiredKeys: [] });
    fc.assert(
      fc.property(options, (given) => {
        const error = loadChecked({ env: {}, options: given });
        if (error instanceof ConfigError) {
          expect(OPTION_TABLE.some((spec) => error.path === spec.property || error.path === spec.key)).toBe(true);
        }
      }),
      PARAMS,
    );
  });

  it('a job name with "/" or spaces is a valid config (the grouping key encodes it, see the round-trip test)', () => {
    const file = write('PersiaMetricsConfig:\n  job_name: "dlrm v1/eu west"\n');
    expect(loadConfig({ file, env: {} }).options.jobName).toBe('dlrm v1/eu west');
  });
});
