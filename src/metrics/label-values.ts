/**
 * What a family's `labels()` takes, and how each value becomes a label value (metric-family.ts binds series
 * with them): one value per label, strings as they are, numbers as their decimal string, and nothing that has
 * no UTF-8 form. A mistake here is the program's own: a MetricDefinitionError, every time.
 */
import { MetricDefinitionError } from '../errors.js';
import type { MetricSpec } from './catalog.js';
import { hasLoneSurrogate } from './exposition-format.js';
import { describeValue } from './metric-spec.js';

/**
 * What `labels()` takes. A number or bigint means the same series as its string form, `String(value)`
 * (`labels(42)` is `labels('42')`, `labels(42n)` too; -0 is '0'): JavaScript callers hold numeric feature ids,
 * and two series with one label set would make the gateway refuse the whole family. Anything else (undefined,
 * null, booleans, objects) is a MetricDefinitionError, every time: it is a bug in the caller, not a value to
 * guess a meaning for (undefined used to mean '', and `true` would silently become "true").
 */
export type LabelValue = string | number | bigint;

/** `labels()` got another number of values than the family has labels. */
export function arityError(spec: MetricSpec, count: number): MetricDefinitionError {
  const { name, labels } = spec;
  const takes = labels.length === 0 ? 'no label values (call .labels() with none)' : `${labels.length} label value(s) (${labels.join(', ')})`;
  return new MetricDefinitionError(`metric ${name} takes ${takes}, got ${count}`);
}

/** A value that is not a string as its label value: a number's decimal string, anything else refused. */
export function labelText(spec: MetricSpec, position: number, value: unknown): string {
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  throw new MetricDefinitionError(
    `metric ${spec.name}: label "${spec.labels[position]}" got ${describeValue(value)}; a label value is a string or a number (the same series as its decimal string)`,
  );
}

/** Label values of a new series: each must have a UTF-8 form. */
export function checkEncodable(spec: MetricSpec, keys: readonly string[]): void {
  for (const [position, key] of keys.entries()) {
    if (hasLoneSurrogate(key)) {
      throw new MetricDefinitionError(
        `metric ${spec.name}: the value of label "${spec.labels[position]}" holds a lone UTF-16 surrogate; it has no UTF-8 form and would arrive as U+FFFD, the same as other values`,
      );
    }
  }
}
