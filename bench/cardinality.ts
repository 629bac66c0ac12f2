/**
 * Issue 19 part 5: one family labelled {user, feature} receives `values` distinct user ids (one inc each,
 * three features in turn), in each library in turn, in this process:
 * - ours with the default guard (2,000 series per family, then `user="__overflow__"` with the feature kept);
 * - prom-client 15, which has no limit (one child per label set);
 * - OpenTelemetry JS 2.12, which folds every attribute set past 2,000 into one `otel.metric.overflow` point.
 * Per library: heap retained by the family after a forced GC (heap + external, as memory.ts), series kept,
 * the text one exposition writes (what a push or scrape carries), CPU ns per new label set recorded (building
 * the label string included, the same for all three), and whether the total and the per-feature totals are
 * still exact. Then the guard's cost on recording: counter.inc() through a non-inlined call site on a series
 * of a family under its limit and on the overflow series of the exploded family (the same code: the guard
 * runs in labels(), never in inc/set/observe).
 */
import client from 'prom-client';
import { MetricsRegistry } from '../src/metrics/registry.js';
import { forceGc } from './gc.js';
import { calledLoop, nsPerOp } from './hot-path.js';
import { otelMeter } from './opentelemetry.js';

export interface CardinalityRow {
  readonly library: string;
  readonly values: number;
  readonly seriesKept: number;
  readonly retainedMiB: number;
  readonly bytesPerValue: number;
  readonly expositionKB: number;
  readonly nsPerNewValue: number;
  readonly totalExact: boolean;
  readonly perFeatureExact: boolean;
}

export interface CardinalityResult {
  readonly rows: CardinalityRow[];
  /** ns per counter.inc() on a series of a family under its limit, and on a family's overflow series. */
  readonly incUnderLimitNs: number;
  readonly incOverflowNs: number;
}

const FEATURES = ['ads', 'search', 'feed'] as const;

/** CPU nanoseconds since `started` (CPU, not wall: see nsPerOp in hot-path.ts). */
function cpuNs(started: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(started);
  return (used.user + used.system) * 1000;
}

function used(): number {
  forceGc();
  forceGc();
  const memory = process.memoryUsage();
  return memory.heapUsed + memory.external;
}

/** Sums of a counter's text exposition: the whole family and per feature label. */
function sums(text: string, name: string): { total: number; perFeature: Map<string, number> } {
  let total = 0;
  const perFeature = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    total += value;
    const feature = /feature="([^"]*)"/.exec(line)?.[1];
    if (feature !== undefined) perFeature.set(feature, (perFeature.get(feature) ?? 0) + value);
  }
  return { total, perFeature };
}

function row(library: string, values: number, retained: number, series: number, text: string, name: string, elapsedNs: number): CardinalityRow {
  const { total, perFeature } = sums(text, name);
  const expected = (feature: number): number => Math.floor(values / 3) + (feature < values % 3 ? 1 : 0);
  return {
    library,
    values,
    seriesKept: series,
    retainedMiB: retained / 2 ** 20,
    bytesPerValue: retained / values,
    expositionKB: Buffer.byteLength(text) / 1000,
    nsPerNewValue: elapsedNs / values,
    totalExact: total === values,
    perFeatureExact: FEATURES.every((feature, index) => perFeature.get(feature) === expected(index)),
  };
}

function ours(values: number): CardinalityRow {
  const base = used();
  const registry = new MetricsRegistry([{ name: 'requests_total', type: 'counter', help: 'r', unit: '1', group: 'accuracy', roles: ['trainer'], labels: ['user', 'feature'] }], {
    maxSeriesPerFamily: 2_000,
  });
  const family = registry.counter('requests_total');
  const started = process.cpuUsage();
  for (let user = 0; user < values; user += 1) family.labels(`user_${user}`, FEATURES[user % 3]!).inc();
  const elapsed = cpuNs(started);
  const retained = used() - base;
  return row('persia-metrics (guard: 2,000)', values, retained, family.seriesCount, registry.metrics(), 'requests_total', elapsed);
}

async function promClient(values: number): Promise<CardinalityRow> {
  const base = used();
  const registry = new client.Registry();
  const counter = new client.Counter({ name: 'requests_total', help: 'r', labelNames: ['user', 'feature'], registers: [registry] });
  const started = process.cpuUsage();
  for (let user = 0; user < values; user += 1) counter.labels(`user_${user}`, FEATURES[user % 3]!).inc();
  const elapsed = cpuNs(started);
  const retained = used() - base;
  const text = await registry.metrics();
  const series = (await counter.get()).values.length;
  return row('prom-client (no limit)', values, retained, series, text, 'requests_total', elapsed);
}

async function openTelemetry(values: number): Promise<CardinalityRow> {
  const base = used();
  const otel = otelMeter();
  const counter = otel.meter.createCounter('requests', { description: 'r' });
  const started = process.cpuUsage();
  for (let user = 0; user < values; user += 1) counter.add(1, { user: `user_${user}`, feature: FEATURES[user % 3]! });
  const elapsed = cpuNs(started);
  const retained = used() - base;
  const text = await otel.expose();
  const series = text.split('\n').filter((line) => line.startsWith('requests_total{')).length;
  return row('OpenTelemetry JS (folds past 2,000)', values, retained, series, text, 'requests_total', elapsed);
}

/** counter.inc() on a series under the limit vs on the overflow series: the guard is not on this path. */
function incCost(quick: boolean): { incUnderLimitNs: number; incOverflowNs: number } {
  const registry = new MetricsRegistry([{ name: 'c_total', type: 'counter', help: 'c', unit: '1', group: 'accuracy', roles: ['trainer'], labels: ['user'] }], {
    maxSeriesPerFamily: 100,
  });
  const family = registry.counter('c_total');
  const under = family.labels('user_0');
  for (let user = 1; user < 1_000; user += 1) family.labels(`user_${user}`);
  const overflow = family.labels('user_past_the_limit');
  const iterations = quick ? 500_000 : 5_000_000;
  const rounds = quick ? 5 : 9;
  return {
    incUnderLimitNs: nsPerOp(
      calledLoop(() => under.inc()),
      iterations,
      rounds,
    ),
    incOverflowNs: nsPerOp(
      calledLoop(() => overflow.inc()),
      iterations,
      rounds,
    ),
  };
}

export async function runCardinality(values: number, quick: boolean): Promise<CardinalityResult> {
  // One library at a time, each dropped before the next; prom-client's million children last, so no other
  // library's baseline is taken while they are still being collected.
  const inc = incCost(quick);
  const rows = [ours(values), await openTelemetry(values), await promClient(values)];
  return { rows: [rows[0]!, rows[2]!, rows[1]!], ...inc };
}
