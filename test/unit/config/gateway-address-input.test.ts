import { describe, expect, it } from 'vitest';
import { parseGatewayAddress } from '../../../src/config/gateway-address.js';
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

describe('YAML values that are objects but not mappings', () => {
  it('a !!binary section is "binary data", not a mapping with keys "0", "1", ...', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'persia-binary-')), 'global_config.yaml');
    writeFileSync(file, 'PersiaMetricsConfig: !!binary aGVsbG8=\n');
    expect(() => loadConfig({ file, env: {} })).toThrow(ConfigError);
    expect(() => loadConfig({ file, env: {} })).toThrow(/expected a mapping of options, found binary data \(5 bytes\)/);
  });
});
