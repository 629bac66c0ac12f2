/**
 * The one home of how seconds are written out: in the files init renders (rules, promtool cases,
 * prometheus.yml, manifests) and in what the CLI prints. Times are kept at the millisecond, the finest
 * Prometheus stores and the finest a duration of it can say, so arithmetic on intervals (6 x 1.3) never shows
 * its float noise (7.800000000000001).
 */

/** `seconds` at the millisecond: 6 x 1.3 is 7.8, 12 x 0.05 is 0.6. */
export function atMs(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}

const UNITS: ReadonlyArray<readonly [string, number]> = [
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1000],
];

/**
 * A Prometheus duration (a whole number of one unit, as `promtool` and every config field read it) of
 * `seconds` at the millisecond, in the largest unit that divides it: 7200 is 2h, 600 is 10m, 90 is 90s, 5.4 is 5400ms.
 */
export function promDuration(seconds: number): string {
  const ms = Math.round(seconds * 1000);
  if (!Number.isSafeInteger(ms) || ms < 0) throw new RangeError(`no Prometheus duration of ${seconds} seconds`);
  if (ms === 0) return '0s';
  const [unit, size] = UNITS.find(([, length]) => ms % length === 0) ?? ['ms', 1];
  return `${ms / size}${unit}`;
}

/** A duration for people (and for the CLI's own duration flags): 300 is 5m, 90 is 90s, 1.5 is 1.5s. */
export function formatDuration(seconds: number): string {
  return Number.isInteger(atMs(seconds)) ? promDuration(seconds) : `${atMs(seconds)}s`;
}
