/**
 * The resolver's answers to real users' input (issue 8 item 10 and the config rough edges): PersiaML's own
 * example files, misspelt variable names, integers written as hex or exponents, a timeout past the interval.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/resolve.js';
import { PERSIAML_EXAMPLE, PERSIAML_EXAMPLE_INTERVAL_LINE } from './persiaml-example.js';
import { configError, configFileWriter } from '../../helpers/config-files.js';

const file = configFileWriter('persia-config-warnings-');

describe("PersiaML's layout: push_interval_sec is read as push_interval_seconds", () => {
  it("PersiaML's example file loads: the interval from push_interval_sec, one warning with file, line and what it is read as", () => {
    const path = file(PERSIAML_EXAMPLE.replace('push_interval_sec: 10', 'push_interval_sec: 7'));
    const config = loadConfig({ file: path, env: {} });
    expect(config.options.pushIntervalSeconds).toBe(7);
    expect(config.options.enableMetrics).toBe(true);
    expect(config.origins.pushIntervalSeconds).toEqual({ source: 'file', detail: `${path}:${PERSIAML_EXAMPLE_INTERVAL_LINE}` });
    expect(config.warnings).toEqual([
      `${path}:4: common_config.metrics_config.push_interval_sec is read as push_interval_seconds: 7 ` +
        "(PersiaML's example spelling, which PersiaML itself ignores); rename it to push_interval_seconds to silence this warning",
    ]);
  });

  it("PersiaML's other example (enable_metrics: false) loads as disabled", () => {
    const config = loadConfig({ file: file(PERSIAML_EXAMPLE.replace('enable_metrics: true', 'enable_metrics: false')), env: {} });
    expect(config.options.enableMetrics).toBe(false);
    expect(config.options.pushIntervalSeconds).toBe(10);
  });

  it('both spellings in that layout are an error at the misspelt key', () => {
    const path = file('common_config:\n  metrics_config:\n    push_interval_seconds: 5\n    push_interval_sec: 10\n');
    const error = configError(() => loadConfig({ file: path, env: {} }));
    expect(error.source).toBe(path);
    expect(error.path).toBe('common_config.metrics_config.push_interval_sec');
    expect(error.line).toBe(4);
    expect(error.expected).toBe('one of push_interval_seconds and push_interval_sec (the same option)');
    expect(error.found).toBe('both');
  });

  it('a bad value under the PersiaML spelling names that key and line, and gives no warning', () => {
    const path = file('common_config:\n  metrics_config:\n    push_interval_sec: often\n');
    const error = configError(() => loadConfig({ file: path, env: {} }));
    expect(error.path).toBe('common_config.metrics_config.push_interval_sec');
    expect(error.line).toBe(3);
    expect(error.found).toBe('string "often"');
  });

  it('in the PersiaMetricsConfig section (ours) the spelling stays an unknown key with "did you mean"', () => {
    const error = configError(() => loadConfig({ file: file('PersiaMetricsConfig:\n  push_interval_sec: 10\n'), env: {} }));
    expect(error.message).toContain('did you mean "push_interval_seconds"');
  });

  it('the environment still wins over the file, and the warning about the file key stays', () => {
    const config = loadConfig({ file: file(PERSIAML_EXAMPLE), env: { PERSIA_METRICS_PUSH_INTERVAL_SECONDS: '6' } });
    expect(config.options.pushIntervalSeconds).toBe(6);
    expect(config.warnings).toHaveLength(1);
  });
});

describe('misspelt PERSIA_METRICS_* / PERSIA_NODE_* variables are warned about with the closest name', () => {
  it.each([
    ['PERSIA_METRICS_GATEWAY_ADR', 'PERSIA_METRICS_GATEWAY_ADDR'],
    ['PERSIA_METRICS_PUSH_INTERVAL', 'PERSIA_METRICS_PUSH_INTERVAL_SECONDS'],
    ['PERSIA_METRICS_JOBNAME', 'PERSIA_METRICS_JOB_NAME'],
    ['PERSIA_METRICS_ENABLE_METRICS', 'PERSIA_METRICS_ENABLED'],
    ['PERSIA_METRICS_ROLE', 'PERSIA_NODE_ROLE'],
    ['PERSIA_NODE_ROLES', 'PERSIA_NODE_ROLE'],
    ['PERSIA_METRICS_REPLICA_INDEX', 'REPLICA_INDEX'],
    ['PERSIA_METRICS_BEARER_TOKN', 'PERSIA_METRICS_BEARER_TOKEN'],
    // A typo in the prefix itself (found by a README-only session: it was silently ignored).
    ['PERSIA_METRIC_JOB_NAME', 'PERSIA_METRICS_JOB_NAME'],
    ['PERSIA_METRICS_GATWAY_ADDR', 'PERSIA_METRICS_GATEWAY_ADDR'],
  ])('%s → did you mean %s?', (typo, meant) => {
    const config = loadConfig({ env: { [typo]: 'value-not-shown' } });
    expect(config.warnings).toEqual([`environment variable ${typo} is not a persia-metrics option and is ignored (did you mean ${meant}?)`]);
    expect(config.warnings.join('')).not.toContain('value-not-shown'); // it may be a secret
  });

  it("PersiaML's own variables and other programs' are not ours to warn about", () => {
    const env = { PERSIA_SOCKET_IFNAME: 'eth0', PERSIA_GLOBAL_CONFIG: '', PERSIA_NATS_URL: 'nats://x:4222', REPLICA_INDEX: '0', PATH: '/bin', PERSIA_NODE_ROLE: 'trainer' };
    expect(loadConfig({ env }).warnings).toEqual([]);
  });

  it('an unknown variable with no close option points at `persia-metrics explain`', () => {
    expect(loadConfig({ env: { PERSIA_METRICS_COLOUR: 'blue' } }).warnings).toEqual([
      'environment variable PERSIA_METRICS_COLOUR is not a persia-metrics option and is ignored (`persia-metrics explain` lists the variables)',
    ]);
  });

  it('known variables, non-option ones we read, and other prefixes are not warned about', () => {
    const env = {
      PERSIA_METRICS_GATEWAY_ADDR: 'gw:9091',
      PERSIA_NODE_ROLE: 'server',
      REPLICA_INDEX: '1',
      PERSIA_METRICS_DEBUG: '1',
      PERSIA_GLOBAL_CONFIG: '',
      PERSIA_GATEWAY_PORT: '9091',
      PERSIA_METRICS: 'x',
      HOME: '/root',
    };
    expect(loadConfig({ env }).warnings).toEqual([]);
  });

  it('a config with nothing odd has no warnings', () => {
    expect(loadConfig({ env: {} }).warnings).toEqual([]);
  });
});

describe('integer variables take decimal integers only', () => {
  it.each([
    ['REPLICA_INDEX', '0x10', 'replica_index'],
    ['REPLICA_INDEX', '1e2', 'replica_index'],
    ['REPLICA_INDEX', ' 1', 'replica_index'],
    ['REPLICA_INDEX', '1 ', 'replica_index'],
    ['REPLICA_INDEX', '1.0', 'replica_index'],
    ['REPLICA_INDEX', '+1', 'replica_index'],
    ['REPLICA_INDEX', '0b11', 'replica_index'],
    ['REPLICA_SIZE', '0x10', 'replica_size'],
    ['REPLICA_SIZE', '4e0', 'replica_size'],
    ['PERSIA_METRICS_PUSH_RETRIES', '0x2', 'push_retries'],
    ['PERSIA_METRICS_PUSH_RETRIES', '2.', 'push_retries'],
  ])('%s=%j is a ConfigError naming the variable', (variable, value, key) => {
    const error = configError(() => loadConfig({ env: { [variable]: value } }));
    expect(error.source).toBe(`environment variable ${variable}`);
    expect(error.path).toBe(key);
    expect(error.expected).toBe('a decimal integer (digits only, no spaces, hex or exponent)');
    expect(error.found).toBe(`string ${JSON.stringify(value)}`);
  });

  it('decimal integers are read as before', () => {
    const { options } = loadConfig({ env: { REPLICA_INDEX: '16', REPLICA_SIZE: '017', PERSIA_METRICS_PUSH_RETRIES: '0' } });
    expect(options).toMatchObject({ replicaIndex: 16, replicaSize: 17, pushRetries: 0 });
  });

  it('a negative integer gets the range message, not the format one', () => {
    expect(configError(() => loadConfig({ env: { REPLICA_INDEX: '-1' } })).message).toMatch(/at least 0/);
  });
});

describe('seconds variables take decimal numbers only', () => {
  it.each([
    ['PERSIA_METRICS_PUSH_INTERVAL_SECONDS', '0x10', 'push_interval_seconds'],
    ['PERSIA_METRICS_PUSH_INTERVAL_SECONDS', ' 10', 'push_interval_seconds'],
    ['PERSIA_METRICS_PUSH_INTERVAL_SECONDS', '1e1', 'push_interval_seconds'],
    ['PERSIA_METRICS_PUSH_INTERVAL_SECONDS', '10.', 'push_interval_seconds'],
    ['PERSIA_METRICS_PUSH_TIMEOUT_SECONDS', 'Infinity', 'push_timeout_seconds'],
    ['PERSIA_METRICS_SHUTDOWN_TIMEOUT_SECONDS', '5 ', 'shutdown_timeout_seconds'],
  ])('%s=%j is a ConfigError naming the variable and what was expected', (variable, value, key) => {
    const error = configError(() => loadConfig({ env: { [variable]: value } }));
    expect(error.source).toBe(`environment variable ${variable}`);
    expect(error.path).toBe(key);
    expect(error.expected).toBe('a decimal number (digits with an optional fraction, no spaces, hex or exponent)');
    expect(error.found).toBe(`string ${JSON.stringify(value)}`);
  });

  it('decimal seconds are read as written', () => {
    const env = { PERSIA_METRICS_PUSH_INTERVAL_SECONDS: '16', PERSIA_METRICS_PUSH_TIMEOUT_SECONDS: '2.5' };
    expect(loadConfig({ env }).options).toMatchObject({ pushIntervalSeconds: 16, pushTimeoutSeconds: 2.5 });
  });

  it('a file keeps YAML number syntax (the rule is for environment text)', () => {
    const path = file('PersiaMetricsConfig:\n  push_interval_seconds: 1e1\n');
    expect(loadConfig({ file: path, env: {} }).options.pushIntervalSeconds).toBe(10);
  });
});

describe('a push timeout longer than the interval is warned about', () => {
  it('names both values and where each came from', () => {
    const path = file('PersiaMetricsConfig:\n  push_interval_seconds: 2\n');
    const config = loadConfig({ file: path, env: { PERSIA_METRICS_PUSH_TIMEOUT_SECONDS: '3' } });
    expect(config.warnings).toHaveLength(1);
    expect(config.warnings[0]).toMatch(
      new RegExp(`^push_timeout_seconds 3 \\(PERSIA_METRICS_PUSH_TIMEOUT_SECONDS\\) is longer than push_interval_seconds 2 \\(${path.replace(/[.]/g, '\\.')}:2\\)`),
    );
    expect(loadConfig({ env: {}, options: { pushIntervalSeconds: 1 } }).warnings[0]).toContain('push_timeout_seconds 5 (default) is longer than push_interval_seconds 1 (code options)');
  });

  it('no warning when the timeout fits in the interval, or when metrics are off (nothing is pushed)', () => {
    expect(loadConfig({ env: {}, options: { pushIntervalSeconds: 5, pushTimeoutSeconds: 5 } }).warnings).toEqual([]);
    expect(loadConfig({ env: {}, options: { enableMetrics: false, pushIntervalSeconds: 1 } }).warnings).toEqual([]);
  });
});
