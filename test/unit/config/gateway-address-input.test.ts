import { describe, expect, it } from 'vitest';
import { parseGatewayAddress } from '../../../src/gateway/address.js';
import { loadConfig } from '../../../src/config/resolve.js';
import { ConfigError } from '../../../src/errors.js';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

describe('gateway addresses with hidden characters', () => {
  it.each(['gate\nway:9091', 'gate\tway:9091', 'gate way:9091', 'gateway:90\r91', 'gate\u0000way:1'])('%j is refused, not silently rewritten', (text) => {
    expect(parseGatewayAddress(text).error).toMatch(/whitespace or a control character/);
  });

  it('surrounding spaces are still fine', () => {
    expect(parseGatewayAddress('  gateway:9091 ').address?.baseUrl).toBe('http://gateway:9091');
  });
});

describe('addresses the URL parser would silently turn into other IPv4 addresses (found by a new-user session)', () => {
  it.each([
    ['19511', '0.0.76.55'],
    ['0x7f000001:9091', '127.0.0.1'],
    ['127.1:9091', '127.0.0.1'],
    ['http://2130706433:9091', '127.0.0.1'],
  ])('%j is refused, naming the address it would have been', (text, read) => {
    expect(parseGatewayAddress(text).error).toContain(`would be read as the IPv4 address ${read}`);
  });

  it('a dotted-quad address, a name and port 0 are told apart', () => {
    expect(parseGatewayAddress('127.0.0.1:19511').address?.baseUrl).toBe('http://127.0.0.1:19511');
    expect(parseGatewayAddress('gw-19511:9091').address?.baseUrl).toBe('http://gw-19511:9091');
    expect(parseGatewayAddress('127.0.0.1:0').error).toContain('port 0');
  });
});

describe('YAML values that are objects but not mappings', () => {
  it('a !!binary section is "binary data", not a mapping with keys "0", "1", ...', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'persia-binary-')), 'global_config.yaml');
    writeFileSync(file, 'PersiaMetricsConfig: !!binary aGVsbG8=\n');
    expect(() => loadConfig({ file, env: {} })).toThrow(ConfigError);
    expect(() => loadConfig({ file, env: {} })).toThrow(/expected a mapping of options, found binary data \(5 bytes\)/);
  });
});
