/**
 * docs/capacity.md as a pure function of the measured figures (data/capacity-figures.json): every number
 * on the page comes from them or from the sizing model over them, so the page cannot drift from the model
 * `persia-metrics init --nodes` uses (test/unit/capacity-page.test.ts renders it and compares byte for byte).
 */
import {
  DEFAULT_SCRAPE_INTERVAL_SECONDS,
  HEADROOM,
  MAX_CORES_PER_GATEWAY,
  SCRAPE_BUDGET_SECONDS,
  suggestGatewayShards,
  type CapacityFigures,
  type CapacityRun,
} from '../src/monitoring/capacity.js';
import { formatCell, type Cell } from './report.js';

/** The load average above which the page says the figures were taken on a busy machine. */
export const BUSY_LOAD = 3;
export const SIZING_NODES = [16, 64, 256, 512, 1_024] as const;
export const SIZING_SERIES = [500, 2_000] as const;
export const SIZING_INTERVAL_SECONDS = 10;

/** The field's published figures, as reported (not measured here). */
const MIMIR_DISTRIBUTOR_SAMPLES_PER_CORE = 25_000;
const PROMETHEUS_2018_SAMPLES_PER_VCPU = 48_000;

/** A run whose scrapes all finished within their timeout (the scrape interval in these runs). */
export function scrapesFinished(row: CapacityRun): boolean {
  return row.maxScrapeSeconds !== null && row.maxScrapeSeconds < 0.95 * row.scrapeIntervalSeconds;
}

function cell(value: Cell | null): string {
  return value === null ? '–' : formatCell(value);
}

function markdownTable(header: readonly string[], rows: ReadonlyArray<ReadonlyArray<Cell | null>>): string {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((row) => `| ${row.map(cell).join(' | ')} |`)].join('\n');
}

/** "1, 2 and 4". */
function listed(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)!}`;
}

function thousands(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

/** Three significant digits, for figures that are no more exact than that. */
function approx(value: number): string {
  return Number.isFinite(value) ? Number(value.toPrecision(3)).toLocaleString('en-US') : '–';
}

/** Cores and GiB of a suggestion, as `init` prints them. */
function tenths(value: number): string {
  return value.toFixed(1);
}

function stored(row: CapacityRun): number {
  return row.nodes * row.seriesPerNode;
}

function memoryPerSeries(row: CapacityRun): number | null {
  const bytes = ((row.gatewayRssMiB - row.gatewayBaseRssMiB) * 2 ** 20) / stored(row);
  return Number.isFinite(bytes) && bytes > 0 ? Math.round(bytes) : null;
}

function runRows(rows: readonly CapacityRun[]): Array<Array<Cell | null>> {
  return rows.map((row) => [
    row.label,
    row.nodes,
    row.seriesPerNode,
    thousands(stored(row)),
    `${row.pushesOk} / ${row.pushesDue}`,
    row.p50Ms,
    row.p99Ms,
    row.maxScrapeSeconds,
    row.directScrapeSeconds,
    row.gatewayCpuCores,
    row.seriesPerSecondPerCore === null ? null : approx(row.seriesPerSecondPerCore),
    row.pushesPerSecondPerCore,
    Math.round(row.gatewayRssMiB),
    memoryPerSeries(row),
  ]);
}

const RUN_HEADER = [
  'set-up',
  'nodes',
  'series / node',
  'series stored',
  'pushes OK / due',
  'push p50 ms',
  'push p99 ms',
  'slowest scrape s',
  'GET /metrics s',
  'gateway cores',
  'series/s per core',
  'pushes/s per core',
  'gateway RSS MiB',
  'bytes / series',
];

function loadNote(figures: CapacityFigures): string {
  const { before, max } = figures.loadAverage;
  const cores = figures.machine.cores;
  if (max <= BUSY_LOAD)
    return `The machine was otherwise quiet: load average ${formatCell(before)} before the run, at most ${formatCell(max)} between its steps, on ${cores} cores.`;
  if (before <= cores / 2) {
    // Quiet before the run (under half a process per core): the rise is the bench's own gateways,
    // Prometheus and nodes sharing the cores.
    return (
      `The machine was otherwise quiet: load average ${formatCell(before)} before the run. It rose to ${formatCell(max)} between steps, ` +
      `from the bench's own processes: gateways, Prometheus and the simulated nodes share the ${cores} cores, so the largest runs' times read higher than on separate machines.`
    );
  }
  return (
    `**Taken under load**: the machine was shared with other work; the 1-minute load average read ${formatCell(before)} before the run and up ` +
    `to ${formatCell(max)} between its steps, on ${cores} cores (the bench's own processes count in it too). Gateways, Prometheus and the simulated nodes ` +
    'competed for the same cores, so times (push p99, scrapes) read high and per-core figures are of a busy machine.'
  );
}

function sizingRows(figures: CapacityFigures): string[][] {
  const rows: string[][] = [];
  for (const series of SIZING_SERIES) {
    for (const nodes of SIZING_NODES) {
      const s = suggestGatewayShards({ nodes, seriesPerNode: series, intervalSeconds: SIZING_INTERVAL_SECONDS }, figures);
      rows.push([
        `${thousands(nodes)} nodes × ${thousands(series)} series every ${SIZING_INTERVAL_SECONDS} s`,
        thousands(s.totalSeries),
        String(s.shards),
        s.limitedBy,
        tenths(s.gatewayCores),
        tenths(s.gatewayGiB),
        tenths(s.prometheusCores),
      ]);
    }
  }
  return rows;
}

/** What each added shard changed, in the measured runs. */
function shardSteps(rows: readonly CapacityRun[]): string {
  const steps: string[] = [];
  for (let index = 1; index < rows.length; index += 1) {
    const [from, to] = [rows[index - 1]!, rows[index]!];
    steps.push(
      `${from.gateways} → ${to.gateways} gateways: slowest scrape ${cell(from.maxScrapeSeconds)} → ${cell(to.maxScrapeSeconds)} s, ` +
        `push p99 ${cell(from.p99Ms)} → ${cell(to.p99Ms)} ms, pushes OK ${from.pushesOk}/${from.pushesDue} → ${to.pushesOk}/${to.pushesDue}`,
    );
  }
  return steps.length === 0 ? '' : `Measured: ${steps.join('; ')}.`;
}

/** The largest job one gateway takes under the model, in series and in nodes of 2,000 series every 10 s. */
function oneGatewayLimit(figures: CapacityFigures): string {
  const byScrape = (SCRAPE_BUDGET_SECONDS / figures.scrapeSecondsPerMillionSeries) * 1e6;
  const byCpu = (MAX_CORES_PER_GATEWAY * figures.gatewaySeriesPerSecondPerCore * SIZING_INTERVAL_SECONDS) / HEADROOM;
  const limit = Math.min(byScrape, byCpu);
  return (
    `With the figures below, one gateway takes about ${approx(limit)} series (${approx(limit / 2_000)} nodes of 2,000 series every ${SIZING_INTERVAL_SECONDS} s), ` +
    `set by its ${byScrape <= byCpu ? 'scrape time' : 'CPU'}; each further ${approx(limit)} series pays for one more shard.`
  );
}

export function renderCapacityPage(figures: CapacityFigures): string {
  const { machine, runs } = figures;
  const interval = runs.matrix[0]?.intervalSeconds ?? 0;
  const scrapeInterval = runs.matrix[0]?.scrapeIntervalSeconds ?? 0;
  const checkOn = runs.checkOnOff.find((row) => !row.checkOff);
  const checkOff = runs.checkOnOff.find((row) => row.checkOff);
  const example = suggestGatewayShards({ nodes: 512, seriesPerNode: 2_000, intervalSeconds: SIZING_INTERVAL_SECONDS }, figures);
  const promPerCore = figures.prometheusSamplesPerSecondPerCore;
  const lines = [
    '# Capacity: how many gateways for my job',
    '',
    `<!-- Generated by bench/capacity.ts (\`npm run capacity\`) from data/capacity-figures.json; do not edit: rerun it. -->`,
    '',
    `Measured ${figures.measuredAt} (${figures.mode} mode) on ${machine.cores} cores (${machine.cpuModel}), ${machine.memoryGiB} GiB, Node ${machine.node}, ` +
      `prometheus-pushgateway ${machine.pushgateway}, prometheus ${machine.prometheus}. ${loadNote(figures)}`,
    ...(figures.mode === 'quick' ? ['', '**Quick mode**: a smoke run of the bench, too small and short for sizing; rerun `npm run capacity` for the figures.'] : []),
    '',
    `In one line: **512 nodes × 2,000 series every 10 s need ${example.shards} gateway${example.shards === 1 ? '' : 's'}, ${tenths(example.gatewayCores)} gateway cores, ` +
      `${tenths(example.gatewayGiB)} GiB of gateway memory and ${tenths(example.prometheusCores)} Prometheus cores**; other sizes in [the sizing table](#sizing), ` +
      'or ask `persia-metrics init --job NAME --nodes N --series-per-node M`.',
    '',
    '## Method',
    '',
    `Each run starts real \`prometheus-pushgateway\` processes and a real \`prometheus\` on 127.0.0.1, then N simulated nodes in one Node process: each a real ` +
      '`Pusher` of the library with its own registry, keep-alive transport and the default protobuf body, started staggered over the first interval, ' +
      `pushing every ${interval} s (retries off, so a push still in flight at the next tick counts as due and not OK) while Prometheus scrapes every gateway every ` +
      `${scrapeInterval} s with \`honor_labels\` (bench/scale-run.ts). After one interval of warm-up, a window of ${runs.matrix[0]?.windowSeconds ?? '?'} s is measured:`,
    '',
    '- pushes OK / due and their latency (p50, p99);',
    '- the slowest `scrape_duration_seconds` Prometheus recorded for any gateway, and one plain `GET /metrics` of each gateway at the end;',
    '- each process’s CPU from /proc (user + system over the window): the gateways’ (push parsing, storing **and** rendering scrapes) and Prometheus’s;',
    '- series stored per second per gateway core: successful pushes × series per node ÷ window ÷ gateway cores;',
    '- memory per stored series: (gateway RSS at the end − RSS of the same empty gateway before the run) ÷ series stored;',
    '- Prometheus ingest: the rate of its own `prometheus_tsdb_head_samples_appended_total` over the window ÷ its CPU cores over the same window.',
    '',
    'A "series" is a sample line the gateway stores (a histogram series is 16 buckets + `+Inf` + `_sum` + `_count`), as in bench/README.md. ' +
      'Everything runs on the same cores: the nodes’ encoding, the gateways and Prometheus compete, which is pessimistic for times (a scrape waits for a core) and roughly neutral for per-core figures (each process’s own CPU is counted).',
    '',
    '## Consistency check on and off',
    '',
    `The gateway’s default consistency check gathers every stored group on each push, so its cost per push grows with everything the gateway holds; ` +
      `the shipped compose files and Kubernetes manifests run with \`--push.disable-consistency-check\`. Same nodes, one gateway each:`,
    '',
    markdownTable(RUN_HEADER, runRows(runs.checkOnOff)),
    '',
    checkOn === undefined
      ? ''
      : `With the check on, one gateway core stores ${thousands(figures.gatewaySeriesPerSecondPerCoreCheckOn)} series/s at ${thousands(figures.checkOnStoredSeries)} series stored ` +
        `(and fewer as it holds more), against ${thousands(figures.gatewaySeriesPerSecondPerCore)} series/s with it off` +
        (checkOff === undefined
          ? '.'
          : `; in pushes of ${thousands(checkOn.seriesPerNode)} series, ${cell(checkOn.pushesPerSecondPerCore)} pushes/s per core with the check on and ${cell(checkOff.pushesPerSecondPerCore)} with it off.`),
    '',
    '## Push latency, scrape time and memory against nodes × series per node',
    '',
    'One gateway, check off:',
    '',
    markdownTable(RUN_HEADER, runRows(runs.matrix)),
    '',
    '## When one more gateway shard pays off',
    '',
    `The matrix’s largest size on ${listed(runs.shards.map((row) => String(row.gateways)))} check-off gateways (nodes shard over them by rendezvous hashing, as the library does; ` +
      'Prometheus scrapes all of them in parallel):',
    '',
    markdownTable(RUN_HEADER, runRows(runs.shards)),
    '',
    shardSteps(runs.shards),
    '',
    'A shard splits the one thing that grows with the whole job on one gateway: the scrape, a single request that renders every stored series as text. ' +
      'Pushes are small and independent, so they are cheap on one gateway long after its scrape has become the limit; the sizing model below adds a shard ' +
      `when one gateway’s scrape would take more than ${SCRAPE_BUDGET_SECONDS} s (half the shipped 10 s \`scrape_timeout\`), or its work more than ` +
      `${MAX_CORES_PER_GATEWAY} core. On this ${machine.cores}-core machine the shards share the same cores, so they show the scrape split, not added CPU. ` +
      oneGatewayLimit(figures),
    '',
    '## Prometheus ingest',
    '',
    'Measured from the first append after a run’s window opens to the first after it closes (whole scrape cycles). ' +
      'One run’s figure moves with how much else was running at its scrapes; the model uses all of them together.',
    '',
    markdownTable(
      ['run', 'series stored', 'every scrape finished', 'samples appended / s', 'Prometheus cores', 'samples/s per core'],
      [...runs.matrix, ...runs.shards.slice(1)].map((row) => [
        `${row.label}, ${row.nodes} × ${row.seriesPerNode}`,
        thousands(stored(row)),
        scrapesFinished(row) ? 'yes' : 'no',
        approx(row.samplesAppendedPerSecond),
        row.prometheusCpuCores,
        row.prometheusCpuCores > 0 ? approx(row.samplesAppendedPerSecond / row.prometheusCpuCores) : null,
      ]),
    ),
    '',
    '## The figures the model uses',
    '',
    markdownTable(
      ['figure', 'measured', 'from'],
      [
        ['gateway series/s per core, check off', thousands(figures.gatewaySeriesPerSecondPerCore), 'all matrix runs: their series/s summed ÷ their cores summed'],
        ['gateway series/s per core, check on', thousands(figures.gatewaySeriesPerSecondPerCoreCheckOn), `${thousands(figures.checkOnStoredSeries)} series stored`],
        ['gateway memory per stored series', `${thousands(figures.gatewayBytesPerSeries)} bytes`, 'the matrix’s largest run'],
        ['empty gateway', `${formatCell(figures.gatewayBaseBytes / 2 ** 20)} MiB`, 'the same run, before its nodes started'],
        [
          'scrape of one gateway',
          `${formatCell(figures.scrapeSecondsPerMillionSeries)} s per million series`,
          `slowest scrape of the matrix’s largest run whose scrapes all finished (${thousands(figures.scrapeFigureSeries)} series)`,
        ],
        ['Prometheus ingest', `${thousands(promPerCore)} samples/s per core`, 'matrix and shard runs whose scrapes all finished: samples/s summed ÷ cores summed'],
      ],
    ),
    '',
    '## Sizing',
    '',
    `For nodes pushing every ${SIZING_INTERVAL_SECONDS} s and Prometheus scraping every ${DEFAULT_SCRAPE_INTERVAL_SECONDS} s (the shipped configuration), ` +
      `gateways with the consistency check off. Cores and memory are the measured figures × ${HEADROOM} headroom; gateway cores and GiB are for all gateways together ` +
      '(divide by the gateways for one pod’s requests). `persia-metrics init --nodes N --series-per-node M` prints the same (src/monitoring/capacity.ts).',
    '',
    markdownTable(['job', 'series', 'gateways', 'decided by', 'gateway cores', 'gateway GiB', 'Prometheus cores'], sizingRows(figures)),
    '',
    '## Beside the field’s figures',
    '',
    markdownTable(
      ['system', 'samples/s per core', 'source'],
      [
        ['Prometheus (ours, this machine, scraping gateways)', thousands(promPerCore), 'this page'],
        ['persia-metrics gateway, check off (series stored)', thousands(figures.gatewaySeriesPerSecondPerCore), 'this page'],
        ['Grafana Mimir distributor', `about ${thousands(MIMIR_DISTRIBUTOR_SAMPLES_PER_CORE)}`, 'Mimir’s capacity-planning guidance, as reported'],
        ['Prometheus 2.x, 2018 test', `about ${thousands(PROMETHEUS_2018_SAMPLES_PER_VCPU)} per vCPU`, 'a 2018 Prometheus benchmark, as reported'],
      ],
    ),
    '',
    'The last two are published figures we did not reproduce; they are for scale. A gateway stores pushed series and renders them once per scrape, ' +
      'so its per-core figure is not the same work as a distributor’s or a TSDB’s; the Prometheus row is.',
    '',
    '## Reproduce',
    '',
    '```sh',
    'npm run capacity              # full: about 9 minutes; rewrites data/capacity-figures.json and this page',
    'npm run capacity -- --quick   # < 1 min smoke run (its figures are not for sizing)',
    'npm run build && node dist/bench/capacity.js --render   # this page from the committed figures, nothing measured',
    '```',
    '',
  ];
  return `${lines.join('\n').replace(/\n{3,}/g, '\n\n')}`;
}
