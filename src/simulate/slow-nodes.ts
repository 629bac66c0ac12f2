/**
 * `simulate --slow ROLE/INSTANCE=FACTOR`: stragglers on demand. A slow node's time costs are FACTOR times
 * longer and it records a batch FACTOR times less often (a node that takes longer per batch does fewer of
 * them), so both of its slowdown scores (src/monitoring/straggler-rules.ts) read about FACTOR.
 */
import { DeployUsageError } from '../errors.js';
import { NODE_ROLES, type NodeRole } from '../metrics/catalog.js';

export interface SlowNode {
  readonly role: NodeRole;
  readonly instance: string;
  readonly factor: number;
}

export const SLOW_NODE_FORMAT = 'ROLE/INSTANCE=FACTOR, e.g. middleware/rep_1=3';

/**
 * The largest FACTOR: a node 1000 times slower already stands out in every score, and the step timer
 * (step ms x FACTOR) must stay far below Node's 2^31 ms limit, past which it fires at once (a faster node).
 */
export const MAX_SLOW_FACTOR = 1000;

/** Trainers record no time cost and no batch histogram: a slow trainer gets no slowdown score. */
export const SLOW_TRAINER_NOTE = 'trainers record no time cost, so no slowdown score shows a slow trainer (slow a middleware or server node to see one)';

/** One `--slow` value; the message of the Error says what is wrong with it (the CLI adds the option's name). */
export function parseSlowNode(text: string): SlowNode {
  const match = /^([^/=]*)\/([^=]*)=(.*)$/.exec(text);
  if (match === null) throw new Error(`expected ${SLOW_NODE_FORMAT}, found "${text}"`);
  const [, role = '', instance = '', factorText = ''] = match;
  if (!(NODE_ROLES as readonly string[]).includes(role)) throw new Error(`unknown role "${role}" in "${text}": expected one of ${NODE_ROLES.join(', ')}`);
  if (instance === '') throw new Error(`no instance in "${text}": expected ${SLOW_NODE_FORMAT}`);
  const factor = factorText.trim() === '' ? NaN : Number(factorText);
  if (!Number.isFinite(factor) || factor <= 0 || factor > MAX_SLOW_FACTOR) {
    throw new Error(`factor "${factorText}" in "${text}" is not a number above 0 and at most ${MAX_SLOW_FACTOR} (3 = three times slower)`);
  }
  return { role: role as NodeRole, instance, factor };
}

/**
 * The factor of each slow node by `role/instance`, once every one is known to be simulated: a typo would
 * otherwise run a job without the straggler the user asked for.
 */
export function slowFactorsByNode(slow: readonly SlowNode[], instancesByRole: Readonly<Record<NodeRole, readonly string[]>>): Map<string, number> {
  const factors = new Map<string, number>();
  for (const { role, instance, factor } of slow) {
    const key = checkSimulated(`--slow`, role, instance, instancesByRole, `=${factor}`);
    if (factors.has(key)) throw new DeployUsageError(`--slow ${key} is given twice`);
    factors.set(key, factor);
  }
  return factors;
}

/** `role/instance` of a node a flag names, or a DeployUsageError when that node is not simulated. */
export function checkSimulated(flag: string, role: NodeRole, instance: string, instancesByRole: Readonly<Record<NodeRole, readonly string[]>>, detail = ''): string {
  const key = `${role}/${instance}`;
  const simulated = instancesByRole[role];
  if (!simulated.includes(instance)) {
    const which = simulated.length === 0 ? `no ${role} node is simulated` : `the simulated ${role} nodes are ${simulated.join(', ')}`;
    throw new DeployUsageError(`${flag} ${key}${detail}: ${instance} is not a simulated node (${which})`);
  }
  return key;
}
