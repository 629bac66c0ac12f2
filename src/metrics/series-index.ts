/**
 * A family's index of its labelled series: label value → series for one label; for more, value → the next
 * label's map. A tree rather than one map keyed by joined values: no separator character, so no label value
 * (a NUL included) can make two label sets one key. metric-family.ts walks it inline in `labels()` (the
 * binding path) and through these functions everywhere else.
 */

/** The root of a family's tree; a leaf holds a series, an inner level the next label's map. */
export type SeriesIndex = Map<string, unknown>;

/** The series bound to exactly these label values, if any. */
export function findSeries<Series>(index: SeriesIndex, keys: readonly string[]): Series | undefined {
  let level: Map<string, unknown> | undefined = index;
  for (let position = 0; position < keys.length - 1 && level !== undefined; position += 1) level = level.get(keys[position]!) as Map<string, unknown> | undefined;
  return level?.get(keys[keys.length - 1]!) as Series | undefined;
}

/** Puts a series under its label values, making the levels it needs. */
export function indexSeries(index: SeriesIndex, keys: readonly string[], series: unknown): void {
  let level = index;
  for (let position = 0; position < keys.length - 1; position += 1) {
    let next = level.get(keys[position]!) as Map<string, unknown> | undefined;
    if (next === undefined) {
      next = new Map();
      level.set(keys[position]!, next);
    }
    level = next;
  }
  level.set(keys[keys.length - 1]!, series);
}

/** Takes the series under these label values out, pruning levels left empty; a missing one is no error. */
export function unindexSeries(index: SeriesIndex, keys: readonly string[]): void {
  const path: (Map<string, unknown> | undefined)[] = [index];
  for (let position = 0; position < keys.length - 1; position += 1) path.push(path[position]?.get(keys[position]!) as Map<string, unknown> | undefined);
  for (let position = keys.length - 1; position >= 0; position -= 1) {
    const level = path[position];
    level?.delete(keys[position]!);
    if (level === undefined || level.size > 0) break;
  }
}
