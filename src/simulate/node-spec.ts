/**
 * The node specs of `simulate --slow ROLE/INSTANCE=FACTOR` and `--hang ROLE/INSTANCE[@SECONDS]`: one reading of
 * ROLE/INSTANCE and its value, so both flags take a node the same way and say the same about a bad one: a
 * DeployUsageError (exit 2) naming the flag, what was expected and what was found.
 */
import { DeployUsageError } from '../errors.js';
import { NODE_ROLES, type NodeRole } from '../metrics/catalog.js';

/** How one flag writes its nodes. */
export interface NodeSpecSyntax {
  readonly flag: string;
  /** What comes between the instance and the value: `=` or `@`. */
  readonly separator: string;
  /** Whether the value may be left out (with its separator). */
  readonly valueOptional: boolean;
  /** The format as the user reads it, with an example. */
  readonly format: string;
}

/** A simulated node a flag names. */
export interface NamedNode {
  readonly role: NodeRole;
  readonly instance: string;
}

export interface NodeSpec extends NamedNode {
  /** The text after the separator; undefined where the value was left out. */
  readonly value: string | undefined;
}

const DECIMAL = /^([0-9]+(\.[0-9]*)?|\.[0-9]+)$/;

/**
 * The one number reading of every flag's value (a factor, seconds): decimal notation only, as the CLI's other
 * flags read numbers (src/cli/kit/flags.ts); `1e1`, `0x10`, `+5`, ` 5` and `Infinity` are NaN, so each flag
 * refuses them alike.
 */
export function specNumber(text: string | undefined): number {
  return text !== undefined && DECIMAL.test(text) ? Number(text) : Number.NaN;
}

/** A bad value of the flag: `--hang: <problem>`. */
export function nodeSpecError(syntax: NodeSpecSyntax, problem: string): DeployUsageError {
  return new DeployUsageError(`${syntax.flag}: ${problem}`);
}

/** ROLE/INSTANCE and the value text of one flag value; the value itself is the flag's to read. */
export function parseNodeSpec(syntax: NodeSpecSyntax, text: string): NodeSpec {
  const separator = syntax.separator.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
  const match = new RegExp(`^([^/${separator}]*)/([^${separator}]*)(?:${separator}(.*))?$`, 's').exec(text);
  const [, role = '', instance = '', value] = match ?? [];
  if (match === null || (value === undefined && !syntax.valueOptional)) throw nodeSpecError(syntax, `expected ${syntax.format}, found "${text}"`);
  if (!(NODE_ROLES as readonly string[]).includes(role)) throw nodeSpecError(syntax, `unknown role "${role}" in "${text}": expected one of ${NODE_ROLES.join(', ')}`);
  if (instance === '') throw nodeSpecError(syntax, `no instance in "${text}": expected ${syntax.format}`);
  return { role: role as NodeRole, instance, value };
}

/**
 * The value of each node a flag names, by `role/instance`, once every one is known to be simulated (a typo
 * would otherwise run a job without what the user asked for) and named once. `shown` writes a node's value
 * back in a message (`=3`), where the flag's messages show it.
 */
export function valuesByNode<N extends NamedNode, T>(
  flag: string,
  nodes: readonly N[],
  valueOf: (node: N) => T,
  instancesByRole: Readonly<Record<NodeRole, readonly string[]>>,
  shown: (node: N) => string = () => '',
): Map<string, T> {
  const values = new Map<string, T>();
  for (const node of nodes) {
    const { role, instance } = node;
    const key = `${role}/${instance}`;
    const simulated = instancesByRole[role];
    if (!simulated.includes(instance)) {
      const which = simulated.length === 0 ? `no ${role} node is simulated` : `the simulated ${role} nodes are ${simulated.join(', ')}`;
      throw new DeployUsageError(`${flag} ${key}${shown(node)}: ${instance} is not a simulated node (${which})`);
    }
    if (values.has(key)) throw new DeployUsageError(`${flag} ${key} is given twice`);
    values.set(key, valueOf(node));
  }
  return values;
}
