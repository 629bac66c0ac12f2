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
import type { MetricSpec, NodeRole } from '../../src/metrics/catalog.js';
import { STOPPING_STATE } from '../../src/monitoring/view-contract.js';
import { normalCdf, type Random } from './random.js';
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
  /** Per push interval: chance of a hiccup (GC pause, page cache flush): latencies x3, half the batches. */
  hiccupChance: 0.003,
  /** Per push: chance the push is lost (timeout), and of a 2-4 push network blip starting. */
  lostPushChance: 0.002,
  blipChance: 0.0005,
} as const;

/** Log-normal sigma and 1 % tail of 10x of one batch's latency, as src/simulate/workload.ts draws them. */
const LATENCY_SIGMA = 0.5;
const TAIL_SHARE = 0.01;
const TAIL_FACTOR = 10;
const NODE_STATES = ['init', 'running', 'error', STOPPING_STATE] as const;

function latencyCdf(seconds: number, median: number): number {
  const z = (Math.log(seconds) - Math.log(median)) / LATENCY_SIGMA;
  return (1 - TAIL_SHARE) * normalCdf(z) + TAIL_SHARE * normalCdf(z - Math.log(TAIL_FACTOR) / LATENCY_SIGMA);
}

/** Mean of that latency distribution. */
function latencyMean(median: number): number {
  return median * Math.exp((LATENCY_SIGMA * LATENCY_SIGMA) / 2) * (1 - TAIL_SHARE + TAIL_SHARE * TAIL_FACTOR);
}

function noisyCount(expected: number, random: Random): number {
  return Math.max(0, Math.round(expected + Math.sqrt(expected) * random.normal()));
}

/** A time-cost histogram: observed once per batch (or per step of one), so it stops when training stops. */
export function isTimeCost(spec: MetricSpec): boolean {
  return spec.type === 'histogram' && spec.unit === 'seconds' && spec.group === 'efficiency';
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
  recorder.set('persia_node_push_interval_seconds', base, P);
  recorder.set('persia_node_duplicate_identity', base, 0);

  const record = (from: number, to: number): void => {
    const hiccup = random.chance(NOISE.hiccupChance);
    const level = speed * Math.exp(NOISE.intervalSigma * random.normal()) * (hiccup ? 3 : 1);
    for (const segment of segments(fault, from, to)) {
      if (!segment.running || segment.seconds <= 0) continue;
      const batches = (segment.seconds / (job.stepSeconds * level * segment.slow)) * (hiccup ? 0.5 : 1);
      const done = noisyCount(batches, random);
      for (const spec of progress) recorder.add(spec.name, base, done);
      for (const spec of timeCosts) {
        const median = (job.medianSeconds[spec.name] ?? 0.005) * level * segment.slow;
        const n = noisyCount(batches, random);
        let below = 0;
        let cumulative = 0;
        for (const bound of spec.buckets ?? []) {
          const share = latencyCdf(bound, median) - below;
          below += share;
          cumulative += noisyCount(n * share, random);
          recorder.add(`${spec.name}_bucket`, { ...base, le: String(bound) }, cumulative);
        }
        const total = cumulative + noisyCount(n * (1 - below), random);
        recorder.add(`${spec.name}_bucket`, { ...base, le: '+Inf' }, total);
        recorder.add(`${spec.name}_count`, base, total);
        recorder.add(`${spec.name}_sum`, base, total * latencyMean(median));
      }
    }
    // Healthy readings of the accuracy gauges the rules read: far from their alert thresholds.
    recorder.set('index_miss_ratio', base, 0.02 + 0.01 * random.next());
    recorder.set('staleness', base, random.int(0, 3));
    if (fault?.kind === 'nan' && to > fault.startSeconds && from < fault.startSeconds + fault.pushes * P) {
      recorder.add(fault.metric, { ...base, feature: fault.feature }, Math.ceil(fault.count / fault.pushes));
    }
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
        deliver(stopAt + random.uniform(0.005, 0.3));
      }
      break;
    }
    record(previous, t);
    previous = t;
    if (blipLeft === 0 && random.chance(NOISE.blipChance)) blipLeft = random.int(2, 4);
    const lost = blipLeft > 0 || random.chance(NOISE.lostPushChance);
    if (blipLeft > 0) blipLeft -= 1;
    if (lost) {
      // Counted by the node, delivered with its next successful push.
      recorder.add('persia_metrics_push_failures_total', { ...base, reason: 'timeout' }, 1);
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
