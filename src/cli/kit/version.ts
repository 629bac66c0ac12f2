/** The package's version, read from its package.json at run time: the same from a checkout and from an installed package. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_NAME = 'persia-metrics';

/**
 * The nearest package.json above this file that is ours: src/cli/kit/ in a checkout, dist/src/cli/kit/ when
 * built, node_modules/persia-metrics/dist/src/cli/kit/ when installed (the compiled file is deeper than the source).
 */
export function packageVersion(from: string = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const manifest = JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown; version?: unknown };
      if (manifest.name === PACKAGE_NAME && typeof manifest.version === 'string') return manifest.version;
    }
    if (dirname(dir) === dir) return 'unknown';
  }
}
