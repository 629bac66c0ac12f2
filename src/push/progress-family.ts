/**
 * What one push's extra sources say of the node's progress family (`progress: { family }`, the agent's
 * --progress; src/metrics/progress.ts turns it into the progress age and its reports). Read from the checked
 * text of the sources that answered (checkExtraExposition's: no timestamps, so a sample's value is its last
 * field), by the family's `# TYPE`:
 * - a counter: the sum of its samples, named `family` or, given the OpenMetrics family name (`train_steps`),
 *   `family_total`, as prometheus_client writes them in 0.0.4; samples without a TYPE line (untyped) are read
 *   the same way, as they always were;
 * - a histogram or summary (`batch_seconds`, or its `batch_seconds_count`): the sum of its `_count` samples,
 *   the observations made, which rise with every batch timed as a step counter does;
 * - any other type (a gauge: a loss, a learning rate) is no progress: its value goes up and down, and one
 *   that stays put is not a hang. It is named, so the report says what the family is rather than that it
 *   is missing.
 * A family the pages carry but that was left out of the push for a clash (extra-sources.ts decides it: a
 * catalog family's name under another type or labels, a name an earlier page writes) is not in the checked
 * text either: its reason is given, so the report says it was found and left out, not that it is missing.
 */
import type { FamilyReading, ProgressObserver } from '../metrics/progress.js';
import type { ExtraSourcesOptions } from './extra-sources.js';

const COUNTING_TYPES: ReadonlySet<string> = new Set(['histogram', 'summary']);

export function progressFamilyReading(text: string, family: string, leftOutFamilies: ReadonlyMap<string, Error> = new Map()): FamilyReading {
  const types = new Map<string, string>();
  for (const match of text.matchAll(/^#[ \t]+TYPE[ \t]+(\S+)[ \t]+(\S+)/gm)) types.set(match[1] ?? '', match[2] ?? '');
  const counters = [...types].filter(([, type]) => type === 'counter').map(([name]) => name);
  // The family as a histogram or summary (named by itself or by its _count), else as a counter or untyped.
  const base = [family, family.replace(/_count$/, '')].find((name) => COUNTING_TYPES.has(types.get(name) ?? ''));
  const names = base === undefined ? new Set([family, `${family}_total`]) : new Set([`${base}_count`]);
  const typed = base ?? [family, `${family}_total`].find((name) => types.has(name));
  const type = typed === undefined ? undefined : types.get(typed);
  if (type !== undefined && type !== 'counter' && type !== 'untyped' && base === undefined) return { total: undefined, otherType: type, counters };
  let total: number | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || !names.has(line.slice(0, line.search(/[{ \t]|$/)))) continue;
    const value = Number(
      line
        .trim()
        .split(/[ \t]+/)
        .pop(),
    );
    if (Number.isFinite(value)) total = (total ?? 0) + value;
  }
  // Its names as the clash check keys them: the TYPE line's (a counter's _total, a histogram's base name).
  const leftOut = [family, `${family}_total`, family.replace(/_(count|total)$/, '')].find((name) => leftOutFamilies.has(name));
  const why = total === undefined && leftOut !== undefined ? leftOutFamilies.get(leftOut)?.message : undefined;
  return { total, counters, ...(base === undefined ? {} : { countOf: types.get(base) }), ...(why === undefined ? {} : { leftOut: why }) };
}

/** Feeds the progress watch (`observe`) with the family as each push's extra sources carry it. */
export function progressFamilyReader(family: string, observe: ProgressObserver | undefined): ExtraSourcesOptions['onCollected'] {
  return observe === undefined ? undefined : (text, complete, leftOut) => observe({ ...progressFamilyReading(text, family, leftOut), complete });
}
