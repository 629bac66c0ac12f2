/**
 * Writing a rendered deployment to disk for `init`: all or nothing about overwriting, and nothing outside
 * the directory. The directory may hold what someone else planted (a shared checkout, a volume): a symbolic
 * link at a file's path or at a directory on the way would send the write elsewhere, so none is followed.
 */
import { closeSync, constants, lstatSync, mkdirSync, openSync, statSync, writeSync, type Stats } from 'node:fs';
import { join, relative } from 'node:path';
import { InitExistsError, InitUnsafePathError } from '../errors.js';
import type { RenderedFiles } from './render-deployment.js';

/**
 * Writes every file under `dir`. Checks every path first and writes nothing if one is refused: a symbolic
 * link or another non-plain entry anywhere under `dir` (InitUnsafePathError), or, without `force`, a
 * file that exists (InitExistsError), so a half-updated deployment never mixes two job names.
 */
export function writeDeployment(dir: string, files: RenderedFiles, force: boolean): string[] {
  const paths = [...files.keys()].map((path) => join(dir, path));
  checkDirectory(dir);
  const existing = [...files.keys()].filter((path) => checkPath(dir, path));
  if (!force && existing.length > 0) throw new InitExistsError(existing.map((path) => shown(join(dir, path))));
  // The directory itself is the user's to name, a link included; only what is under it is checked.
  mkdirSync(dir, { recursive: true });
  for (const [path, text] of files) writeInside(dir, path, text);
  return paths;
}

/** The directory itself may be a link the user named (followed), but what it names must be a directory if it exists. */
function checkDirectory(dir: string): void {
  let stats: Stats;
  try {
    stats = statSync(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return;
    if (code === 'ENOTDIR') throw new InitUnsafePathError(shown(dir), 'below a file where a directory belongs');
    throw error;
  }
  if (!stats.isDirectory()) throw new InitUnsafePathError(shown(dir), describeEntry(stats));
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

/** Creates the missing directories one at a time and opens the file with O_NOFOLLOW: no link is followed even if one appeared since the check. */
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
  let descriptor: number;
  try {
    // O_NONBLOCK: a FIFO put there since the check fails (ENXIO) instead of blocking the write.
    descriptor = openSync(target, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW | constants.O_NONBLOCK, 0o644);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ELOOP' || code === 'ENXIO') throw new InitUnsafePathError(shown(target), code === 'ELOOP' ? 'a symbolic link' : 'a FIFO');
    throw error;
  }
  try {
    const bytes = Buffer.from(text, 'utf8');
    for (let offset = 0; offset < bytes.length;) offset += writeSync(descriptor, bytes, offset);
  } finally {
    closeSync(descriptor);
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
