/**
 * Writing a rendered deployment to disk for `init`: all or nothing about overwriting, and nothing outside
 * the directory. The directory may hold what someone else planted (a shared checkout, a volume): a symbolic
 * link at a file's path or at a directory on the way would send the write elsewhere, so none is followed;
 * a hard link at a file's path shares its content with a file outside, so no file is written in place: each
 * is written new beside its path and renamed over it.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, constants, lstatSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeSync, type Stats } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { DeployUsageError, InitExistsError, InitUnsafePathError } from '../errors.js';
import type { RenderedFiles } from './render-deployment.js';

/**
 * Writes every file under `dir`. Checks every path first and writes nothing if one is refused: a symbolic
 * link or another non-plain entry anywhere under `dir` (InitUnsafePathError), or, without `force`, a
 * file that exists (InitExistsError), so a half-updated deployment never mixes two job names.
 */
export function writeDeployment(dir: string, files: RenderedFiles, force: boolean): string[] {
  const paths = [...files.keys()].map((path) => join(dir, path));
  const missing = checkDirectory(dir);
  const existing = [...files.keys()].filter((path) => checkPath(dir, path));
  if (!force && existing.length > 0) throw new InitExistsError(existing.map((path) => shown(join(dir, path))));
  for (const directory of missing) createDirectory(directory);
  for (const [path, text] of files) writeInside(dir, path, text);
  return paths;
}

/**
 * The directory itself is the user's to name, links on the way included (followed), but what it names must
 * be a directory if it exists. Returns the directories to create, outermost first: the path is walked up to
 * the first that exists, and a link to nothing on the way is refused (creating through it fails with a bare
 * ENOENT). Node's recursive mkdir is not used: where a directory cannot be created although its parent
 * exists (under /proc), it loops for ever.
 */
function checkDirectory(dir: string): string[] {
  const missing: string[] = [];
  for (let current = dir; ; current = dirname(current)) {
    let stats: Stats;
    try {
      stats = statSync(current);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOTDIR') throw new InitUnsafePathError(shown(dir), 'below a file where a directory belongs');
      if (code !== 'ENOENT') throw directoryError(current, error);
      if (dirname(current) === current) throw directoryError(current, error);
      if (lstatOrUndefined(current)?.isSymbolicLink()) throw new InitUnsafePathError(shown(current), 'a symbolic link to nothing');
      missing.unshift(current);
      continue;
    }
    if (!stats.isDirectory()) throw new InitUnsafePathError(shown(current), describeEntry(stats));
    return missing;
  }
}

/** One directory of --dir's path, its parent there: created, or found created meanwhile. */
function createDirectory(directory: string): void {
  try {
    mkdirSync(directory);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || !statSync(directory).isDirectory()) throw directoryError(directory, error);
  }
}

function directoryError(directory: string, error: unknown): DeployUsageError {
  const reason = (error as NodeJS.ErrnoException).code ?? String(error);
  return new DeployUsageError(`--dir: cannot create or read the directory ${shown(directory)} (${reason}); choose a directory init can write to`);
}

/** Whether the file exists; refuses a link or non-plain entry at it or at any directory between `dir` and it. */
function checkPath(dir: string, path: string): boolean {
  const parts = path.split(/[\\/]/).filter((part) => part !== '' && part !== '.');
  let current = dir;
  for (const [index, part] of parts.entries()) {
    if (part === '..') throw new InitUnsafePathError(shown(join(dir, path)), 'a path that leaves the directory');
    current = join(current, part);
    const stats = lstatOrUndefined(current);
    if (stats === undefined) return false;
    const last = index === parts.length - 1;
    if (stats.isSymbolicLink()) throw new InitUnsafePathError(shown(current), 'a symbolic link');
    if (last ? !stats.isFile() : !stats.isDirectory()) throw new InitUnsafePathError(shown(current), describeEntry(stats));
  }
  return true;
}

/**
 * Creates the missing directories one at a time, then writes the file as a new one beside its path (O_EXCL
 * and O_NOFOLLOW: nothing that exists is opened) and renames it over the path. A rename replaces the entry
 * itself, whatever it was: a hard link to a file outside DIR (which `--force` would otherwise overwrite
 * in place), or a link or FIFO put there since the check, is replaced, never written through.
 */
function writeInside(dir: string, path: string, text: string): void {
  const parts = path.split(/[\\/]/).filter((part) => part !== '' && part !== '.');
  let current = dir;
  for (const part of parts.slice(0, -1)) {
    current = join(current, part);
    try {
      mkdirSync(current);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const stats = lstatSync(current);
    if (!stats.isDirectory()) throw new InitUnsafePathError(shown(current), describeEntry(stats));
  }
  const target = join(dir, ...parts);
  const temporary = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  const descriptor = openSync(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
  try {
    try {
      const bytes = Buffer.from(text, 'utf8');
      for (let offset = 0; offset < bytes.length;) offset += writeSync(descriptor, bytes, offset);
    } finally {
      closeSync(descriptor);
    }
    renameSync(temporary, target);
  } catch (error) {
    rmSync(temporary, { force: true });
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EISDIR' || code === 'ENOTEMPTY') throw new InitUnsafePathError(shown(target), 'a directory where a file belongs');
    throw error;
  }
}

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function describeEntry(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory where a file belongs';
  if (stats.isFile()) return 'a file where a directory belongs';
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isSocket()) return 'a socket';
  return 'a device or other special file';
}

function shown(path: string): string {
  return relative(process.cwd(), path) || path;
}
