/**
 * The REAL prometheus-pushgateway behind its own `--web.config.file`: TLS with a self-signed certificate that
 * openssl makes for 127.0.0.1 in a temp dir, and basic-auth users. (The shared helper probes readiness over
 * plain http without credentials, which such a gateway refuses, hence this one.)
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { binaryPath } from '../../src/local-stack/binaries.js';
import { freePort } from '../../src/local-stack/free-port.js';
import { spawnManaged, type ManagedProcess } from '../../src/local-stack/managed-process.js';
import { waitFor } from '../../src/local-stack/wait-for.js';

export const TEST_USER = 'persia';
export const TEST_PASSWORD = 'persia-test-password';
/**
 * bcrypt (cost 4: the gateway checks it on every request) of TEST_PASSWORD, made once with
 * `python3 -c "import crypt; print(crypt.crypt('persia-test-password', crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16)))"`.
 * A fixed test credential, so the suite needs neither htpasswd nor a bcrypt package.
 */
const TEST_PASSWORD_BCRYPT = '$2b$04$/v.qdxCOShH53/HNGM5Sq.8LrDZMc7/uNx6yTPi/oVyy4hYOpUTJS';

export interface SecuredPushgateway {
  /** `https://127.0.0.1:PORT` */
  readonly address: string;
  /** PEM file of the self-signed certificate: what PERSIA_METRICS_TLS_CA_FILE points at. */
  readonly caFile: string;
  readonly dir: string;
  /** GET with the test user over TLS; returns status and body. */
  get(path: string): Promise<{ status: number; body: string }>;
  stop(): Promise<void>;
}

export function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export async function startSecuredPushgateway(): Promise<SecuredPushgateway> {
  const dir = mkdtempSync(join(tmpdir(), 'persia-secured-gateway-'));
  const caFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-keyout', keyFile, '-out', caFile, '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'],
    { stdio: 'ignore' },
  );
  const webConfig = join(dir, 'web-config.yml');
  writeFileSync(webConfig, `tls_server_config:\n  cert_file: ${caFile}\n  key_file: ${keyFile}\nbasic_auth_users:\n  ${TEST_USER}: ${TEST_PASSWORD_BCRYPT}\n`);
  const port = await freePort();
  const proc: ManagedProcess = spawnManaged(`secured pushgateway :${port}`, binaryPath('prometheus-pushgateway'), [
    `--web.listen-address=127.0.0.1:${port}`,
    '--persistence.file=',
    `--web.config.file=${webConfig}`,
  ]);
  const agent = new Agent({ connect: { ca: readFileSync(caFile, 'utf8') } });
  const authorization = `Basic ${Buffer.from(`${TEST_USER}:${TEST_PASSWORD}`).toString('base64')}`;
  const get = async (path: string): Promise<{ status: number; body: string }> => {
    const response = await request(`https://127.0.0.1:${port}${path}`, { dispatcher: agent, headers: { authorization } });
    return { status: response.statusCode, body: await response.body.text() };
  };
  await waitFor(
    async () => {
      if (proc.exitReason() !== undefined) throw new Error(`secured gateway exited: ${proc.output()}`);
      return (await get('/-/ready').catch(() => ({ status: 0 }))).status === 200;
    },
    { timeoutMs: 10_000, intervalMs: 50, what: 'the secured gateway to answer over TLS', details: () => proc.output() },
  );
  return {
    address: `https://127.0.0.1:${port}`,
    caFile,
    dir,
    get,
    async stop() {
      await agent.close();
      await proc.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
