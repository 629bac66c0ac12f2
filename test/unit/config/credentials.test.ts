import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gatewayCredentials } from '../../../src/config/credentials.js';
import { loadConfig } from '../../../src/config/resolve.js';
import { ConfigError, ConfigFileError } from '../../../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'persia-credentials-'));
const secretFile = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe('gateway credentials', () => {
  it('basic auth: user from the environment, password from a file without its trailing newline', () => {
    const { options } = loadConfig({
      env: { PERSIA_METRICS_BASIC_AUTH_USERNAME: 'u', PERSIA_METRICS_BASIC_AUTH_PASSWORD_FILE: secretFile('pw', 'p:w\n') },
    });
    expect(gatewayCredentials(options).headers).toEqual({ authorization: `Basic ${Buffer.from('u:p:w').toString('base64')}` });
  });

  it('bearer token from a file or the environment', () => {
    const fromFile = loadConfig({ env: { PERSIA_METRICS_BEARER_TOKEN_FILE: secretFile('tok', 'abc\n') } }).options;
    expect(gatewayCredentials(fromFile).headers).toEqual({ authorization: 'Bearer abc' });
    const fromEnv = loadConfig({ env: { PERSIA_METRICS_BEARER_TOKEN: 'xyz' } }).options;
    expect(gatewayCredentials(fromEnv).headers).toEqual({ authorization: 'Bearer xyz' });
  });

  it('no credentials: no header, no TLS options', () => {
    expect(gatewayCredentials(loadConfig({ env: {} }).options)).toEqual({ headers: {}, connect: {} });
  });

  it.each([
    [{ PERSIA_METRICS_BASIC_AUTH_PASSWORD: 's3cret-a' }, 'basic_auth_password'],
    [{ PERSIA_METRICS_BASIC_AUTH_USERNAME: 'u' }, 'basic_auth_username'],
    [{ PERSIA_METRICS_BEARER_TOKEN: 's3cret-b', PERSIA_METRICS_BEARER_TOKEN_FILE: '/x' }, 'bearer_token_file'],
    [{ PERSIA_METRICS_BASIC_AUTH_USERNAME: 'u', PERSIA_METRICS_BASIC_AUTH_PASSWORD: 's3cret-c', PERSIA_METRICS_BEARER_TOKEN: 's3cret-d' }, 'bearer_token'],
  ])('refuses an incomplete or ambiguous combination (%o), naming the option, not the secret', (env, path) => {
    let thrown: unknown;
    try {
      loadConfig({ env });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).path).toBe(path);
    // The error names the variable that set the offending option.
    expect((thrown as ConfigError).source).toMatch(/^environment variable PERSIA_METRICS_/);
    expect((thrown as ConfigError).message).not.toMatch(/s3cret/);
  });

  it('an unreadable or empty secret file is a ConfigFileError naming the file', () => {
    const missing = loadConfig({ env: { PERSIA_METRICS_BEARER_TOKEN_FILE: join(dir, 'nope') } }).options;
    expect(() => gatewayCredentials(missing)).toThrow(ConfigFileError);
    const empty = loadConfig({ env: { PERSIA_METRICS_BEARER_TOKEN_FILE: secretFile('empty', '\n') } }).options;
    expect(() => gatewayCredentials(empty)).toThrow(/empty/);
  });

  it('a secret given with a bad type is reported without its value', () => {
    expect(() => loadConfig({ options: { bearerToken: '' } })).toThrow(/redacted/);
  });
});
