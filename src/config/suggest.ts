/** "Did you mean …?" for misspelled keys: PersiaML's own example writes `push_interval_sec`. */

/**
 * The hint of an error about an unknown key: `did you mean <closest>?`, the closest known key shown by `show`
 * (quoted for a file's keys); undefined when none is close.
 */
export function didYouMean(input: string, candidates: readonly string[], show: (key: string) => string = (key) => key): string | undefined {
  const near = closestKey(input, candidates);
  return near === undefined ? undefined : `did you mean ${show(near)}?`;
}

export function closestKey(input: string, candidates: readonly string[]): string | undefined {
  const normalized = input.toLowerCase().replace(/-/g, '_');
  let best: { key: string; score: number } | undefined;
  for (const key of candidates) {
    const candidate = key.toLowerCase();
    // A shortened or lengthened key (push_interval_sec, job) is the commonest slip: prefer prefixes.
    const prefix = candidate.startsWith(normalized) || normalized.startsWith(candidate);
    const gap = Math.abs(candidate.length - normalized.length);
    // The edit distance is at least the length gap: a key too long to be within the limit is not compared,
    // so a 100,000-character key from a file costs no more than a short one.
    if (!prefix && gap > limitFor(key)) continue;
    const score = prefix ? gap / 4 : editDistance(normalized, candidate);
    if (best === undefined || score < best.score) best = { key, score };
  }
  if (best === undefined) return undefined;
  return best.score <= limitFor(best.key) ? best.key : undefined;
}

/** How far a key may be from a known one and still be suggested as it. */
function limitFor(key: string): number {
  return Math.max(2, Math.floor(key.length / 3));
}

export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
