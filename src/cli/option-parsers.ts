/** Commander argument parsers: a bad value is a usage error (exit 2) naming the option and what was expected. */
import { InvalidArgumentError } from 'commander';
import { parseGatewayList } from '../config/gateway-address.js';
import { parseSlowNode, type SlowNode } from '../simulate/slow-nodes.js';

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
  if (text.trim() === '') throw new InvalidArgumentError('expected a path, found an empty value'); // '' would mean the current directory
  return text;
}

/** A `--gateway` value, checked as the node would read it, so the error names the option and not a config key. */
export function parseGatewayOption(text: string): string {
  const { addresses, error } = parseGatewayList(text);
  if (addresses === undefined) throw new InvalidArgumentError(`expected host:port[,host:port...] (http/https scheme optional): ${error ?? 'invalid'}`);
  return text;
}

/** A factor such as `--slow-factor`: a number above 0. */
export function parseFactor(text: string): number {
  const value = text.trim() === '' ? NaN : Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new InvalidArgumentError(`expected a number above 0, found "${text}"`);
  return value;
}

/** Repeatable `--slow ROLE/INSTANCE=FACTOR`: each value is checked on its own, and they add up. */
export function collectSlowNode(text: string, previous: readonly SlowNode[] = []): SlowNode[] {
  try {
    return [...previous, parseSlowNode(text)];
  } catch (error) {
    throw new InvalidArgumentError(error instanceof Error ? error.message : String(error));
  }
}
