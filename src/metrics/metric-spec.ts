/**
 * A metric's definition, checked: the one place a spec from the catalog or from a user's `define()` is
 * validated field by field and frozen before a family (metric-family.ts) or the registry uses it.
 */
import { didYouMean } from '../config/suggest.js';
import { LabelClashError, MetricDefinitionError } from '../errors.js';
import { GROUPING_LABELS, NODE_ROLES, type MetricGroup, type MetricSpec, type MetricType } from './catalog.js';
import { assertHelp, assertLabelName, assertMetricName } from './exposition-format.js';

const METRIC_TYPES: readonly MetricType[] = ['counter', 'gauge', 'histogram'];
const METRIC_GROUPS: readonly MetricGroup[] = ['accuracy', 'efficiency', 'runtime', 'health', 'pusher'];
/** Every field of a MetricSpec; the compiler keeps the list complete. */
const SPEC_FIELDS = Object.keys({
  name: true,
  type: true,
  help: true,
  unit: true,
  group: true,
  roles: true,
  labels: true,
  buckets: true,
  maxSeries: true,
} satisfies Record<keyof MetricSpec, true>);

/** How a value the caller passed reads in an error message. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'symbol') return 'a symbol';
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'bigint') return `${value}n`;
  return typeof value === 'number' || typeof value === 'boolean' ? String(value) : 'undefined';
}

/**
 * A spec checked field by field and copied (frozen, so a caller mutating its arrays later changes nothing):
 * a JavaScript caller that leaves out a field gets an error naming it, not a TypeError from deep inside.
 * Histogram bounds are normalised here: -0 becomes 0 (the text format prints both as "0", protobuf would
 * keep the sign).
 */
export function checkedSpec(input: unknown): MetricSpec {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new MetricDefinitionError(`a metric definition is an object { name, type, help, unit, group, roles, labels, buckets (histograms) }, got ${describeValue(input)}`);
  }
  const spec = input as Record<string, unknown>;
  const name = spec['name'];
  if (typeof name !== 'string')
    throw new MetricDefinitionError(`metric definition: field "name" ${name === undefined ? 'is missing' : `must be a string, got ${describeValue(name)}`}`);
  assertMetricName(name);
  for (const key of Object.keys(spec)) {
    // A misspelt optional field (`buckets_`, `maxseries`) would be dropped, and its default used, without a word.
    if (SPEC_FIELDS.includes(key)) continue;
    const hint = didYouMean(key, SPEC_FIELDS);
    throw new MetricDefinitionError(`metric ${name}: unknown field "${key}"${hint === undefined ? ` (the fields: ${SPEC_FIELDS.join(', ')})` : ` (${hint})`}`);
  }
  const field = <T>(key: string, expected: string, valid: (value: unknown) => value is T): T => {
    const value = spec[key];
    if (valid(value)) return value;
    throw new MetricDefinitionError(
      `metric ${name}: field "${key}" ${value === undefined ? `is missing (expected ${expected})` : `must be ${expected}, got ${describeValue(value)}`}`,
    );
  };
  const type = field('type', METRIC_TYPES.join(' | '), (value): value is MetricType => METRIC_TYPES.includes(value as MetricType));
  const help = field('help', 'a string', (value): value is string => typeof value === 'string');
  assertHelp(name, help);
  const unit = field('unit', "a string ('seconds', 'bytes', 'ratio', '1')", (value): value is string => typeof value === 'string');
  const group = field('group', METRIC_GROUPS.join(' | '), (value): value is MetricGroup => METRIC_GROUPS.includes(value as MetricGroup));
  const roles = field(
    'roles',
    `an array of roles (${NODE_ROLES.join(', ')})`,
    (value): value is MetricSpec['roles'] => Array.isArray(value) && value.every((role: unknown) => NODE_ROLES.some((known) => known === role)),
  );
  const labels = field('labels', 'an array of label names ([] for none)', (value): value is string[] => Array.isArray(value) && value.every((label) => typeof label === 'string'));
  const seen = new Set<string>();
  for (const label of labels) {
    assertLabelName(name, label);
    if (GROUPING_LABELS.includes(label)) throw new LabelClashError(name, label);
    if (seen.has(label)) throw new MetricDefinitionError(`metric ${name}: label "${label}" is listed twice`);
    seen.add(label);
  }
  const maxSeries = spec['maxSeries'];
  if (maxSeries !== undefined && !(maxSeries === Infinity || (Number.isInteger(maxSeries) && (maxSeries as number) >= 1))) {
    throw new MetricDefinitionError(`metric ${name}: field "maxSeries" must be a positive integer (or Infinity for values from a fixed set), got ${describeValue(maxSeries)}`);
  }
  const checked: MetricSpec = {
    name,
    type,
    help,
    unit,
    group,
    roles: Object.freeze([...roles]),
    labels: Object.freeze([...labels]),
    ...(maxSeries === undefined ? {} : { maxSeries: maxSeries as number }),
  };
  if (type !== 'histogram') return Object.freeze(checked);
  if (labels.includes('le')) throw new MetricDefinitionError(`histogram ${name} cannot use the label "le"`);
  const buckets = field('buckets', 'a non-empty array of finite upper bounds, ascending, without +Inf', (value): value is number[] => Array.isArray(value) && value.length > 0);
  return Object.freeze({ ...checked, buckets: Object.freeze(checkedBounds(name, unit, buckets)) });
}

function checkedBounds(name: string, unit: string, buckets: readonly unknown[]): number[] {
  const bounds: number[] = [];
  for (const [index, bound] of buckets.entries()) {
    const where = `histogram ${name}: bucket bound ${index} (${describeValue(bound)})`;
    if (typeof bound !== 'number') throw new MetricDefinitionError(`${where} is not a number`);
    if (bound === Infinity) throw new MetricDefinitionError(`${where}: leave +Inf out, every histogram has a +Inf bucket already`);
    if (!Number.isFinite(bound)) throw new MetricDefinitionError(`${where} is not a finite number`);
    if (index > 0 && !(bound > bounds[index - 1]!)) throw new MetricDefinitionError(`histogram ${name} needs strictly ascending buckets (bound ${index} is ${bound})`);
    // A duration is never negative (observe() drops negative seconds), so neither is a bound of one.
    if (unit === 'seconds' && bound < 0) throw new MetricDefinitionError(`${where}: a histogram in seconds cannot have a negative bound`);
    bounds.push(bound + 0); // -0 → 0
  }
  return bounds;
}
