/**
 * The cardinality guard's rules, kept apart from the family that applies them (metric-family.ts).
 *
 * A family labelled by something unbounded (a user id, a batch number) would otherwise grow one series per
 * value, in the training process's memory and in every push. Past its limit a family folds a new label set
 * into an overflow series: ONE label (the offending one) reads OVERFLOW_VALUE, the others keep their values,
 * and the recording lands there, so `sum()` over the family still equals everything recorded. Everything
 * here runs where a series is bound (`labels()`) or before a push, never in inc/set/observe.
 */

/** The value the offending label takes in an overflow series. */
export const OVERFLOW_VALUE = '__overflow__';

/** What the registry gives each family it defines. */
export interface SeriesLimits {
  /** Series per family unless its spec sets maxSeries (the max_series_per_family option). */
  readonly maxSeriesPerFamily: number;
  /** Forget a labelled series unchanged for this long (drop_idle_series_seconds); undefined: never. */
  readonly dropIdleSeriesSeconds?: number | undefined;
  /** Told once per family, at its first folded label set (the node's logger). */
  readonly report?: ((message: string) => void) | undefined;
}

/**
 * Overflow series a family of several labels may hold beyond its limit: one per combination of the labels it
 * keeps, up to a tenth of the limit (at least one); past that every label folds, into one last series. So a
 * family never holds more than limit + ceil(limit / 10) + 1 series, however many of its labels explode.
 */
export function overflowSeriesCap(maxSeries: number): number {
  return Math.max(1, Math.ceil(maxSeries / 10));
}

/**
 * The offending label: the one with the most distinct values among the family's series when it reaches its
 * limit (the first such label on a tie). That label is what grew the family, so folding it keeps the labels
 * queries group by (a feature, a reason), which have few values. Chosen once per family and kept, so an
 * overflow series stays the same series from push to push (a counter that moved between series would
 * show as a reset and a jump).
 */
export function offendingPosition(series: Iterable<readonly string[]>, arity: number): number {
  const distinct = Array.from({ length: arity }, () => new Set<string>());
  for (const labelValues of series) {
    for (let position = 0; position < arity; position += 1) distinct[position]!.add(labelValues[position]!);
  }
  let offending = 0;
  for (let position = 1; position < arity; position += 1) if (distinct[position]!.size > distinct[offending]!.size) offending = position;
  return offending;
}

/** The one warning a family's first folded label set gives, naming what to change. */
export function overflowWarning(name: string, labels: readonly string[], position: number, maxSeries: number): string {
  const kept = labels.filter((_, index) => index !== position);
  return (
    `metric ${name} reached its limit of ${maxSeries.toLocaleString('en-US')} series on this node: further label sets are recorded with ` +
    `${labels[position]}="${OVERFLOW_VALUE}"${kept.length > 0 ? ` (${kept.join(', ')} kept)` : ''}, so sums stay exact but those values are not told apart; ` +
    `counted in persia_metrics_overflow_bindings_total{metric="${name}"}. Label by something with fewer values, ` +
    "or raise max_series_per_family (PERSIA_METRICS_MAX_SERIES_PER_FAMILY) or this family's maxSeries."
  );
}

/** A label set's key in the map of retired series: JSON of the values, one string per distinct list. */
export function retiredKey(values: readonly string[]): string {
  return JSON.stringify(values);
}
