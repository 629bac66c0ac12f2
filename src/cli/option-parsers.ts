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
