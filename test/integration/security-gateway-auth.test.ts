/**
 * Pushing to a real Pushgateway that requires TLS and basic auth (`--web.config.file`), with credentials
 * from environment variables and files only; and secrets never showing up where people look: not accepted
 * from global_config.yaml, redacted by `check`, absent from errors and warnings.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { startNodeMetrics, type NodeMetrics } from '../../src/node-metrics.js';
import { requireBinary } from '../helpers/binaries.js';
import { hasOpenssl, startSecuredPushgateway, TEST_PASSWORD, TEST_USER, type SecuredPushgateway } from '../helpers/secured-pushgateway.js';

const run = promisify(execFile);
const MAIN = join(import.meta.dirname, '../../dist/src/cli/main.js');
const servers = requireBinary('prometheus-pushgateway') !== undefined;
if (!hasOpenssl() && process.env['CI'] === 'true') throw new Error('CI=true and openssl is missing (Debian package openssl)');
const WRONG = 'not-the-password-zq81';

describe.skipIf(!servers || !hasOpenssl())('security: TLS + basic auth to a real gateway', () => {
  let gateway: SecuredPushgateway;
  const nodes: NodeMetrics[] = [];
  beforeAll(async () => {
    gateway = await startSecuredPushgateway();
  });
  afterAll(async () => {
    await Promise.all(nodes.map((node) => node.shutdown(1).catch(() => {})));
    await gateway?.stop();
  });

  function node(job: string, env: Record<string, string>, warnings: string[] = []): NodeMetrics {
    const created = startNodeMetrics({
      env: { PERSIA_METRICS_GATEWAY_ADDR: gateway.address, PERSIA_METRICS_JOB_NAME: job, PERSIA_METRICS_PUSH_INTERVAL_SECONDS: '60', ...env },
      logger: { warn: (message) => warnings.push(message), info: (message) => warnings.push(message) },
      options: { role: 'trainer', replicaIndex: 0, pushRetries: 0 },
    });
    nodes.push(created);
    return created;
  }

  it('pushes over TLS with the user from the environment and the password from a file', async () => {
    const passwordFile = join(gateway.dir, 'password');
    writeFileSync(passwordFile, `${TEST_PASSWORD}\n`); // as `echo` or a mounted secret writes it
    const one = node('secure_basic', {
      PERSIA_METRICS_TLS_CA_FILE: gateway.caFile,
      PERSIA_METRICS_BASIC_AUTH_USERNAME: TEST_USER,
      PERSIA_METRICS_BASIC_AUTH_PASSWORD_FILE: passwordFile,
    });
    one.gauge('staleness').set(4);
    await one.flush();
    const { status, body } = await gateway.get('/metrics');
    expect(status).toBe(200);
    expect(body).toMatch(/staleness\{instance="rep_0",job="secure_basic",role="trainer"\} 4/);
  });

  it('a wrong password is a 401 whose error and warning never contain the password', async () => {
    const warnings: string[] = [];
    const one = node(
      'secure_wrong',
      {
        PERSIA_METRICS_TLS_CA_FILE: gateway.caFile,
        PERSIA_METRICS_BASIC_AUTH_USERNAME: TEST_USER,
        PERSIA_METRICS_BASIC_AUTH_PASSWORD: WRONG,
      },
      warnings,
    );
    const error = await one.flush().then(
      () => undefined,
      (thrown: unknown) => thrown as Error,
    );
    expect(error).toMatchObject({ code: 'PERSIA_PUSH_HTTP', statusCode: 401 });
    expect(`${error?.message} ${String(error?.stack)} ${warnings.join(' ')}`).not.toContain(WRONG);
    const base64 = Buffer.from(`${TEST_USER}:${WRONG}`).toString('base64');
    expect(`${error?.message} ${warnings.join(' ')}`).not.toContain(base64);
  });

  it('without the CA the self-signed certificate is refused (no silent fallback to trusting it)', async () => {
    const one = node('secure_no_ca', { PERSIA_METRICS_BASIC_AUTH_USERNAME: TEST_USER, PERSIA_METRICS_BASIC_AUTH_PASSWORD: TEST_PASSWORD });
    await expect(one.flush()).rejects.toMatchObject({ code: 'PERSIA_PUSH_NETWORK', message: expect.stringMatching(/certificate/i) as unknown });
  });

  it('a plain http push to the TLS gateway fails instead of sending credentials in clear', async () => {
    const one = node('secure_plain', {
      PERSIA_METRICS_GATEWAY_ADDR: gateway.address.replace('https://', 'http://'),
      PERSIA_METRICS_BASIC_AUTH_USERNAME: TEST_USER,
      PERSIA_METRICS_BASIC_AUTH_PASSWORD: TEST_PASSWORD,
    });
    await expect(one.flush()).rejects.toMatchObject({ code: expect.stringMatching(/PERSIA_PUSH_(HTTP|NETWORK)/) as unknown });
  });
});

describe('security: secrets stay out of the shared file, check, and errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'persia-security-'));
  const file = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it.each(['basic_auth_password', 'bearer_token'])('a %s in global_config.yaml is refused, value not shown', (key) => {
    const path = file(`secret-${key}.yaml`, `PersiaMetricsConfig:\n  job_name: j\n  ${key}: hunter2-in-file\n`);
    let thrown: unknown;
    try {
      startNodeMetrics({ file: path, env: {} });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).path).toBe(`PersiaMetricsConfig.${key}`);
    expect((thrown as ConfigError).line).toBe(3);
    expect((thrown as ConfigError).message).not.toContain('hunter2');
  });

  it('check prints secrets from the environment as ***, in the table and in --json', async () => {
    const path = file('check-secret.yaml', 'PersiaMetricsConfig:\n  job_name: j\n');
    const env = { ...process.env, PERSIA_METRICS_BEARER_TOKEN: 'tok-3d9f-secret', PERSIA_GLOBAL_CONFIG: '' };
    for (const extra of [[], ['--json']]) {
      const { stdout } = await run(process.execPath, [MAIN, 'check', '--config', path, ...extra], { env });
      expect(stdout).not.toContain('tok-3d9f-secret');
      expect(stdout).toContain('***');
    }
  });

  it('check exits 2 with one line naming the option for an unreadable secret file or a half-given credential', async () => {
    const path = file('check-half.yaml', 'PersiaMetricsConfig:\n  job_name: j\n');
    const env = { ...process.env, PERSIA_METRICS_BASIC_AUTH_PASSWORD: 'pw-7c1e-secret', PERSIA_GLOBAL_CONFIG: '' };
    const failed = await run(process.execPath, [MAIN, 'check', '--config', path], { env }).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed?.code).toBe(2);
    expect(failed?.stderr.trim().split('\n')).toHaveLength(1);
    expect(failed?.stderr).toContain('basic_auth_username');
    expect(failed?.stderr).not.toContain('pw-7c1e-secret');
  });
});
