/**
 * The capacity page's section on the gateway's consistency check for small jobs: the check-on / check-off runs
 * (`npm run capacity -- --check-cost`), the cost derived from them, and where `init` turns the check on
 * (src/monitoring/consistency-check.ts). Pure: a function of the figures, as the rest of the page.
 */
import type { CapacityFigures } from '../src/monitoring/capacity.js';
import { CHECK_MAX_CORES, CHECK_MAX_PUSH_SECONDS, CHECK_OFF_FLAG, consistencyCheckAdvice } from '../src/monitoring/consistency-check.js';
import { approx, loadNote, markdownTable, RUN_HEADER, runRows, thousands } from './capacity-tables.js';

const CHECK_NODES = [8, 16, 32, 64, 100, 128, 256, 512] as const;
const CHECK_SERIES = [200, 500, 2_000] as const;
const CHECK_INTERVAL_SECONDS = 10;

function decisionRows(figures: CapacityFigures): string[][] {
  return CHECK_NODES.map((nodes) => [
    thousands(nodes),
    ...CHECK_SERIES.map((seriesPerNode) => {
      const advice = consistencyCheckAdvice({ nodes, seriesPerNode, intervalSeconds: CHECK_INTERVAL_SECONDS }, figures);
      const cost = `${approx(advice.pushSeconds * 1000)} ms, ${advice.cores.toFixed(2)} cores`;
      return advice.on ? `**on** (${cost})` : Number.isFinite(advice.pushSeconds) ? `off (${cost})` : 'off';
    }),
  ]);
}

export function checkCostSection(figures: CapacityFigures): string[] {
  const cost = figures.checkCost;
  if (cost === undefined) return [];
  const perSeriesUs = cost.checkSecondsPerStoredSeries * 1e6;
  return [
    '## The consistency check for small jobs',
    '',
    'With the check on, a push whose family clashes with another group’s type (two nodes whose `define()` differ, a catalog name sent untyped) ' +
      'is refused with 400: the node holds that family back and keeps pushing the rest, so the clash costs that family only. ' +
      `With it off (\`${CHECK_OFF_FLAG}\`) the gateway stores the push and its whole \`/metrics\` answers 500, so Prometheus scrapes nothing of any job on it ` +
      'until `persia-metrics repair` deletes the group; `status`, the view’s banner and `PersiaGatewayDown` say so ([expiry](expiry.md)). ' +
      'The check gathers every series the gateway stores at each push: its time per push grows with the job, its CPU with the job squared.',
    '',
    `Check on and off at each size, one gateway each, nodes pushing every ${cost.runs[0]?.intervalSeconds ?? '?'} s, measured ${cost.measuredAt} ` +
      `(\`npm run capacity -- --check-cost\`). ${loadNote(cost.loadAverage, figures.machine.cores)}`,
    '',
    markdownTable(RUN_HEADER, runRows(cost.runs)),
    '',
    `From the pairs whose check-on run completed every push: the check costs **${approx(perSeriesUs)} µs of gateway CPU per series stored, at every push** ` +
      '(gateway cores with the check minus without, summed, ÷ pushes per second × series stored, summed). Times under load read higher than this ' +
      'CPU figure (a push waits for a core); a check-on run that completed no push had a gateway that could not keep up.',
    '',
    `\`persia-metrics init --nodes N --series-per-node M\` says to run the gateway with the check on where, on one gateway, it adds at most ` +
      `${approx(CHECK_MAX_PUSH_SECONDS * 1000)} ms to a push and at most ${CHECK_MAX_CORES} gateway cores (pushes per second × series stored × the cost above, ` +
      `× the model’s headroom), and off beyond (src/monitoring/consistency-check.ts). For nodes pushing every ${CHECK_INTERVAL_SECONDS} s ` +
      '(time the check adds to a push, gateway cores it adds):',
    '',
    markdownTable(['nodes', ...CHECK_SERIES.map((series) => `${thousands(series)} series / node`)], decisionRows(figures)),
    '',
  ];
}
