/**
 * What a gateway command (status, expire, end-job, repair, view --gateway) warns about its configuration:
 * the clear-text credential warning names the gateways the command contacts (its --gateway), never the
 * configured default it does not contact (found by a README-only session: `status --gateway 127.0.0.1:…`
 * warned about http://metrics_gateway:9091, and expire/end-job/repair never warned).
 */
import { describe, expect, it } from 'vitest';
import type { CommandContext } from '../../../src/cli/kit/context.js';
import { commandConfig } from '../../../src/cli/kit/gateway-sweeps.js';

function contextWith(env: Record<string, string>): { context: CommandContext; stderr: () => string } {
  let text = '';
  const context = {
    env,
    stdout: { write: () => true },
    stderr: { write: (chunk: string) => (text += chunk) },
  } as unknown as CommandContext;
  return { context, stderr: () => text };
}

const AUTH = { PERSIA_METRICS_BASIC_AUTH_USERNAME: 'u', PERSIA_METRICS_BASIC_AUTH_PASSWORD: 'pw' };

describe('commandConfig: warnings about the gateways a command contacts', () => {
  it('a loopback --gateway gets no clear-text warning, whatever gateway_addr (default or set) says', () => {
    for (const env of [AUTH, { ...AUTH, PERSIA_METRICS_GATEWAY_ADDR: 'gateway.example.invalid:9091' }]) {
      const { context, stderr } = contextWith(env);
      commandConfig(undefined, '127.0.0.1:19091', context);
      expect(stderr()).not.toMatch(/clear text/);
    }
  });

  it('a non-loopback http --gateway is warned about once, naming it and the flag', () => {
    const { context, stderr } = contextWith({ ...AUTH, PERSIA_METRICS_GATEWAY_ADDR: '127.0.0.1:9091' });
    commandConfig(undefined, 'gateway.example.invalid:9091', context);
    const warnings = stderr()
      .split('\n')
      .filter((line) => line.includes('clear text'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('http://gateway.example.invalid:9091');
    expect(warnings[0]).toContain('gateway_addr --gateway');
    expect(warnings[0]).not.toContain('127.0.0.1');
  });

  it('without --gateway, the configured gateway is the one warned about (as a node would)', () => {
    const { context, stderr } = contextWith({ ...AUTH, PERSIA_METRICS_GATEWAY_ADDR: 'gateway.example.invalid:9091' });
    commandConfig(undefined, undefined, context);
    expect(stderr()).toMatch(/clear text to http:\/\/gateway\.example\.invalid:9091 \(gateway_addr PERSIA_METRICS_GATEWAY_ADDR\)/);
  });
});
