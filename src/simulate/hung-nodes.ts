/**
 * `simulate --hang ROLE/INSTANCE[@SECONDS]`: a hang on demand. After SECONDS (and at least one batch, so the
 * node has made progress before), the node records no batch any more while its process keeps pushing and
 * says it is running: its step counter and time-cost counts freeze, its progress age
 * (persia_node_progress_age_seconds) grows, and PersiaNodeHung fires, as for a deadlocked training loop.
 */
import { type NodeRole } from '../metrics/catalog.js';
import { type NamedNode, nodeSpecError, type NodeSpecSyntax, parseNodeSpec, specNumber, valuesByNode } from './node-spec.js';

export interface HungNode extends NamedNode {
  /** Seconds after the node's start at which its training stops. */
  readonly afterSeconds: number;
}

export const HUNG_NODE_FORMAT = 'ROLE/INSTANCE[@SECONDS], e.g. middleware/rep_1@20';

const HANG: NodeSpecSyntax = { flag: '--hang', separator: '@', valueOptional: true, format: HUNG_NODE_FORMAT };

/** The latest SECONDS: a Node timer of 2^31 ms or more fires at once. */
export const MAX_HANG_SECONDS = 2_147_483;

/** One `--hang` value, or a DeployUsageError naming the flag and what was expected. */
export function parseHungNode(text: string): HungNode {
  const { role, instance, value } = parseNodeSpec(HANG, text);
  const afterSeconds = value === undefined ? 0 : specNumber(value);
  if (!(afterSeconds >= 0 && afterSeconds <= MAX_HANG_SECONDS)) {
    throw nodeSpecError(HANG, `"${value ?? ''}" in "${text}" is not a number of seconds from 0 to ${MAX_HANG_SECONDS} (when the node stops training)`);
  }
  return { role, instance, afterSeconds };
}

/** When each hung node hangs, by `role/instance`, once every one is known to be simulated. */
export function hangSecondsByNode(hung: readonly HungNode[], instancesByRole: Readonly<Record<NodeRole, readonly string[]>>): Map<string, number> {
  return valuesByNode(HANG.flag, hung, (node) => node.afterSeconds, instancesByRole);
}
