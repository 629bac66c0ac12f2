import { mkdtempSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/resolve.js';
import { ConfigFileError } from '../../../src/errors.js';
import { configError, configFileWriter } from '../../helpers/config-files.js';

const file = configFileWriter('persia-config-');
const dir = mkdtempSync(join(tmpdir(), 'persia-config-paths-'));

describe('loadConfig: layers', () => {
  it('uses PersiaML defaults with no file and no environment', () => {
    const { options, origins } = loadConfig({ env: {} });
    expect(options.enableMetrics).toBe(true);
    expect(options.jobName).toBe('persia_default_jobname');
    expect(options.gatewayAddr).toBe('metrics_gateway:9091');
    expect(options.pushIntervalSeconds).toBe(10);
    expect(origins.gatewayAddr.source).toBe('default');
  });

  it('reads the seed layout (PersiaMetricsConfig) and records file:line for each value', () => {
    const path = file('# comment\nPersiaMetricsConfig:\n  enable_metrics: true\n  job_name: dlrm_v1.0\n  push_interval_seconds: 3\n');
    const { options, origins } = loadConfig({ file: path, env: {} });
    expect(options.jobName).toBe('dlrm_v1.0');
    expect(options.pushIntervalSeconds).toBe(3);
    expect(origins.jobName).toEqual({ source: 'file', detail: `${path}:4` });
  });

  it("reads PersiaML's code layout common_config.metrics_config and ignores other sections", () => {
    const path = file('common_config:\n  job_type: Train\n  metrics_config:\n    enable_metrics: false\n    job_name: persia_job\nembedding_config:\n  anything: 1\n');
    const { options } = loadConfig({ file: path, env: {} });
    expect(options.enableMetrics).toBe(false);
    expect(options.jobName).toBe('persia_job');
  });

  it('lets the environment override the file, and code options override both', () => {
    const path = file('PersiaMetricsConfig:\n  gateway_addr: from-file:9091\n  gzip: false\n  push_interval_seconds: 7\n');
    const env = { PERSIA_METRICS_GATEWAY_ADDR: 'from-env:9091', PERSIA_METRICS_GZIP: 'yes', PERSIA_METRICS_PUSH_INTERVAL_SECONDS: '2.5' };
    const fromEnv = loadConfig({ file: path, env });
    expect(fromEnv.options.gatewayAddr).toBe('from-env:9091');
    expect(fromEnv.options.gzip).toBe(true);
    expect(fromEnv.options.pushIntervalSeconds).toBe(2.5);
    expect(fromEnv.origins.gatewayAddr).toEqual({ source: 'env', detail: 'PERSIA_METRICS_GATEWAY_ADDR' });
    const fromCode = loadConfig({ file: path, env, options: { gatewayAddr: 'from-code:1' } });
    expect(fromCode.options.gatewayAddr).toBe('from-code:1');
    expect(fromCode.origins.gatewayAddr.source).toBe('options');
  });

  it('finds the file from PERSIA_GLOBAL_CONFIG', () => {
    const path = file('PersiaMetricsConfig:\n  job_name: via_env_path\n');
    expect(loadConfig({ env: { PERSIA_GLOBAL_CONFIG: path } }).options.jobName).toBe('via_env_path');
  });

  it('takes node identity from PersiaML environment variables', () => {
    const { options } = loadConfig({ env: { PERSIA_NODE_ROLE: 'server', REPLICA_INDEX: '3', REPLICA_SIZE: '4' } });
    expect(options).toMatchObject({ role: 'server', replicaIndex: 3, replicaSize: 4 });
  });

  it('returns a frozen result', () => {
    const config = loadConfig({ env: {} });
    expect(Object.isFrozen(config.options)).toBe(true);
  });
});

describe('loadConfig: every error names the file, the key path, the line, expected and found', () => {
  it('an unknown key suggests the closest known key (PersiaML example spells push_interval_sec)', () => {
    const path = file('PersiaMetricsConfig:\n  enable_metrics: true\n  push_interval_sec: 10\n');
    const error = configError(() => loadConfig({ file: path, env: {} }));
    expect(error.code).toBe('PERSIA_CONFIG_INVALID');
    expect(error.source).toBe(path);
    expect(error.path).toBe('PersiaMetricsConfig.push_interval_sec');
    expect(error.line).toBe(3);
    expect(error.message).toContain('did you mean "push_interval_seconds"');
  });

  it('an unknown key with no close match lists the known keys', () => {
    const error = configError(() => loadConfig({ file: file('PersiaMetricsConfig:\n  colour: blue\n'), env: {} }));
    expect(error.message).toContain('known keys: enable_metrics');
  });

  it.each([
    ['enable_metrics: "yes"', 'PersiaMetricsConfig.enable_metrics', 'boolean', 'string "yes"'],
    ['job_name: 42', 'PersiaMetricsConfig.job_name', 'string', 'number 42'],
    ['job_name: ""', 'PersiaMetricsConfig.job_name', 'string', 'string ""'],
    ['push_interval_seconds: -1', 'PersiaMetricsConfig.push_interval_seconds', 'number (s)', 'number -1'],
    ['push_interval_seconds: 1e12', 'PersiaMetricsConfig.push_interval_seconds', 'number (s)', 'number 1000000000000'],
    ['push_interval_seconds: [1, 2]', 'PersiaMetricsConfig.push_interval_seconds', 'number (s)', 'a list of 2 item(s)'],
    ['push_timeout_seconds:', 'PersiaMetricsConfig.push_timeout_seconds', 'number (s)', 'nothing (empty value)'],
    ['push_retries: 1.5', 'PersiaMetricsConfig.push_retries', 'integer', 'number 1.5'],
    ['gateway_addr: "ftp://gw:21"', 'PersiaMetricsConfig.gateway_addr', 'host:port', 'string "ftp://gw:21"'],
    ['gateway_addr: "gw:9091/metrics"', 'PersiaMetricsConfig.gateway_addr', 'a path or query', 'string "gw:9091/metrics"'],
  ])('%s', (line, path, expected, found) => {
    const error = configError(() => loadConfig({ file: file(`PersiaMetricsConfig:\n  ${line}\n`), env: {} }));
    expect(error.path).toBe(path);
    expect(error.line).toBe(2);
    expect(error.message).toContain(expected);
    expect(error.found).toBe(found);
  });

  it('a per-node key (role) in the shared file is refused with the env var to use', () => {
    const error = configError(() => loadConfig({ file: file('PersiaMetricsConfig:\n  role: trainer\n'), env: {} }));
    expect(error.message).toContain('PERSIA_NODE_ROLE');
  });

  it('a missing section is an error that shows what to add', () => {
    const error = configError(() => loadConfig({ file: file('common_config:\n  job_type: Train\n'), env: {} }));
    expect(error.path).toBe('PersiaMetricsConfig');
    expect(error.found).toBe('no such section');
  });

  it('both layouts at once is ambiguous', () => {
    const text = 'PersiaMetricsConfig:\n  job_name: a\ncommon_config:\n  metrics_config:\n    job_name: b\n';
    const error = configError(() => loadConfig({ file: file(text), env: {} }));
    expect(error.line).toBe(4);
  });

  it.each([
    ['an empty file', '', 'nothing (empty value)'],
    ['a list', '- a\n- b\n', 'a list of 2 item(s)'],
    ['a scalar', 'just text\n', 'string "just text"'],
  ])('%s is not a mapping', (_name, text, found) => {
    const error = configError(() => loadConfig({ file: file(text), env: {} }));
    expect(error.found).toBe(found);
  });

  it('a section that is not a mapping', () => {
    const error = configError(() => loadConfig({ file: file('PersiaMetricsConfig: true\n'), env: {} }));
    expect(error.path).toBe('PersiaMetricsConfig');
    expect(error.line).toBe(1);
  });

  it('invalid YAML is a ConfigFileError with the line', () => {
    const path = file('PersiaMetricsConfig:\n  job_name: [unclosed\n');
    expect(() => loadConfig({ file: path, env: {} })).toThrow(ConfigFileError);
    try {
      loadConfig({ file: path, env: {} });
    } catch (error) {
      expect((error as ConfigFileError).message).toMatch(new RegExp(`^${path}:\\d+: not valid YAML`));
    }
  });

  it('duplicate keys are refused by the YAML parser', () => {
    expect(() => loadConfig({ file: file('PersiaMetricsConfig:\n  job_name: a\n  job_name: b\n'), env: {} })).toThrow(/duplicated mapping key/);
  });

  it('a missing file and a directory are ConfigFileErrors naming the path', () => {
    expect(() => loadConfig({ file: join(dir, 'absent.yaml'), env: {} })).toThrow(/absent\.yaml: no such file/);
    const sub = join(dir, 'a-directory');
    mkdirSync(sub);
    expect(() => loadConfig({ file: sub, env: {} })).toThrow(/is a directory/);
  });

  it('a bad environment value names the variable', () => {
    const error = configError(() => loadConfig({ env: { PERSIA_METRICS_PUSH_INTERVAL_SECONDS: 'often' } }));
    expect(error.source).toBe('environment variable PERSIA_METRICS_PUSH_INTERVAL_SECONDS');
    expect(error.found).toBe('string "often"');
  });

  it('a bad role from the environment lists the roles', () => {
    expect(() => loadConfig({ env: { PERSIA_NODE_ROLE: 'worker' } })).toThrow(/trainer \| middleware \| server/);
  });

  it('replica_index must be below replica_size', () => {
    expect(() => loadConfig({ env: { REPLICA_INDEX: '4', REPLICA_SIZE: '4' } })).toThrow(/below replica_size 4/);
  });

  it('a check across options points at the file line that set the offending value', () => {
    const path = file('PersiaMetricsConfig:\n  job_name: a\n  basic_auth_password_file: /run/secrets/pw\n');
    const error = configError(() => loadConfig({ file: path, env: {} }));
    expect(error.source).toBe(path);
    expect(error.path).toBe('PersiaMetricsConfig.basic_auth_password_file');
    expect(error.line).toBe(3);
    expect(error.found).toBe('a password without a user');
    const fromEnv = configError(() => loadConfig({ env: { REPLICA_INDEX: '9', REPLICA_SIZE: '2' } }));
    expect(fromEnv.source).toBe('environment variable REPLICA_INDEX');
  });

  it('an unknown code option suggests the right property', () => {
    const options = { pushInterval: 3 } as unknown as Record<string, never>;
    expect(() => loadConfig({ env: {}, options })).toThrow(/did you mean pushIntervalSeconds/);
  });
});
