/**
 * Whether a job's gateway runs with the Pushgateway's own consistency check, decided from the job's size and
 * the check's measured cost (bench/capacity.ts `--check-cost`, data/capacity-figures.json `checkCost`).
 *
 * With the check on, a push whose family clashes with another group's type is refused (400) and costs that
 * family only (src/push/refused-families.ts); with it off the gateway stores it and its whole /metrics fails
 * (src/gateway/scrape-health.ts), until `repair` deletes the group. The check gathers every series stored on
 * the gateway at every push, so its cost per push grows with the whole job, and its CPU with the job squared.
 */
import { capacityFigures, HEADROOM, suggestGatewayShards, type CapacityFigures, type CapacityRun, type JobSize } from './capacity.js';

/** The check-cost runs and the figure derived from them. */
export interface CheckCost {
  /** ISO time of the runs. */
  readonly measuredAt: string;
  /** 1-minute load average before the runs and the highest seen between them. */
  readonly loadAverage: { readonly before: number; readonly max: number };
  /** Check on and off at each size, on one gateway each, in pairs (on first). */
  readonly runs: readonly CapacityRun[];
  /** Gateway CPU seconds the check adds to one push, per series stored on the gateway. */
  readonly checkSecondsPerStoredSeries: number;
}

function stored(row: CapacityRun): number {
  return row.nodes * row.seriesPerNode;
}

/** Every push of the window completed (a saturated gateway's CPU is capped, and would understate the cost). */
function allPushesDone(row: CapacityRun): boolean {
  return row.pushesDue > 0 && row.pushesOk >= row.pushesDue;
}

/**
 * The check's CPU per push per stored series from on/off pairs of one size: (cores on − cores off) summed
 * over the pairs whose check-on run kept up, ÷ (pushes per second × series stored) summed over the same.
 */
export function deriveCheckCost(runs: readonly CapacityRun[], loadAverage: CheckCost['loadAverage']): CheckCost {
  let extraCores = 0;
  let work = 0;
  for (const on of runs.filter((row) => !row.checkOff && allPushesDone(row))) {
    const off = runs.find((row) => row.checkOff && row.nodes === on.nodes && row.seriesPerNode === on.seriesPerNode);
    if (off === undefined) continue;
    extraCores += Math.max(0, on.gatewayCpuCores - off.gatewayCpuCores);
    work += (on.pushesOk / on.windowSeconds) * stored(on);
  }
  const measuredAt = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  return { measuredAt, loadAverage, runs, checkSecondsPerStoredSeries: work > 0 ? extraCores / work : Number.NaN };
}

/**
 * The most gateway CPU the check may add, headroom included: a quarter of the core one gateway is given
 * (MAX_CORES_PER_GATEWAY). Past it the check is the gateway's main work, and it grows with the job squared.
 */
export const CHECK_MAX_CORES = 0.25;
/** The most time the check may add to one push: well under any push interval and the push timeout. */
export const CHECK_MAX_PUSH_SECONDS = 0.05;

/** The gateway flag that turns the check off: what every deployment ran with before this decision. */
export const CHECK_OFF_FLAG = '--push.disable-consistency-check';

export interface CheckAdvice {
  /** Run the gateway with its consistency check on. */
  readonly on: boolean;
  /** Time the check adds to one push (CPU seconds, on an idle core). */
  readonly pushSeconds: number;
  /** Gateway cores the check adds, headroom included. */
  readonly cores: number;
  /** Why, in a few words. */
  readonly reason: string;
}

/**
 * The check for a job on one gateway: on while the time it adds to a push stays under CHECK_MAX_PUSH_SECONDS
 * and its CPU (pushes per second × series stored × the measured cost, × HEADROOM) under CHECK_MAX_CORES.
 * A job that needs more than one gateway is past that range by far. Without measured figures: off.
 */
export function consistencyCheckAdvice(job: JobSize, figures: CapacityFigures = capacityFigures()): CheckAdvice {
  const perSeries = figures.checkCost?.checkSecondsPerStoredSeries;
  if (perSeries === undefined || !Number.isFinite(perSeries)) return { on: false, pushSeconds: Number.NaN, cores: Number.NaN, reason: 'its cost was not measured' };
  const { shards, totalSeries } = suggestGatewayShards(job, figures);
  const pushSeconds = totalSeries * perSeries;
  const cores = (job.nodes / job.intervalSeconds) * pushSeconds * HEADROOM;
  const tooSlow = pushSeconds > CHECK_MAX_PUSH_SECONDS;
  const tooCostly = cores > CHECK_MAX_CORES;
  const on = shards === 1 && !tooSlow && !tooCostly;
  const reason = on
    ? `it adds ${milliseconds(pushSeconds)} to a push and ${cores.toFixed(2)} gateway cores`
    : shards > 1
      ? 'the job needs more than one gateway'
      : tooCostly
        ? `it would add ${cores.toFixed(2)} gateway cores, more than ${CHECK_MAX_CORES}`
        : `it would add ${milliseconds(pushSeconds)} to every push, more than ${milliseconds(CHECK_MAX_PUSH_SECONDS)}`;
  return { on, pushSeconds, cores, reason };
}

function milliseconds(seconds: number): string {
  return `${Number((seconds * 1000).toPrecision(2))} ms`;
}

/** The gateway's flags for the advice: none with the check on, CHECK_OFF_FLAG without (for the deploy serializers). */
export function consistencyCheckFlags(advice: Pick<CheckAdvice, 'on'>): string[] {
  return advice.on ? [] : [CHECK_OFF_FLAG];
}
