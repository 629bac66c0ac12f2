/**
 * `simulate --hang ROLE/INSTANCE[@SECONDS]`: a hang on demand. After SECONDS (and at least one batch, so the
 * node has made progress before), the node records no batch any more while its process keeps pushing and
 * says it is running: its step counter and time-cost counts freeze, its progress age
 * (persia_node_progress_age_seconds) grows, and PersiaNodeHung fires, as for a deadlocked training loop.
 */
import { DeployUsageError } from '../errors.js';
import { NODE_ROLES, type NodeRole } from '../metrics/catalog.js';
import { checkSimulated } from './slow-nodes.js';

export interface HungNode {
  readonly role: NodeRole;
  readonly instance: string;
  /** Seconds after the node's start at which its training stops. */
  readonly afterSeconds: number;
}

export const HUNG_NODE_FORMAT = 'ROLE/INSTANCE[@SECONDS], e.g. middleware/rep_1@20';

/** The latest SECONDS: a Node timer of 2^31 ms or more fires at once. */
export const MAX_HANG_SECONDS = 2_147_483;

const DECIMAL = /^([0-9]+(\.[0-9]*)?|\.[0-9]+)$/;

/** One `--hang` value; the message of the Error says what is wrong with it (the CLI adds the option's name). */
export function parseHungNode(text: string): HungNode {
  const match = /^([^/@]*)\/([^@]*)(?:@(.*))?$/.exec(text);
  if (match === null) throw new Error(`expected ${HUNG_NODE_FORMAT}, found "${text}"`);
  const [, role = '', instance = '', secondsText] = match;
  if (!(NODE_ROLES as readonly string[]).includes(role)) throw new Error(`unknown role "${role}" in "${text}": expected one of ${NODE_ROLES.join(', ')}`);
  if (instance === '') throw new Error(`no instance in "${text}": expected ${HUNG_NODE_FORMAT}`);
  const afterSeconds = secondsText === undefined ? 0 : DECIMAL.test(secondsText) ? Number(secondsText) : NaN;
  if (!(afterSeconds >= 0 && afterSeconds <= MAX_HANG_SECONDS)) {
    throw new Error(`"${secondsText ?? ''}" in "${text}" is not a number of seconds from 0 to ${MAX_HANG_SECONDS} (when the node stops training)`);
  }
  return { role: role as NodeRole, instance, afterSeconds };
}

/** When each hung node hangs, by `role/instance`, once every one is known to be simulated. */
export function hangSecondsByNode(hung: readonly HungNode[], instancesByRole: Readonly<Record<NodeRole, readonly string[]>>): Map<string, number> {
  const seconds = new Map<string, number>();
  for (const { role, instance, afterSeconds } of hung) {
    const key = checkSimulated('--hang', role, instance, instancesByRole);
    if (seconds.has(key)) throw new DeployUsageError(`--hang ${key} is given twice`);
    seconds.set(key, afterSeconds);
  }
  return seconds;
}
