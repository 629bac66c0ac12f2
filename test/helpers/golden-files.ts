/**
 * Golden files: a rendering compared byte for byte with the file in the repository. `UPDATE_GOLDEN=1`
 * writes the rendering instead, so a renderer change is regenerated with one command and reviewed as a diff.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { expect } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');

/** `path` is relative to the repository; `testFile` is the test to rerun with UPDATE_GOLDEN=1. */
export function expectGoldenFile(path: string, text: string, testFile: string): void {
  const file = join(ROOT, path);
  if (process.env['UPDATE_GOLDEN'] === '1') {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
  let onDisk: string;
  try {
    onDisk = readFileSync(file, 'utf8');
  } catch {
    throw new Error(`${path} is missing; run UPDATE_GOLDEN=1 npx vitest run ${testFile}`);
  }
  expect(onDisk, `${path} differs from its rendering; regenerate with UPDATE_GOLDEN=1 npx vitest run ${testFile}`).toBe(text);
}
