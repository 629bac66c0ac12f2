/** Commander argument parsers: a bad value is a usage error (exit 2) naming the option and what was expected. */
import { InvalidArgumentError } from 'commander';
import { parseGatewayList } from '../config/gateway-address.js';
import { MAX_SLOW_FACTOR, parseSlowNode, type SlowNode } from '../simulate/slow-nodes.js';

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

/** The longest `--timeout` of one request to a gateway: an hour (a gateway that has not answered by then will not). */
export const MAX_TIMEOUT_SECONDS = 3600;

/**
 * `--timeout <seconds>` of a request: from 1 ms to an hour, rounded to whole milliseconds (Node's timers take
 * whole milliseconds below 2^31: 0.1234 or 5000000 s would fail every request at run time instead).
 */
export function parseTimeoutSeconds(text: string): number {
  const value = text.trim() === '' ? NaN : Number(text);
  if (!Number.isFinite(value) || value < 0.001 || value > MAX_TIMEOUT_SECONDS) {
    throw new InvalidArgumentError(`expected a number of seconds from 0.001 to ${MAX_TIMEOUT_SECONDS}, found "${text}"`);
  }
  return Math.round(value * 1000) / 1000;
}

/** The longest run a timer can wait for: Node's setTimeout limit, 2^31 - 1 ms (about 24.8 days), in whole seconds. */
export const MAX_RUN_SECONDS = 2_147_483;

/** `--duration <seconds>` of a run: a positive number of seconds up to MAX_RUN_SECONDS (a longer timer would fire at once). */
export function parseRunSeconds(text: string): number {
  const value = parseSeconds(text);
  if (value > MAX_RUN_SECONDS) throw new InvalidArgumentError(`expected at most ${MAX_RUN_SECONDS} seconds (about 24.8 days; leave it out to run until Ctrl-C), found "${text}"`);
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

/** A factor such as `--slow-factor`: a number above 0, at most MAX_SLOW_FACTOR. */
export function parseFactor(text: string): number {
  const value = text.trim() === '' ? NaN : Number(text);
  if (!Number.isFinite(value) || value <= 0 || value > MAX_SLOW_FACTOR) throw new InvalidArgumentError(`expected a number above 0 and at most ${MAX_SLOW_FACTOR}, found "${text}"`);
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
