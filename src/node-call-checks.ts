/**
 * What a caller may hand the node's public calls (src/node-metrics.ts), checked before anything starts or
 * stops: plain JavaScript callers can pass anything, and each mistake is a typed error naming the call and
 * the argument, not a TypeError from deep inside.
 */
import { didYouMean } from './config/suggest.js';
import { describeValue } from './config/yaml-document.js';
import { ConfigError, ReentrantCallError } from './errors.js';
import { NODE_STATES, type NodeState } from './metrics/catalog.js';
import { currentExtraSource } from './push/extra-sources.js';
import type { StartNodeMetricsInput } from './node-metrics.js';

/** Every key startNodeMetrics() reads; the compiler keeps this list complete. */
const START_KEYS = Object.keys({
  file: true,
  env: true,
  options: true,
  optionsOrigin: true,
  extraSources: true,
  logger: true,
  transport: true,
  progress: true,
  catalog: true,
} satisfies Record<keyof StartNodeMetricsInput, true>);

/**
 * startNodeMetrics()'s argument: an object (or nothing) of known keys. A plain JavaScript caller's `option:`
 * or `fil:` was ignored, so the node started with default role, job and instance and no word said.
 */
export function checkStartInput(input: unknown): void {
  refuseNonObject(input, '');
  if (input !== undefined) refuseUnknownKeys(input as object, START_KEYS, 'startNodeMetrics()');
  refuseNonObject((input as StartNodeMetricsInput | undefined)?.options, 'options');
}

/** A key of `value` that is none of `known`: ConfigError naming it and the closest known key. */
export function refuseUnknownKeys(value: object, known: readonly string[], source: string, prefix = ''): void {
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue;
    throw new ConfigError({ source, path: `${prefix}${key}` }, `one of the keys ${known.join(', ')}`, `unknown key "${key}"`, didYouMean(key, known));
  }
}

/** `startNodeMetrics(null)` or `{ options: 5 }`: ConfigError naming the argument (undefined is "not given"). */
function refuseNonObject(value: unknown, path: string): void {
  if (value === undefined || (typeof value === 'object' && value !== null && !Array.isArray(value))) return;
  throw new ConfigError({ source: 'startNodeMetrics()', path }, 'an object (or nothing)', describeValue(value));
}

/** Longest deadline a timer can hold (2^31 - 1 ms, about 24.8 days): a longer one would fire at once. */
const MAX_DEADLINE_SECONDS = (2 ** 31 - 1) / 1000;

/** shutdown()'s `timeoutSeconds` as a deadline the timers can hold; undefined: the configured one. */
export function shutdownDeadline(timeoutSeconds: unknown): number | undefined {
  if (timeoutSeconds === undefined) return undefined;
  if (typeof timeoutSeconds !== 'number' || !(timeoutSeconds > 0)) {
    throw new ConfigError({ source: 'shutdown()', path: 'timeoutSeconds' }, 'a positive number of seconds (Infinity: no deadline)', describeValue(timeoutSeconds));
  }
  return Math.min(timeoutSeconds, MAX_DEADLINE_SECONDS);
}

/** flush() or shutdown() from inside an extra source's metrics(): the push would wait for itself. */
export function refuseInsideSource(call: string): void {
  const source = currentExtraSource();
  if (source !== undefined) throw new ReentrantCallError(call, source);
}

/** setState()'s argument: a state of the set, or a ConfigError (an unknown one would leave the node with no state at all). */
export function checkNodeState(state: unknown): NodeState {
  const known: readonly unknown[] = NODE_STATES;
  if (known.includes(state)) return state as NodeState;
  throw new ConfigError({ source: 'setState()', path: 'state' }, `one of ${NODE_STATES.map((name) => `'${name}'`).join(', ')}`, describeValue(state));
}

/** paused()'s argument: the work to run while the node is paused. */
export function checkPauseWork(work: unknown): void {
  if (typeof work === 'function') return;
  throw new ConfigError({ source: 'paused()', path: 'work' }, 'a function to run while the node is paused, e.g. () => saveCheckpoint()', describeValue(work));
}
