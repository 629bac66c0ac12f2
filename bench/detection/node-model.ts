/**
 * One simulated node as Prometheus sees it through the gateway: the node records batches, pushes every
 * `pushIntervalSeconds` at a phase of its own, the gateway keeps the last push of its group (and stamps
 * `push_time_seconds`), and Prometheus scrapes the gateway every `scrapeIntervalSeconds`. The series are the
 * catalog's (src/metrics/catalog.ts) that the shipped rules read, with the catalog's buckets and labels.
 *
 * Faults change what the node records (a straggler's time costs r times longer and its batches r times rarer,
 * as `simulate --slow` does; a hang freezes every batch-driven series while pushes go on), or whether it
 * pushes (a dead node stops; a clean shutdown pushes `stopping` once, then stops). Ordinary noise is on every
 * node: a per-node speed spread, per-interval jitter, rare hiccups, lost pushes and short network blips.
 */
import { OPTION_BY_KEY } from '../../src/config/options.js';
import { NODE_STATES, type MetricSpec, type NodeRole } from '../../src/metrics/catalog.js';
import { STOPPING_STATE } from '../../src/monitoring/view-contract.js';
import { binomial, multinomial, normalCdf, poisson, type Random } from './random.js';
import type { FaultKind } from './shipped-rules.js';

/** A fault of one node; `shutdown` is the clean stop that must not read as a dead node. */
export type NodeFault =
  | { readonly kind: 'straggler'; readonly startSeconds: number; readonly endSeconds: number; readonly factor: number }
  | { readonly kind: 'hang' | 'dead' | 'shutdown'; readonly startSeconds: number }
  | { readonly kind: 'nan'; readonly startSeconds: number; readonly metric: string; readonly feature: string; readonly count: number; readonly pushes: number };

export type InjectedKind = FaultKind | 'shutdown';

export interface SimNode {
  readonly role: NodeRole;
  readonly instance: string;
  readonly fault?: NodeFault;
}

/** What all nodes of one simulated job share. */
export interface JobModel {
  readonly job: string;
  readonly pushIntervalSeconds: number;
  readonly scrapeIntervalSeconds: number;
  readonly durationSeconds: number;
  /** Seconds per batch of a healthy node. */
  readonly stepSeconds: number;
  /** Median latency of each time-cost histogram, seconds. */
  readonly medianSeconds: Readonly<Record<string, number>>;
  /** The catalog metrics to generate (those the rules read), and of a histogram only the series they read. */
  readonly metrics: readonly MetricSpec[];
  readonly series: ReadonlySet<string>;
  readonly gatewaySeries: readonly string[];
  /** Label values of per-feature families. */
  readonly features: readonly string[];
}

export type Labels = Readonly<Record<string, string>>;

/** One series over the scrapes: `undefined` where it did not exist yet. */
export interface ScrapedSeries {
  readonly name: string;
  readonly labels: Labels;
  readonly values: ReadonlyArray<number | undefined>;
}

/** Ordinary noise (every node, every scenario). */
export const NOISE = {
  /** Spread of healthy nodes' speed: log-normal sigma. */
  nodeSpeedSigma: 0.05,
  /** Per push interval: log-normal sigma of the latency level. */
  intervalSigma: 0.05,
  /**
   * Per push interval: chance of a hiccup (GC pause, page cache flush, a noisy neighbour's burst): for 1 s up
   * to the whole interval, latencies x3 and half the batches.
   */
  hiccupChance: 0.003,
  /** Per push: chance the push is lost (timeout), and of a 2-4 push network blip starting. */
  lostPushChance: 0.001,
  blipChance: 0.0005,
} as const;

/**
 * Failed attempts a lost (timed-out) push counts: the pusher retries within the interval (src/push/pusher.ts),
 * each attempt waiting out the push timeout, so at the defaults (5 s timeout, 2 retries) a 10 s interval holds two.
 */
export function attemptsPerLostPush(pushIntervalSeconds: number): number {
  const timeout = OPTION_BY_KEY.get('push_timeout_seconds')?.default as number;
  const retries = OPTION_BY_KEY.get('push_retries')?.default as number;
  return Math.max(1, Math.min(1 + retries, Math.ceil(pushIntervalSeconds / timeout)));
}

/** Log-normal sigma and 1 % tail of 10x of one batch's latency, as src/simulate/workload.ts draws them. */
const LATENCY_SIGMA = 0.5;
const TAIL_SHARE = 0.01;
const TAIL_FACTOR = 10;

/** Shares of a log-normal latency of this median below each bound, bucket by bucket (the rest is +Inf). */
function bucketShares(bounds: readonly number[], median: number): number[] {
  let below = 0;
  return bounds.map((bound) => {
    const cdf = normalCdf((Math.log(bound) - Math.log(median)) / LATENCY_SIGMA);
    const share = cdf - below;
    below = cdf;
    return share;
  });
}

/** Sum of k log-normal latencies of this median: mean and spread of the sum (central limit). */
function latencySum(random: Random, k: number, median: number): number {
  if (k === 0) return 0;
  const mean = median * Math.exp((LATENCY_SIGMA * LATENCY_SIGMA) / 2);
  const sd = mean * Math.sqrt(Math.exp(LATENCY_SIGMA * LATENCY_SIGMA) - 1);
  return Math.max(0, k * mean + Math.sqrt(k) * sd * random.normal());
}

/** A time-cost histogram: observed once per batch (or per step of one), so it stops when training stops. */
export function isTimeCost(spec: MetricSpec): boolean {
  return spec.type === 'histogram' && spec.unit === 'seconds' && spec.group === 'efficiency';
}

/** The library's progress age gauge: seconds since the push that first saw progress (src/metrics/progress.ts on the hang branch). */
export function isProgressAge(spec: MetricSpec): boolean {
  return spec.type === 'gauge' && spec.group === 'health' && /progress/.test(spec.name);
}

/** A progress counter (steps or batches done): counts up once per batch, stops when training stops. */
export function isProgressCounter(spec: MetricSpec): boolean {
  return spec.type === 'counter' && spec.group !== 'pusher' && /step|batch/.test(spec.name);
}

interface SeriesSlot {
  readonly name: string;
  readonly labels: Labels;
}

/** The node's series, in a fixed order (each snapshot is one number per slot). */
function seriesSlots(job: JobModel, node: SimNode): SeriesSlot[] {
  const base: Labels = { job: job.job, role: node.role, instance: node.instance };
  const slots: SeriesSlot[] = job.gatewaySeries.map((name) => ({ name, labels: base }));
  for (const spec of job.metrics.filter((metric) => metric.roles.includes(node.role))) {
    if (spec.type === 'histogram') {
      if (job.series.has(`${spec.name}_bucket`)) {
        for (const le of [...(spec.buckets ?? []).map(String), '+Inf']) slots.push({ name: `${spec.name}_bucket`, labels: { ...base, le } });
      }
      for (const suffix of ['_count', '_sum']) if (job.series.has(spec.name + suffix)) slots.push({ name: spec.name + suffix, labels: base });
    } else if (spec.labels.length === 0) {
      slots.push({ name: spec.name, labels: base });
    } else {
      const label = spec.labels[0] ?? '';
      const values = label === 'feature' ? job.features : label === 'state' ? NODE_STATES : label === 'reason' ? ['timeout'] : ['value'];
      for (const value of values) slots.push({ name: spec.name, labels: { ...base, [label]: value } });
    }
  }
  return slots;
}

/** The node's recorded values between pushes. */
class NodeRecorder {
  readonly values: Float64Array;
  private readonly index = new Map<string, number>();

  constructor(readonly slots: readonly SeriesSlot[]) {
    this.values = new Float64Array(slots.length);
    slots.forEach((slot, i) => this.index.set(slotKey(slot.name, slot.labels), i));
  }

  slot(name: string, labels: Labels): number | undefined {
    return this.index.get(slotKey(name, labels));
  }

  add(name: string, labels: Labels, amount: number): void {
    const i = this.slot(name, labels);
    if (i !== undefined) this.values[i] = (this.values[i] ?? 0) + amount;
  }

  set(name: string, labels: Labels, value: number): void {
    const i = this.slot(name, labels);
    if (i !== undefined) this.values[i] = value;
  }
}

function slotKey(name: string, labels: Labels): string {
  return `${name}${JSON.stringify(labels)}`;
}

/** Speed of the node's training in [from, to): latency factor (1 = healthy) and whether it runs at all. */
function segments(fault: NodeFault | undefined, from: number, to: number): Array<{ seconds: number; slow: number; running: boolean }> {
  if (fault === undefined || fault.kind === 'nan' || fault.kind === 'dead' || fault.kind === 'shutdown') return [{ seconds: to - from, slow: 1, running: true }];
  const end = fault.kind === 'straggler' ? fault.endSeconds : Infinity;
  const cuts = [from, ...[fault.startSeconds, end].filter((t) => t > from && t < to), to];
  const out = [];
  for (let i = 0; i + 1 < cuts.length; i += 1) {
    const a = cuts[i] ?? from;
    const b = cuts[i + 1] ?? to;
    const inFault = a >= fault.startSeconds && a < end;
    out.push({ seconds: b - a, slow: inFault && fault.kind === 'straggler' ? fault.factor : 1, running: !(inFault && fault.kind === 'hang') });
  }
  return out;
}

/** Every scraped series of one node over the job's duration. */
export function simulateNode(job: JobModel, node: SimNode, random: Random): ScrapedSeries[] {
  const slots = seriesSlots(job, node);
  const recorder = new NodeRecorder(slots);
  const base: Labels = { job: job.job, role: node.role, instance: node.instance };
  const timeCosts = job.metrics.filter((spec) => isTimeCost(spec) && spec.roles.includes(node.role));
  const progress = job.metrics.filter((spec) => isProgressCounter(spec) && spec.roles.includes(node.role) && spec.labels.length === 0);
  const progressAge = job.metrics.filter((spec) => isProgressAge(spec) && spec.roles.includes(node.role));
  const speed = Math.exp(NOISE.nodeSpeedSigma * random.normal());
  const fault = node.fault;
  const stopAt = fault?.kind === 'dead' || fault?.kind === 'shutdown' ? fault.startSeconds : Infinity;
  const incarnation = random.int(1, 2 ** 31);
  const P = job.pushIntervalSeconds;

  const setState = (state: string): void => {
    for (const candidate of NODE_STATES) recorder.set('persia_node_state', { ...base, state: candidate }, candidate === state ? 1 : 0);
  };
  setState('running');
  recorder.set('persia_node_incarnation', base, incarnation);
  // Every node of a scenario started its metrics as the job began (second 0): the NaN burst's baseline counts from there.
  recorder.set('persia_node_start_time_seconds', base, 0);
  recorder.set('persia_node_push_interval_seconds', base, P);
  recorder.set('persia_node_duplicate_identity', base, 0);

  let progressTotal = 0;
  /** n batches' observations of one time cost: log-normal around the median, 1 % of them 10x. */
  const observe = (spec: MetricSpec, n: number, median: number): void => {
    const bounds = spec.buckets ?? [];
    const tail = binomial(random, n, TAIL_SHARE);
    const bulkCounts = multinomial(random, n - tail, bucketShares(bounds, median));
    const tailCounts = multinomial(random, tail, bucketShares(bounds, median * TAIL_FACTOR));
    let cumulative = 0;
    bounds.forEach((bound, i) => {
      cumulative += (bulkCounts[i] ?? 0) + (tailCounts[i] ?? 0);
      recorder.add(`${spec.name}_bucket`, { ...base, le: String(bound) }, cumulative);
    });
    recorder.add(`${spec.name}_bucket`, { ...base, le: '+Inf' }, n);
    recorder.add(`${spec.name}_count`, base, n);
    recorder.add(`${spec.name}_sum`, base, latencySum(random, n - tail, median) + latencySum(random, tail, median * TAIL_FACTOR));
  };
  const record = (from: number, to: number): void => {
    const hiccupSeconds = random.chance(NOISE.hiccupChance) ? random.uniform(1, to - from) : 0;
    const pace = speed * Math.exp(NOISE.intervalSigma * random.normal());
    for (const segment of segments(fault, from, to)) {
      if (!segment.running || segment.seconds <= 0) continue;
      const hiccup = Math.min(segment.seconds, hiccupSeconds);
      for (const [seconds, slower] of [
        [segment.seconds - hiccup, 1],
        [hiccup, 3],
      ] as const) {
        if (seconds <= 0) continue;
        // Every batch observes each time cost once and advances the step counter: one count for all of them.
        const n = poisson(random, (seconds / (job.stepSeconds * pace * segment.slow)) * (slower > 1 ? 0.5 : 1));
        progressTotal += n;
        for (const spec of progress) recorder.add(spec.name, base, n);
        for (const spec of timeCosts) observe(spec, n, (job.medianSeconds[spec.name] ?? 0.005) * pace * segment.slow * slower);
      }
    }
    // Healthy readings of the accuracy gauges the rules read: far from their alert thresholds.
    recorder.set('index_miss_ratio', base, 0.02 + 0.01 * random.next());
    recorder.set('staleness', base, random.int(0, 3));
    if (fault?.kind === 'nan' && to > fault.startSeconds && from < fault.startSeconds + fault.pushes * P) {
      recorder.add(fault.metric, { ...base, feature: fault.feature }, Math.ceil(fault.count / fault.pushes));
    }
  };

  // Sampled before every push attempt, as the library does: 0 until the first progress.
  let seenTotal = 0;
  let lastProgressAt: number | undefined;
  const sampleProgress = (at: number): void => {
    if (progressTotal !== seenTotal) {
      seenTotal = progressTotal;
      lastProgressAt = at;
    }
    for (const spec of progressAge) recorder.set(spec.name, base, lastProgressAt === undefined ? 0 : Math.round((at - lastProgressAt) * 1000) / 1000);
  };

  // Gateway copies: the push time and the values of each successful push.
  const pushTimes: number[] = [];
  const snapshots: Float64Array[] = [];
  const deliver = (at: number): void => {
    recorder.set('push_time_seconds', base, Math.round(at * 1000) / 1000);
    pushTimes.push(at);
    snapshots.push(Float64Array.from(recorder.values));
  };
  let blipLeft = 0;
  let previous = 0;
  for (let t = random.uniform(0, P); t <= job.durationSeconds; t += P) {
    if (t >= stopAt) {
      record(previous, stopAt);
      // A clean shutdown's last push says `stopping` (the library's shutdown()); a killed node says nothing.
      if (fault?.kind === 'shutdown') {
        setState(STOPPING_STATE);
        sampleProgress(stopAt);
        deliver(stopAt + random.uniform(0.005, 0.3));
      }
      break;
    }
    record(previous, t);
    previous = t;
    sampleProgress(t);
    if (blipLeft === 0 && random.chance(NOISE.blipChance)) blipLeft = random.int(2, 4);
    const lost = blipLeft > 0 || random.chance(NOISE.lostPushChance);
    if (blipLeft > 0) blipLeft -= 1;
    if (lost) {
      // Counted by the node (every failed attempt), delivered with its next successful push.
      recorder.add('persia_metrics_push_failures_total', { ...base, reason: 'timeout' }, attemptsPerLostPush(P));
      continue;
    }
    deliver(t + random.uniform(0.005, 0.3));
  }

  const scrapes = Math.floor(job.durationSeconds / job.scrapeIntervalSeconds) + 1;
  const columns: Array<Float64Array | undefined> = [];
  let last = -1;
  for (let j = 0; j < scrapes; j += 1) {
    const at = j * job.scrapeIntervalSeconds;
    while (last + 1 < pushTimes.length && (pushTimes[last + 1] ?? Infinity) <= at) last += 1;
    columns.push(last < 0 ? undefined : snapshots[last]);
  }
  return slots.map((slot, i) => ({ name: slot.name, labels: slot.labels, values: columns.map((column) => column?.[i]) }));
}
