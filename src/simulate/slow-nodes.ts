/**
 * `simulate --slow ROLE/INSTANCE=FACTOR`: stragglers on demand. A slow node's time costs are FACTOR times
 * longer and it records a batch FACTOR times less often (a node that takes longer per batch does fewer of
 * them), so both of its slowdown scores (src/monitoring/straggler-rules.ts) read about FACTOR.
 */
import { type NodeRole } from '../metrics/catalog.js';
import { type NamedNode, nodeSpecError, type NodeSpecSyntax, parseNodeSpec, specNumber, valuesByNode } from './node-spec.js';

export interface SlowNode extends NamedNode {
  readonly factor: number;
}

export const SLOW_NODE_FORMAT = 'ROLE/INSTANCE=FACTOR, e.g. middleware/rep_1=3';

const SLOW: NodeSpecSyntax = { flag: '--slow', separator: '=', valueOptional: false, format: SLOW_NODE_FORMAT };

/**
 * The largest FACTOR: a node 1000 times slower already stands out in every score, and the step timer
 * (step ms x FACTOR) must stay far below Node's 2^31 ms limit, past which it fires at once (a faster node).
 */
export const MAX_SLOW_FACTOR = 1000;

/** Trainers record no time cost and no batch histogram: a slow trainer gets no slowdown score. */
export const SLOW_TRAINER_NOTE = 'trainers record no time cost, so no slowdown score shows a slow trainer (slow a middleware or server node to see one)';

/** One `--slow` value, or a DeployUsageError naming the flag and what was expected. */
export function parseSlowNode(text: string): SlowNode {
  const { role, instance, value = '' } = parseNodeSpec(SLOW, text);
  // Above 1: a factor of 1 or less would make the "straggler" as fast as its peers, or faster.
  const factor = specNumber(value);
  if (!(factor > 1 && factor <= MAX_SLOW_FACTOR)) {
    throw nodeSpecError(SLOW, `factor "${value}" in "${text}" is not a number above 1 and at most ${MAX_SLOW_FACTOR} (3 = three times slower)`);
  }
  return { role, instance, factor };
}

/** The factor of each slow node by `role/instance`, once every one is known to be simulated. */
export function slowFactorsByNode(slow: readonly SlowNode[], instancesByRole: Readonly<Record<NodeRole, readonly string[]>>): Map<string, number> {
  return valuesByNode(
    SLOW.flag,
    slow,
    (node) => node.factor,
    instancesByRole,
    (node) => `=${node.factor}`,
  );
}
