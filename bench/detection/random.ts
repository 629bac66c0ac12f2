/**
 * A seeded random source for the detection bench: the same seed gives the same scenarios, series and
 * therefore the same figures on every machine (Math.random would make each run a different benchmark).
 */

export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  uniform(low: number, high: number): number;
  /** A whole number in [low, high]. */
  int(low: number, high: number): number;
  /** Standard normal. */
  normal(): number;
  /** Log-uniform in [low, high]: as many draws between 1 and 10 as between 10 and 100. */
  logUniform(low: number, high: number): number;
  pick<T>(items: readonly T[]): T;
  chance(probability: number): boolean;
}

/** mulberry32: 32-bit state, fast, and good enough for simulation (not for anything secret). */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const random: Random = {
    next,
    uniform: (low, high) => low + (high - low) * next(),
    int: (low, high) => low + Math.floor(next() * (high - low + 1)),
    normal: () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next()),
    logUniform: (low, high) => Math.exp(random.uniform(Math.log(low), Math.log(high))),
    pick: (items) => {
      if (items.length === 0) throw new Error('pick from an empty list');
      return items[Math.floor(next() * items.length)] as (typeof items)[number];
    },
    chance: (probability) => next() < probability,
  };
  return random;
}

/** Standard normal CDF (Abramowitz-Stegun 7.1.26 for erf: error below 1.5e-7, plenty for bucket shares). */
export function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-z * z);
  return x >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

/** Poisson(lambda): exact (Knuth) for small means, normal beyond. */
export function poisson(random: Random, lambda: number): number {
  if (lambda <= 0) return 0;
  if (lambda >= 30) return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * random.normal()));
  const limit = Math.exp(-lambda);
  let k = 0;
  for (let p = random.next(); p > limit; p *= random.next()) k += 1;
  return k;
}

/** Binomial(n, p): exact for small n, Poisson for rare events, normal otherwise; always within [0, n]. */
export function binomial(random: Random, n: number, p: number): number {
  if (n <= 0 || p <= 0) return 0;
  if (p >= 1) return n;
  if (n < 30) {
    let k = 0;
    for (let i = 0; i < n; i += 1) if (random.next() < p) k += 1;
    return k;
  }
  const mean = n * p;
  if (mean < 30) return Math.min(n, poisson(random, mean));
  return Math.min(n, Math.max(0, Math.round(mean + Math.sqrt(mean * (1 - p)) * random.normal())));
}

/** Splits n draws over categories of the given shares (summing to at most 1; the rest is the last category). */
export function multinomial(random: Random, n: number, shares: readonly number[]): number[] {
  const counts: number[] = [];
  let left = n;
  let mass = 1;
  for (const share of shares) {
    const k = mass <= 0 ? 0 : binomial(random, left, Math.min(1, share / mass));
    counts.push(k);
    left -= k;
    mass -= share;
  }
  counts.push(left);
  return counts;
}
