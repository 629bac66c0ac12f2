import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export type BinaryName = 'prometheus-pushgateway' | 'prometheus' | 'promtool' | 'victoria-metrics';

/** Debian package that ships each binary (promtool comes with the prometheus package). */
const DEBIAN_PACKAGE: Record<BinaryName, string> = {
  'prometheus-pushgateway': 'prometheus-pushgateway',
  prometheus: 'prometheus',
  promtool: 'prometheus',
  'victoria-metrics': 'victoria-metrics',
};

const found = new Map<BinaryName, string | undefined>();

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Looks the binary up on PATH, then in /usr/bin (some CI shells run with a minimal PATH). */
function locate(name: BinaryName): string | undefined {
  if (!found.has(name)) {
    const dirs = [...(process.env['PATH'] ?? '').split(delimiter).filter(Boolean), '/usr/bin'];
    found.set(name, dirs.map((dir) => join(dir, name)).find(isExecutableFile));
  }
  return found.get(name);
}

/** One-line explanation of why tests that need `name` cannot run, with the fix. */
export function missingBinaryMessage(name: BinaryName): string {
  return `${name} not found on PATH or in /usr/bin; ` + `install it with: apt-get install --no-install-recommends ${DEBIAN_PACKAGE[name]}`;
}

/** Absolute path of the binary, or undefined when it is not installed. */
export function findBinary(name: BinaryName): string | undefined {
  return locate(name);
}

/** Absolute path of the binary; throws with the Debian package to install when it is missing. */
export function binaryPath(name: BinaryName): string {
  const path = locate(name);
  if (path === undefined) throw new Error(missingBinaryMessage(name));
  return path;
}
