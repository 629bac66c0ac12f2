/** Commander argument parsers: a bad value is a usage error (exit 2) naming the option and what was expected. */
import { InvalidArgumentError } from 'commander';

export function parseCount(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0 || value > 100_000) throw new InvalidArgumentError(`expected a whole number from 0 to 100000, found "${text}"`);
  return value;
}

export function parseSeconds(text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new InvalidArgumentError(`expected a positive number of seconds, found "${text}"`);
  return value;
}

/**
 * A file or folder path. A value that starts with "--" is an option the user meant to give next
 * (`check --config --json`): commander would take it as the path and the flag would be lost.
 */
export function parsePath(text: string): string {
  if (text.startsWith('--')) throw new InvalidArgumentError(`expected a path, found the option "${text}" (give the path before it)`);
  return text;
}
