/**
 * Gating tests on the real server binaries. A developer without them gets a clear skip; under CI
 * (`CI=true`) a missing binary throws instead: a CI run that silently skips every integration test would
 * look green while testing nothing.
 */
import { findBinary, missingBinaryMessage, type BinaryName } from '../../src/local-stack/binaries.js';

export { missingBinaryMessage, type BinaryName };

/** True when the binary is installed. Never throws: use `requireBinary` to gate tests. */
export function hasBinary(name: BinaryName): boolean {
  return findBinary(name) !== undefined;
}

/** Absolute path of the binary, or `undefined` so the caller can `describe.skipIf(...)`; throws under CI. */
export function requireBinary(name: BinaryName): string | undefined {
  const path = findBinary(name);
  if (path === undefined && process.env['CI'] === 'true') {
    throw new Error(`CI=true and ${missingBinaryMessage(name)}`);
  }
  return path;
}
