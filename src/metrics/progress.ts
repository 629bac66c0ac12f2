/**
 * A node's progress, published with every push: persia_node_progress_age_seconds is how long ago the node
 * last made progress. A node whose training hangs while its process keeps pushing (a deadlocked collective,
 * an RPC that never answers) shows a growing age while its pushes stay fresh: the hang alert
 * (src/monitoring/fast-rules.ts), `status` and the view read it.
 *
 * Where the progress is read (StartNodeMetricsInput.progress, `persia-metrics agent --progress`):
 * - by default, the catalog's counters: the node's step counter (NodeMetrics.step()) and its time-cost
 *   counts (PROGRESS_METRICS);
 * - `'steps'`: the same, from a node that says it counts its steps (a trainer, which records no time cost);
 * - `{ family }`: the sum of that counter family's samples in the node's extra sources (a scraped trainer's
 *   step counter; a histogram's observations; src/push/progress-family.ts reads it at each push), for a
 *   node whose work another process does (the agent). A family no page carries, one of a type that does
 *   not count (a gauge), or one left out of the push for a clash, is said once (familyObserver) and the age
 *   counts from the start meanwhile;
 * - `false`: nowhere. Neither the age nor persia_node_steps_total is pushed: a node that cannot know its
 *   progress must not claim any (an agent without --progress pushed an age of 0 for ever, so a hung trainer
 *   behind it could never be called hung). Such a node is never called hung.
 *
 * Before the first progress: a node that is expected to progress (progressExpected(): it says it counts
 * steps, or it names a family) counts its age from its start, so one
 * stuck in its initialisation (NCCL init, a data loader) turns hung after the hang threshold. Any other
 * node (one that said nothing: a trainer that counts no step, a middleware or server node waiting for its
 * trainers, which may load data for minutes) publishes no age at all until its first progress:
 * its progress is unknown, not "0 s ago", and neither the rule nor `status` says anything of it.
 *
 * The age is 0 at a push that saw progress since the previous one. At a push that saw none, it is the time
 * since the last progress: exact for a step counted through step(), which stamps its time (one clock read
 * per step, nothing on histogram observe's hot path); at push resolution for the rest (a time-cost count or
 * a raw inc() of the step counter, sampled right before each push, and a family, read at each push): from
 * the push that first saw the rise, so up to one push interval low. All on the node's own clock, so it never
 * depends on the gateway's or Prometheus's.
 *
 * A pause on purpose (state `paused`, NodeMetrics.paused(): a checkpoint, an evaluation) is no hang: the age
 * goes on growing while the node is paused (PersiaNodeHung judges running nodes only), and counts from the
 * resume (back to `running`) at the earliest (StepClock.resumed()).
 */
import { closestKey } from '../config/suggest.js';
import { describeValue } from '../config/yaml-document.js';
import { ConfigError } from '../errors.js';
import { PROGRESS_AGE_METRIC, PROGRESS_METRICS, STEPS_METRIC } from './catalog.js';
import { Counter } from './counter.js';
import { METRIC_NAME } from './exposition-format.js';
import { Histogram } from './histogram.js';
import type { MetricsRegistry } from './registry.js';

/** Where a node's progress is read (see above); undefined is the catalog's counters. */
export type ProgressSource = 'steps' | { readonly family: string } | false;

/** `progress` as a caller gave it (startNodeMetrics()): undefined, 'steps', false, or `{ family }` naming a metric, with extra sources to read it from. */
export function checkProgressSource(progress: unknown, hasExtraSources: boolean): ProgressSource | undefined {
  if (progress === undefined || progress === false || progress === 'steps') return progress;
  const family: unknown = typeof progress === 'object' && progress !== null ? (progress as Record<string, unknown>)['family'] : undefined;
  if (typeof family !== 'string' || !METRIC_NAME.test(family)) {
    const expected = "{ family: 'a counter family of the extra sources, e.g. train_steps_total' }, 'steps' (the node counts its steps with step()) or false";
    throw new ConfigError({ source: 'startNodeMetrics()', path: 'progress' }, expected, describeValue(progress));
  }
  if (!hasExtraSources) throw new ConfigError({ source: 'startNodeMetrics()', path: 'progress.family' }, 'extraSources to read it from', 'none');
  return { family };
}

/** What one push's extra sources say of the progress family (src/push/progress-family.ts reads it). */
export interface FamilyReading {
  /** Its total as a counter (a histogram's or summary's observations), undefined when no page carries it as one. */
  readonly total: number | undefined;
  /** Its type when a page carries it as something that does not count (a gauge): no progress. */
  readonly otherType?: string | undefined;
  /** A histogram or summary whose _count is read as the progress. */
  readonly countOf?: string | undefined;
  /** Whether every source answered this push: only then is a family missing from the pages missing from the endpoints. */
  readonly complete?: boolean;
  /** The counters the pages carry (named when the family is not among them). */
  readonly counters?: readonly string[];
  /** Why the family, found on a page, was left out of the push (a clash, src/push/extra-sources.ts): then it is not missing. */
  readonly leftOut?: string | undefined;
}

/** What the push layer tells a family's watch at each push: a reading, or only the total (undefined: in no page). */
export type ProgressObserver = (reading: FamilyReading | number | undefined) => void;

/** How many of the pages' counters a report names. */
const COUNTERS_NAMED = 8;

/**
 * The sum of every progress counter of the registry, over the series that exist: it only grows, so any
 * change is progress. Only existing series are read: reading a family's unlabelled value would create that
 * series, and every role would then push every catalog time cost at 0 (histograms whose quantiles are NaN).
 */
function progressTotal(registry: MetricsRegistry): number {
  let total = 0;
  for (const name of PROGRESS_METRICS) {
    const family = registry.get(name);
    if (family instanceof Counter) for (const series of family.seriesValues()) total += series.value;
    else if (family instanceof Histogram) for (const series of family.seriesValues()) total += series.count;
  }
  return total;
}

/**
 * Whether a node is expected to progress from its start (its age counts from then until its first step):
 * only when it says so ('steps', a family). Not from its role: a middleware or server node records its
 * first time cost only once trainers send batches, and trainers may load data or compile for minutes, so
 * every such node of every job would be called hung at the job's start.
 */
export function progressExpected(source: ProgressSource | undefined): boolean {
  return source !== undefined && source !== false;
}

/**
 * The steps a node counts through NodeMetrics.step(): the step counter, and the time of the last one, so the
 * age counts from the step itself rather than from the push that saw it. And when the node last said it runs
 * again after another state (resumed(): back from a pause, NodeMetrics.paused()): its age counts from then at
 * the earliest, so a node is not hung for the moment between its resume and its next step.
 */
export class StepClock {
  /** Steps counted through step(): the rest of the step counter's rise (a raw inc()) is sampled at the push. */
  stamped = 0;
  lastStepMs: number | undefined;
  resumedMs: number | undefined;
  private series: { inc(amount?: number): void } | undefined;

  constructor(
    private readonly registry: MetricsRegistry,
    readonly nowMs: () => number = () => performance.now(),
  ) {}

  step(count = 1): void {
    const family = this.registry.counter(STEPS_METRIC);
    // Steps are whole: 1.5 is a mistake (a rate, a share of an epoch), dropped and counted as any value the
    // counter cannot take is (a negative, NaN or infinite count: the counter drops and counts those itself).
    if (typeof count === 'number' && Number.isFinite(count) && !Number.isInteger(count)) {
      family.rejectedSamples += 1;
      return;
    }
    this.series ??= family.labels();
    this.series.inc(count);
    // What the counter dropped (a negative, NaN or infinite count; it counts them) is no step.
    if (!(count > 0 && Number.isFinite(count))) return;
    this.stamped += count;
    this.lastStepMs = this.nowMs();
  }

  /** The node runs again (state `running` after another): the pause before it was no lack of progress. */
  resumed(): void {
    this.resumedMs = this.nowMs();
  }
}

export interface ProgressWatchOptions {
  readonly source?: ProgressSource | undefined;
  /** The node's age counts from its start until its first progress (progressExpected()); otherwise no age until then. */
  readonly fromStart?: boolean;
  /** The node's step() calls, whose times are exact, and its resumes (StepClock). */
  readonly steps?: StepClock;
  /** Told once when the progress family is missing from a push, and again after it came back and went. */
  readonly report?: (message: string) => void;
  readonly nowMs?: () => number;
}

/**
 * Publishes the registry's progress age from `source`. Returns the observer the push layer feeds with the
 * family's total at each push when the source is a family (undefined otherwise).
 */
export function installProgressWatch(registry: MetricsRegistry, options: ProgressWatchOptions = {}): ProgressObserver | undefined {
  const { source, steps, report = () => {}, nowMs = () => performance.now() } = options;
  if (source === false || registry.get(PROGRESS_AGE_METRIC) === undefined) return undefined; // no progress known, or a registry without the catalog entry
  const catalog = source === undefined || source === 'steps';
  const age = registry.gauge(PROGRESS_AGE_METRIC);
  // The sampled total seen last, without the steps step() stamped (a family's sum starts at 0 too: its first sighting above 0 is progress).
  let lastTotal = catalog ? progressTotal(registry) - (steps?.stamped ?? 0) : 0;
  let lastStamped = steps?.stamped ?? 0;
  // Undefined: no progress yet and none expected from the start, so no age is published at all.
  let lastProgressMs = options.fromStart === true ? nowMs() : undefined;
  // Progress since the previous push: the age reads 0.
  let progressed = false;
  const seen = (total: number): void => {
    if (total === lastTotal) return;
    lastTotal = total;
    lastProgressMs = nowMs();
    progressed = true;
  };
  registry.addCollector(() => {
    if (catalog) {
      const stamped = steps?.stamped ?? 0;
      if (stamped !== lastStamped) {
        lastStamped = stamped;
        lastProgressMs = Math.max(lastProgressMs ?? -Infinity, steps?.lastStepMs ?? -Infinity);
        progressed = true;
      }
      seen(progressTotal(registry) - stamped);
    }
    // A resume counts as a start: a node with an age counts it from the resume at the earliest (one without
    // any progress yet and none expected still publishes none).
    if (lastProgressMs !== undefined && steps?.resumedMs !== undefined) lastProgressMs = Math.max(lastProgressMs, steps.resumedMs);
    if (lastProgressMs !== undefined) age.set(progressed ? 0 : Math.round(nowMs() - lastProgressMs) / 1000);
    progressed = false;
  });
  if (catalog) return undefined;
  return familyObserver(source.family, seen, report);
}

/**
 * Reads a family's total at each push, and says once what is wrong with it: absent from every page once all
 * the endpoints answered (a typo: the age counts from the start, so the node turns hung rather than
 * progressing silently for ever), there under a type that does not count (a gauge), on a page but left out
 * of the push for a clash (with the clash's reason), or gone after it was there (said again after each return).
 */
function familyObserver(family: string, seen: (total: number) => void, report: (message: string) => void): ProgressObserver {
  let everSeen = false;
  let missing = false;
  const said = new Set<string>();
  const once = (key: string, message: string): void => {
    if (said.has(key)) return;
    said.add(key);
    report(message);
  };
  const fromStart = `${PROGRESS_AGE_METRIC} counts from the node's start, so the node is called hung once that passes the hang threshold`;
  return (given) => {
    const reading = typeof given === 'object' ? given : { total: given };
    if (reading.total !== undefined) {
      everSeen = true;
      missing = false;
      seen(reading.total);
    } else if (reading.leftOut !== undefined) {
      const age = everSeen ? `${PROGRESS_AGE_METRIC} counts on from its last rise, so the node is called hung once that passes the hang threshold` : fromStart;
      once('left-out', `the progress family ${family} is on a page but left out of the pushes, so it is not read as progress: ${reading.leftOut.replace(/\.$/, '')}; ${age}`);
    } else if (reading.otherType !== undefined) {
      once(
        `type:${reading.otherType}`,
        `the progress family ${family} is a ${reading.otherType} in the pages, not a counter: its value goes up and down, so it is not read as progress ` +
          `(give a counter, such as a step counter train_steps_total, or a histogram, whose observations count); ${fromStart}`,
      );
    } else if (everSeen) {
      if (missing) return;
      missing = true;
      report(
        `the progress family ${family} is in none of the pages of this push: ${PROGRESS_AGE_METRIC} counts on from its last rise ` +
          '(the node is called hung if it stays away); said again once it came back and went again',
      );
    } else if (reading.complete !== false) {
      const counters = reading.counters ?? [];
      const near = closestKey(family, counters);
      const listed = `${counters.slice(0, COUNTERS_NAMED).join(', ')}${counters.length > COUNTERS_NAMED ? ', …' : ''}`;
      const named = near !== undefined ? `did you mean ${near}?` : counters.length === 0 ? 'they carry no counter' : `misspelt? their counters: ${listed}`;
      once('absent', `the progress family ${family} is in none of the pages, although every endpoint answered (${named}); ${fromStart}`);
    }
  };
}
