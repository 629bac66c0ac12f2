/**
 * Goal 1: recording cost, ours vs prom-client 15 in the same process, measured two ways:
 * - `called`: every operation is a call V8 cannot inline (one shared harness calls many different
 *   closures, so its call site is megamorphic). This is the cost of a recording call that sits among other
 *   work, and it keeps allocations the instrument makes (prom-client allocates per call) from being optimised
 *   away; it is the headline figure.
 * - `inlined`: each case is its own tight loop, which V8 inlines and may partly hoist: the floor of both.
 * prom-client's labelled cases use a kept child (`counter.labels('user_id')`), its fastest form;
 * OpenTelemetry's pass one kept attributes object (it has no bound series; see opentelemetry.ts).
 */
import client from 'prom-client';
import { TIME_COST_BUCKETS } from '../src/metrics/catalog.js';
import { MetricsRegistry } from '../src/metrics/registry.js';
import { forceGc } from './gc.js';
import { FEATURE, otelInstruments, otelMeter } from './opentelemetry.js';
import { median } from './timing.js';

export interface HotPathRow {
  readonly operation: string;
  /** ns per call through a non-inlined call site (headline). */
  readonly oursNs: number;
  readonly promClientNs: number;
  readonly otelNs: number;
  /** prom-client / ours: how many times faster we are. */
  readonly speedup: number;
  /** OpenTelemetry / ours. */
  readonly otelSpeedup: number;
  /** ns per operation in a tight, inlined loop. */
  readonly oursInlinedNs: number;
  readonly promClientInlinedNs: number;
  readonly otelInlinedNs: number;
  readonly inlinedSpeedup: number;
  readonly otelInlinedSpeedup: number;
}

type Loop = (iterations: number) => void;
type Op = (i: number) => void;

/** Shared by every case on purpose: its `op(i)` call site sees many closures and stays a real call. */
export function calledLoop(op: Op): Loop {
  return (n) => {
    for (let i = 0; i < n; i += 1) op(i);
  };
}

/** Feed the shared call site several shapes of closure first, so the first case measured is not inlined. */
function makeCallSiteMegamorphic(): void {
  const sink = { value: 0 };
  const ops: Op[] = [
    (i) => {
      sink.value += i;
    },
    (i) => {
      sink.value -= i;
    },
    (i) => {
      sink.value = i;
    },
    (i) => {
      sink.value ^= i;
    },
    (i) => {
      sink.value *= i;
    },
  ];
  for (const op of ops) calledLoop(op)(100_000);
}

export function nsPerOp(loop: Loop, iterations: number, rounds: number): number {
  // Each case starts on a collected heap: the garbage of the case before (prom-client and OpenTelemetry
  // allocate per call) is not collected inside this one's timing.
  forceGc();
  loop(Math.min(iterations, 200_000)); // warm up: let the JIT optimise the loop first
  // The process's CPU time, not wall time: on a machine shared with other work (the project's 2 cores run
  // several jobs at once) wall time counts the time the loop waited for a core, which read 40 ns for a 4 ns
  // counter.inc() under a load average of 20. CPU time counts the loop and the GC threads' work on its garbage.
  const samples: number[] = [];
  for (let round = 0; round < rounds; round += 1) {
    const started = process.cpuUsage();
    loop(iterations);
    const used = process.cpuUsage(started);
    samples.push(((used.user + used.system) * 1000) / iterations);
  }
  return median(samples);
}

export function runHotPath(quick: boolean): HotPathRow[] {
  const iterations = quick ? 500_000 : 5_000_000;
  const rounds = quick ? 5 : 9;
  const base = { unit: '1', group: 'accuracy', roles: ['trainer'] } as const;
  const ours = new MetricsRegistry([
    { ...base, name: 'c', type: 'counter', help: 'c', labels: [] },
    { ...base, name: 'cf', type: 'counter', help: 'c', labels: ['feature'] },
    { ...base, name: 'g', type: 'gauge', help: 'g', labels: [] },
    { ...base, name: 'gf', type: 'gauge', help: 'g', labels: ['feature'] },
    { ...base, name: 'h', type: 'histogram', help: 'h', labels: [], buckets: TIME_COST_BUCKETS },
    { ...base, name: 'hf', type: 'histogram', help: 'h', labels: ['feature'], buckets: TIME_COST_BUCKETS },
  ]);
  const registers = [new client.Registry()];
  const buckets = [...TIME_COST_BUCKETS];
  const pc = new client.Counter({ name: 'c', help: 'c', registers });
  const pcf = new client.Counter({ name: 'cf', help: 'c', labelNames: ['feature'], registers }).labels('user_id');
  const pg = new client.Gauge({ name: 'g', help: 'g', registers });
  const pgf = new client.Gauge({ name: 'gf', help: 'g', labelNames: ['feature'], registers }).labels('user_id');
  const ph = new client.Histogram({ name: 'h', help: 'h', buckets, registers });
  const phf = new client.Histogram({ name: 'hf', help: 'h', labelNames: ['feature'], buckets, registers }).labels('user_id');

  const { meter } = otelMeter();
  const ot = otelInstruments(meter, '', TIME_COST_BUCKETS);
  const otf = otelInstruments(meter, 'f', TIME_COST_BUCKETS);

  const oc = ours.counter('c').labels();
  const ocf = ours.counter('cf').labels('user_id');
  const og = ours.gauge('g').labels();
  const ogf = ours.gauge('gf').labels('user_id');
  const oh = ours.histogram('h').labels();
  const ohf = ours.histogram('hf').labels('user_id');

  // Observed values sweep the buckets (0 .. ~10 s), so the bucket search is not always the first slot.
  type Case = [operation: string, ours: Op, theirs: Op, otel: Op, oursLoop: Loop, theirLoop: Loop, otelLoop: Loop];
  const v = (i: number): number => (i & 1023) * 0.01;
  const cases: Case[] = [
    [
      'counter.inc()',
      () => oc.inc(),
      () => pc.inc(),
      () => ot.counter.add(1),
      (n) => {
        for (let i = 0; i < n; i += 1) oc.inc();
      },
      (n) => {
        for (let i = 0; i < n; i += 1) pc.inc();
      },
      (n) => {
        for (let i = 0; i < n; i += 1) ot.counter.add(1);
      },
    ],
    [
      'counter.inc() {feature}',
      () => ocf.inc(),
      () => pcf.inc(),
      () => otf.counter.add(1, FEATURE),
      (n) => {
        for (let i = 0; i < n; i += 1) ocf.inc();
      },
      (n) => {
        for (let i = 0; i < n; i += 1) pcf.inc();
      },
      (n) => {
        for (let i = 0; i < n; i += 1) otf.counter.add(1, FEATURE);
      },
    ],
    [
      'gauge.set(v)',
      (i) => og.set(i),
      (i) => pg.set(i),
      (i) => ot.gauge.record(i),
      (n) => {
        for (let i = 0; i < n; i += 1) og.set(i);
      },
      (n) => {
        for (let i = 0; i < n; i += 1) pg.set(i);
      },
      (n) => {
        for (let i = 0; i < n; i += 1) ot.gauge.record(i);
      },
    ],
    [
      'gauge.set(v) {feature}',
      (i) => ogf.set(i),
      (i) => pgf.set(i),
      (i) => otf.gauge.record(i, FEATURE),
      (n) => {
        for (let i = 0; i < n; i += 1) ogf.set(i);
      },
      (n) => {
        for (let i = 0; i < n; i += 1) pgf.set(i);
      },
      (n) => {
        for (let i = 0; i < n; i += 1) otf.gauge.record(i, FEATURE);
      },
    ],
    [
      'histogram.observe(v)',
      (i) => oh.observe(v(i)),
      (i) => ph.observe(v(i)),
      (i) => ot.histogram.record(v(i)),
      (n) => {
        for (let i = 0; i < n; i += 1) oh.observe((i & 1023) * 0.01);
      },
      (n) => {
        for (let i = 0; i < n; i += 1) ph.observe((i & 1023) * 0.01);
      },
      (n) => {
        for (let i = 0; i < n; i += 1) ot.histogram.record((i & 1023) * 0.01);
      },
    ],
    [
      'histogram.observe(v) {feature}',
      (i) => ohf.observe(v(i)),
      (i) => phf.observe(v(i)),
      (i) => otf.histogram.record(v(i), FEATURE),
      (n) => {
        for (let i = 0; i < n; i += 1) ohf.observe((i & 1023) * 0.01);
      },
      (n) => {
        for (let i = 0; i < n; i += 1) phf.observe((i & 1023) * 0.01);
      },
      (n) => {
        for (let i = 0; i < n; i += 1) otf.histogram.record((i & 1023) * 0.01, FEATURE);
      },
    ],
  ];
  // prom-client and OpenTelemetry are up to ~50x slower per op: fewer iterations keep them from dominating the run time.
  const theirs = Math.max(100_000, iterations / 10);
  makeCallSiteMegamorphic();
  return cases.map(([operation, oursOp, theirOp, otelOp, oursLoop, theirLoop, otelLoop]) => {
    const oursNs = nsPerOp(calledLoop(oursOp), iterations, rounds);
    const promClientNs = nsPerOp(calledLoop(theirOp), theirs, rounds);
    const otelNs = nsPerOp(calledLoop(otelOp), theirs, rounds);
    const oursInlinedNs = nsPerOp(oursLoop, iterations, rounds);
    const promClientInlinedNs = nsPerOp(theirLoop, theirs, rounds);
    const otelInlinedNs = nsPerOp(otelLoop, theirs, rounds);
    return {
      operation,
      oursNs,
      promClientNs,
      otelNs,
      speedup: promClientNs / oursNs,
      otelSpeedup: otelNs / oursNs,
      oursInlinedNs,
      promClientInlinedNs,
      otelInlinedNs,
      inlinedSpeedup: promClientInlinedNs / oursInlinedNs,
      otelInlinedSpeedup: otelInlinedNs / oursInlinedNs,
    };
  });
}
