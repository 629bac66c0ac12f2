/**
 * The clear-text rule (issue 19 §4): basic auth or a bearer token bound for a gateway over plain http on a
 * host other than this machine is a warning of the resolved configuration, which a node logs once at start
 * and `check` prints. Loopback and https are quiet; so is a node that sends nothing.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/resolve.js';
import { isLoopbackHost } from '../../../src/gateway/address.js';

const basic = { PERSIA_METRICS_BASIC_AUTH_USERNAME: 'u', PERSIA_METRICS_BASIC_AUTH_PASSWORD: 'secret-pw' };
const token = { PERSIA_METRICS_BEARER_TOKEN: 'secret-token' };

function clearTextWarnings(env: Record<string, string>): string[] {
  return loadConfig({ env }).warnings.filter((warning) => warning.includes('clear text'));
}

describe('credentials in clear text', () => {
  it('warns once, naming the credential, its origin and the exposed gateways only, never the secret', () => {
    const warnings = clearTextWarnings({ ...basic, PERSIA_METRICS_GATEWAY_ADDR: 'gw-a.example:9091,127.0.0.1:9091,http://10.0.0.7:9091' });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('basic auth (user and password) (PERSIA_METRICS_BASIC_AUTH_USERNAME) is sent in clear text to http://gw-a.example:9091, http://10.0.0.7:9091 ');
    expect(warnings[0]).not.toContain('127.0.0.1');
    expect(warnings[0]).not.toContain('secret-pw');
    const bearer = clearTextWarnings({ ...token, PERSIA_METRICS_GATEWAY_ADDR: 'gw-a.example:9091' });
    expect(bearer).toHaveLength(1);
    expect(bearer[0]).toContain('a bearer token (PERSIA_METRICS_BEARER_TOKEN)');
    expect(bearer[0]).not.toContain('secret-token');
  });

  it('is quiet for loopback, https, no credentials, and disabled metrics', () => {
    for (const address of ['127.0.0.1:9091', '127.1.2.3:9091', 'localhost:9091', 'http://[::1]:9091', 'https://gw-a.example:9091']) {
      expect(clearTextWarnings({ ...basic, PERSIA_METRICS_GATEWAY_ADDR: address })).toEqual([]);
    }
    expect(clearTextWarnings({ PERSIA_METRICS_GATEWAY_ADDR: 'gw-a.example:9091' })).toEqual([]);
    expect(clearTextWarnings({ ...token, PERSIA_METRICS_GATEWAY_ADDR: 'gw-a.example:9091', PERSIA_METRICS_ENABLED: 'false' })).toEqual([]);
  });

  it('loopback is the machine itself only: a name that merely starts like it is not', () => {
    expect(isLoopbackHost('127.0.0.1')).toBe(true);
    expect(isLoopbackHost('[::1]')).toBe(true);
    expect(isLoopbackHost('127.attacker.example')).toBe(false);
    expect(isLoopbackHost('localhost.example')).toBe(false);
    expect(isLoopbackHost('10.0.0.1')).toBe(false);
  });
});
