/** Writing a rendered deployment to disk for `init`: all or nothing about overwriting. */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { InitExistsError } from '../errors.js';
import type { RenderedFiles } from './render-deployment.js';

/**
 * Writes every file under `dir`. Without `force`, checks first and refuses (InitExistsError, nothing
 * written) if any target exists, so a half-updated deployment never mixes two job names.
 */
export function writeDeployment(dir: string, files: RenderedFiles, force: boolean): string[] {
  const paths = [...files.keys()].map((path) => join(dir, path));
  if (!force) {
    const existing = paths.filter((path) => existsSync(path));
    if (existing.length > 0) throw new InitExistsError(existing.map((path) => relative(process.cwd(), path) || path));
  }
  for (const [path, text] of files) {
    const target = join(dir, path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, text);
  }
  return paths;
}
