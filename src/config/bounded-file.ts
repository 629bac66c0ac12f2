/**
 * The one reader of files a user names in the configuration: global_config.yaml, the *_PASSWORD_FILE /
 * *_TOKEN_FILE secrets and the TLS CA. A path is outside input: `/dev/zero` would be read until memory runs
 * out and a FIFO would block the process forever, so only a regular file is read, and only up to a limit.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { ConfigFileError, ConfigFileTooLargeError } from '../errors.js';

/** Largest file of each kind read: far above any real one (a CA bundle of every public root is ~220 KiB). */
export const FILE_LIMITS = {
  config: 1024 * 1024,
  secret: 64 * 1024,
  ca: 1024 * 1024,
} as const;

/**
 * The whole text of a regular file of at most `limitBytes`, or a ConfigFileError naming the file: missing,
 * unreadable, not a regular file (refused without reading a byte) or larger than the limit.
 * `what` says which file it is in the message (`secret file`, `tls_ca_file`); without it the file is the
 * configuration itself, named by its path alone.
 */
export function readBoundedFile(file: string, what: string | undefined, limitBytes: number): string {
  const subject = what === undefined ? '' : `${what} `;
  let descriptor: number;
  try {
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer; the type is checked next.
    descriptor = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw new ConfigFileError(file, describeFailure(what, error), undefined, error);
  }
  try {
    const stats = fstatSync(descriptor);
    if (stats.isDirectory()) throw new ConfigFileError(file, `${subject}is a directory, not a file`);
    if (!stats.isFile()) throw new ConfigFileError(file, `${subject}is ${describeKind(stats)}, not a regular file (refused unread)`);
    if (stats.size > limitBytes) throw new ConfigFileTooLargeError(file, what, limitBytes);
    // Read to the limit and one byte past it: a file that grows after fstat is still bounded.
    const buffer = Buffer.alloc(limitBytes + 1);
    let length = 0;
    for (;;) {
      const read = readSync(descriptor, buffer, length, buffer.length - length, null);
      if (read === 0) break;
      length += read;
      if (length > limitBytes) throw new ConfigFileTooLargeError(file, what, limitBytes);
    }
    return buffer.toString('utf8', 0, length);
  } catch (error) {
    if (error instanceof ConfigFileError) throw error;
    throw new ConfigFileError(file, describeFailure(what, error), undefined, error);
  } finally {
    closeSync(descriptor);
  }
}

function describeFailure(what: string | undefined, error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code ?? String(error);
  if (what !== undefined) return `${what} cannot be read (${code})`;
  return code === 'ENOENT' ? 'no such file' : `cannot be read (${code})`;
}

function describeKind(stats: { isFIFO(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isSocket(): boolean }): string {
  if (stats.isFIFO()) return 'a FIFO (named pipe)';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSocket()) return 'a socket';
  return 'not a regular file';
}
