/** Config files for resolver tests: each call writes a new global_config.yaml in one temp folder. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { ConfigError } from '../../src/errors.js';

export function configFileWriter(prefix: string): (text: string) => string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  let counter = 0;
  return (text) => {
    counter += 1;
    const path = join(dir, `global_config_${counter}.yaml`);
    writeFileSync(path, text);
    return path;
  };
}

/** The ConfigError `run` throws; fails the test when it throws something else or nothing. */
export function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError, nothing was thrown');
}
