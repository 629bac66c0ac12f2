/**
 * Every command's flag parsers, one rule per kind of value: a bad value is a usage error (exit 2) that
 * commander prefixes with the option's name, saying what was expected and what was found.
 * Numbers are read in decimal notation only: Number() would read `0x200` as 512 and `1e1` as 10.
 */
import { formatDuration } from '../../monitoring/duration.js';
import { InvalidArgumentError } from 'commander';
import { parseGatewayList, redactUrl } from '../../gateway/address.js';
import { expectedValue, OPTION_BY_KEY } from '../../config/options.js';
import { UsageError } from '../../errors.js';
import { MAX_SLOW_FACTOR, parseSlowNode, type SlowNode } from '../../simulate/slow-nodes.js';
import { type HungNode, MAX_HANG_SECONDS, parseHungNode } from '../../simulate/hung-nodes.js';

const DIGITS = /^[0-9]+$/;
const DECIMAL = /^([0-9]+(\.[0-9]*)?|\.[0-9]+)$/;

/** A whole number from `min` to `max` (decimal digits only). */
export function integerFlag(min: number, max = Number.MAX_SAFE_INTEGER): (text: string) => number {
  const range = max === Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `from ${min} to ${max}`;
  return (text) => {
    const value = DIGITS.test(text) ? Number(text) : Number.NaN;
    if (!Number.isSafeInteger(value) || value < min || value > max) throw new InvalidArgumentError(`expected a whole number ${range}, found "${text}"`);
    return value;
  };
}

/** A count of nodes or milliseconds: 0 to 100000. */
export const parseCount = integerFlag(0, 100_000);
/** A count that must be at least 1 (`--nodes`, `--series-per-node`). */
export const parsePositiveInteger = integerFlag(1);

/** A TCP port to listen on; 0 asks for any free one. */
export function parsePort(text: string): number {
  const value = DIGITS.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(value) || value > 65_535) throw new InvalidArgumentError(`expected a TCP port from 0 to 65535 (0: any free port), found "${text}"`);
  return value;
}

/** The one rule for a number of seconds or a factor: decimal notation, above 0. NaN when it is not one. */
function positiveDecimal(text: string): number {
  const value = DECIMAL.test(text) ? Number(text) : Number.NaN;
  return value > 0 && Number.isFinite(value) ? value : Number.NaN;
}

export function parseSeconds(text: string): number {
  const value = positiveDecimal(text);
  if (Number.isNaN(value)) throw new InvalidArgumentError(`expected a positive number of seconds, found "${text}"`);
  return value;
}

/** Seconds within a range, e.g. the page's refresh (a timer of 2^31 ms or more fires at once, forever). */
export function secondsBetween(min: number, max: number): (text: string) => number {
  return (text) => {
    const value = parseSeconds(text);
    if (value < min || value > max) throw new InvalidArgumentError(`expected ${min} to ${max} seconds, found "${text}"`);
    return value;
  };
}

/** The longest `--timeout` of one request to a gateway: an hour (a gateway that has not answered by then will not). */
export const MAX_TIMEOUT_SECONDS = 3600;

/**
 * `--timeout <seconds>` of a request: from 1 ms to an hour, rounded to whole milliseconds (Node's timers take
 * whole milliseconds below 2^31: 0.1234 or 5000000 s would fail every request at run time instead).
 */
export function parseTimeoutSeconds(text: string): number {
  const value = positiveDecimal(text);
  if (!(value >= 0.001 && value <= MAX_TIMEOUT_SECONDS)) throw new InvalidArgumentError(`expected a number of seconds from 0.001 to ${MAX_TIMEOUT_SECONDS}, found "${text}"`);
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

/** The longest duration a flag takes unless it says otherwise: a year. */
export const MAX_DURATION_SECONDS = 86_400 * 365;

const UNITS: Readonly<Record<string, number>> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86_400 };

/**
 * A duration as Prometheus writes them (`90s`, `5m`, `1h30m`, `500ms`, `2d`) or a plain number of seconds,
 * from `minSeconds` to `maxSeconds`.
 */
export function parseDuration(text: string, maxSeconds = MAX_DURATION_SECONDS, minSeconds = 0): number {
  const trimmed = text.trim();
  let seconds: number;
  if (/^\d+(\.\d+)?$/.test(trimmed)) seconds = Number(trimmed);
  else if (/^(\d+(\.\d+)?(ms|s|m|h|d))+$/.test(trimmed)) {
    seconds = 0;
    for (const [, amount, unit] of trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)) seconds += Number(amount) * (UNITS[unit ?? 's'] ?? 1);
  } else throw new InvalidArgumentError(`expected a duration such as 90s, 5m, 1h30m or a number of seconds, found ${JSON.stringify(text)}`);
  if (!(seconds > 0)) throw new InvalidArgumentError(`expected a duration above 0, found ${JSON.stringify(text)}`);
  if (minSeconds > 0 && seconds < minSeconds) throw new InvalidArgumentError(`expected a duration of at least ${formatDuration(minSeconds)}, found ${JSON.stringify(text)}`);
  if (seconds > maxSeconds) throw new InvalidArgumentError(`expected a duration of at most ${formatDuration(maxSeconds)}, found ${JSON.stringify(text)}`);
  return seconds;
}

/** `durationFlag(min, max)`: parseDuration as a commander parser. */
export function durationFlag(minSeconds: number, maxSeconds: number): (text: string) => number {
  return (text) => parseDuration(text, maxSeconds, minSeconds);
}

/** A factor such as `--slow-factor`: a number above 0, at most MAX_SLOW_FACTOR. */
export function parseFactor(text: string): number {
  const value = positiveDecimal(text);
  if (!(value <= MAX_SLOW_FACTOR)) throw new InvalidArgumentError(`expected a number above 0 and at most ${MAX_SLOW_FACTOR}, found "${text}"`);
  return value;
}

/**
 * A flag that sets a configuration option (`--interval` is push_interval_seconds, `--role` is role): the
 * option table's own schema decides, so the flag accepts exactly what the file and the environment accept.
 */
export function optionFlag(key: string): (text: string) => unknown {
  const spec = OPTION_BY_KEY.get(key);
  if (spec === undefined) throw new Error(`no option ${key} in src/config/options.ts`);
  const numeric = spec.type.startsWith('number');
  return (text) => {
    const result = spec.schema.safeParse(numeric ? (DECIMAL.test(text) ? Number(text) : Number.NaN) : text);
    if (!result.success) throw new InvalidArgumentError(`expected ${expectedValue(spec, result.error)}, found "${text}"`);
    return result.data;
  };
}

/** One of a few words (`--target compose`, `--window 1h`). */
export function choiceFlag<const T extends string>(choices: readonly T[]): (text: string) => T {
  const expected = choices.length > 2 ? `one of ${choices.join(', ')}` : choices.join(' or ');
  return (text) => {
    const choice = choices.find((candidate) => candidate === text);
    if (choice === undefined) throw new InvalidArgumentError(`expected ${expected}, found "${text}"`);
    return choice;
  };
}

/** A job name to look for (`view --job`): any label value but a blank one, or an option given in its place. */
export function parseJobName(text: string): string {
  if (text.trim() === '' || text.startsWith('--')) throw new InvalidArgumentError(`expected a job name, found "${text}"`);
  return text;
}

/** A local address to listen on (`view --host`). */
export function parseListenHost(text: string): string {
  if (text.trim() === '' || text.startsWith('-') || /[\s/]/.test(text))
    throw new InvalidArgumentError(`expected a local address to listen on (e.g. 127.0.0.1 or 0.0.0.0), found "${text}"`);
  return text;
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

/**
 * An http(s) URL of a server the command reads (`--prometheus`), without query or fragment (a path prefix
 * such as /prometheus is kept, and `user:password@` too).
 */
export function httpUrlFlag(server: string, example: string): (text: string) => string {
  const expected = `expected the http:// or https:// URL of ${server} (e.g. ${example}), found "`;
  return (text) => {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new InvalidArgumentError(`${expected}${redactUrl(text)}"`);
    }
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') throw new InvalidArgumentError(`${expected}${redactUrl(text)}"`);
    if (url.search !== '' || url.hash !== '') throw new InvalidArgumentError(`expected a URL without "?" or "#" (the command adds the API paths), found "${redactUrl(text)}"`);
    const credentials = url.username === '' && url.password === '' ? '' : `${url.username}:${url.password}@`;
    return `${url.protocol}//${credentials}${url.host}${url.pathname.replace(/\/+$/, '')}`;
  };
}

/**
 * A flag whose value may hold a password (`--prometheus http://user:password@host`), parsed in the action:
 * commander's own message for a bad value repeats the value whole (and --json repeats the message), so the
 * error here says the same with the credentials hidden, as a usage error (exit 2).
 */
export function parseSecretFlag<T>(flag: string, text: string, parse: (text: string) => T): T {
  try {
    return parse(text);
  } catch (error) {
    if (!(error instanceof InvalidArgumentError)) throw error;
    throw new UsageError(`option '${flag}' argument '${redactUrl(text)}' is invalid. ${error.message}`);
  }
}

const GATEWAY_EXPECTED = 'expected host:port[,host:port...] (http/https scheme optional)';

/**
 * Every command's `--gateway` parser (the one rule, so a bad value is the same PERSIA_USAGE error, exit 2, from
 * every command): checked as the node would read it, so the error names the option and not a config key.
 */
export function parseGatewayOption(text: string): string {
  const { addresses, error } = parseGatewayList(text);
  if (addresses === undefined) throw new InvalidArgumentError(`${GATEWAY_EXPECTED}: ${error ?? 'invalid'}`);
  return text;
}

/** The gateways a `--gateway` list names, each once however it is spelt (`localhost:9091,127.0.0.1:9091` is one). */
export function gatewayBaseUrls(text: string): string[] {
  const { addresses, error } = parseGatewayList(text);
  // Reached with a value the option's parser (parseGatewayOption) let through; the same usage error if not.
  if (addresses === undefined) throw new UsageError(`--gateway: ${error ?? 'an invalid address'} (${GATEWAY_EXPECTED})`);
  return addresses.map((address) => address.baseUrl); // parseGatewayList keeps each gateway once
}

/** The parsers repeatable() made: their options may be given more than once (src/cli/kit/program.ts). */
const REPEATABLE_PARSERS = new WeakSet<object>();

/**
 * A repeatable flag whose values add up, each checked on its own (`--slow`, `--hang`, `--scrape`). Every
 * other option given twice is a usage error: the one place an option says it may repeat.
 */
export function repeatable<T>(parse: (text: string) => T): (text: string, previous?: readonly T[]) => T[] {
  const collect = (text: string, previous: readonly T[] = []): T[] => {
    try {
      return [...previous, parse(text)];
    } catch (error) {
      throw new InvalidArgumentError(error instanceof Error ? error.message : String(error));
    }
  };
  REPEATABLE_PARSERS.add(collect);
  return collect;
}

/** Whether an option's parser is one of repeatable()'s. */
export function isRepeatableParser(parser: unknown): boolean {
  return typeof parser === 'function' && REPEATABLE_PARSERS.has(parser);
}

/** `--hang ROLE/INSTANCE[@SECONDS]`, repeatable: each value a HungNode. */
export const collectHungNode: (text: string, previous?: readonly HungNode[]) => HungNode[] = repeatable(parseHungNode);

/** `--slow ROLE/INSTANCE=FACTOR`, repeatable: each value a SlowNode. */
export const collectSlowNode: (text: string, previous?: readonly SlowNode[]) => SlowNode[] = repeatable(parseSlowNode);

/** Seconds from 0 (at once, after the first batch) to MAX_HANG_SECONDS. */
export function parseHangSeconds(text: string): number {
  const value = DECIMAL.test(text) ? Number(text) : Number.NaN;
  if (!(value >= 0 && value <= MAX_HANG_SECONDS)) throw new InvalidArgumentError(`expected a number of seconds from 0 to ${MAX_HANG_SECONDS}, found "${text}"`);
  return value;
}
