/**
 * The three persia-metrics dashboards, modelled on Mephisto's metrics dashboards: a health
 * view first (is every node reporting, are pushes fine), then efficiency (stragglers, GPUs, P50/P99 and heatmaps
 * of every time cost, per role) and accuracy (misses, NaNs, staleness, distinct ids). Time-cost panels are generated from
 * the metric catalog, so a new `*_time_cost` histogram gets its panels without touching this file.
 */
import { FAMILIES_LEFT_OUT_METRIC, findMetricSpec } from '../metrics/catalog.js';
import { type DashboardDef, type PanelDef } from './dashboard-model.js';
import { GATEWAY_SCRAPE_JOB_PREFIX, pushAgeVersusThreshold, staleAfterSeconds } from './health.js';
import type { MonitoringOptions } from './options.js';
import { timeCostMetrics } from './recording-rules.js';
import { STRAGGLER_RECORDS } from './straggler-rules.js';
import { GPU_MEMORY_USED_METRIC, GPU_UTILISATION_METRIC, STRAGGLER_ALERT } from './view-contract.js';

const SEL = 'job="$job", role=~"$role"';
const RATE = '$__rate_interval';
/** With `or on()`: a by-role panel draws one zero line named `none` while no role has any (not a nameless `value` line beside the roles). */
const NONE_ZERO = 'label_replace(vector(0), "role", "none", "__name__", ".*")';

function help(metric: string): string {
  return findMetricSpec(metric)?.help ?? metric;
}

function perNode(title: string, metric: string, unit: string, expr = `${metric}{${SEL}}`): PanelDef {
  return { title, description: help(metric), type: 'timeseries', unit, targets: [{ expr, legend: '{{role}} {{instance}}' }] };
}

function perFeature(title: string, metric: string, expr: string, unit: string): PanelDef {
  return { title, description: help(metric), type: 'timeseries', unit, targets: [{ expr, legend: '{{feature}}' }] };
}

export function jobHealthDashboard(options: MonitoringOptions): DashboardDef {
  const stale = staleAfterSeconds(options);
  return {
    uid: 'persia-job-health',
    title: 'PERSIA job health',
    description: 'Is every node of the job reporting, and are its pushes reaching the gateway?',
    rows: [
      {
        title: 'Nodes',
        panels: [
          {
            title: 'Nodes reporting, by role',
            type: 'stat',
            width: 12,
            description: `Nodes whose last push is at most ${options.staleAfterIntervals} of their own push intervals old (${stale}s at ${options.pushIntervalSeconds}s, the job's interval for a node that publishes none; one gateway group per node).`,
            targets: [{ expr: `count by (role) (\n${pushAgeVersusThreshold(options, '<=', SEL)}\n)`, legend: '{{role}}' }],
          },
          {
            title: 'Stale nodes',
            type: 'stat',
            width: 12,
            description: `Nodes whose last push is older than ${options.staleAfterIntervals} of their own push intervals (${stale}s at ${options.pushIntervalSeconds}s): crashed or hung nodes, or nodes stopped without deleting their group.`,
            targets: [{ expr: `count(\n${pushAgeVersusThreshold(options, '>', SEL)}\n) or vector(0)`, legend: 'stale' }],
          },
          {
            title: 'Seconds since last push',
            type: 'timeseries',
            unit: 's',
            width: 12,
            description: `Freshness of every node. A line climbing past ${stale}s is a node that stopped pushing.`,
            targets: [{ expr: `time() - push_time_seconds{${SEL}}`, legend: '{{role}} {{instance}}' }],
          },
          {
            title: 'Node state',
            type: 'timeseries',
            width: 12,
            description: help('persia_node_state'),
            targets: [{ expr: `sum by (role, state) (persia_node_state{${SEL}})`, legend: '{{role}} {{state}}' }],
          },
        ],
      },
      {
        title: 'Pushes',
        panels: [
          {
            title: 'Push failures per second, by reason',
            type: 'timeseries',
            unit: 'ops',
            description: help('persia_metrics_push_failures_total'),
            // The zero line for "no failure" reads `none`, not a nameless series.
            targets: [{ expr: `sum by (role, reason) (rate(persia_metrics_push_failures_total{${SEL}}[${RATE}])) or on() ${NONE_ZERO}`, legend: '{{role}} {{reason}}' }],
            width: 6,
          },
          {
            // Beside the failures: a family left out for a clash is no push failure (a standing configuration
            // problem, src/push/extra-sources.ts), so reason extra_source never shows it.
            title: 'Scraped families left out (clashes), by node',
            type: 'timeseries',
            width: 6,
            description: `${help(FAMILIES_LEFT_OUT_METRIC)} Only nodes leaving some out are drawn (none: a zero line); the failures beside count sources left out whole (reason extra_source).`,
            // Aggregated: VictoriaMetrics reads a bare `x > 0 or on() …` as keeping x's zeros (test/integration/long-term-store.test.ts).
            targets: [{ expr: `max by (role, instance) (${FAMILIES_LEFT_OUT_METRIC}{${SEL}} > 0) or on() ${NONE_ZERO}`, legend: '{{role}} {{instance}}' }],
          },
          {
            title: 'Pushes rejected by the gateway',
            type: 'timeseries',
            width: 6,
            description: 'Nodes whose last push the gateway rejected (push_failure_time_seconds newer than push_time_seconds).',
            targets: [{ expr: `count by (role) (push_failure_time_seconds{${SEL}} > push_time_seconds{${SEL}}) or on() ${NONE_ZERO}`, legend: '{{role}}' }],
          },
          {
            title: 'Push duration P50 / P99, by role',
            type: 'timeseries',
            unit: 's',
            width: 6,
            description: help('persia_metrics_push_duration_seconds'),
            targets: quantileTargets('persia_metrics_push_duration_seconds'),
          },
          {
            title: 'Gateways up',
            type: 'timeseries',
            width: 24,
            description: "Prometheus scrapes of the job's gateway(s), by discovery mechanism: 1 up, 0 down.",
            targets: [{ expr: `up{job=~"${GATEWAY_SCRAPE_JOB_PREFIX}.*", persia_job="$job"}`, legend: '{{job}} {{instance}}' }],
          },
        ],
      },
      {
        title: 'Node runtime',
        panels: [
          perNode('CPU (cores)', 'persia_node_cpu_seconds_total', 'short', `rate(persia_node_cpu_seconds_total{${SEL}}[${RATE}])`),
          perNode('Resident memory', 'persia_node_resident_memory_bytes', 'bytes'),
          perNode('Event-loop delay P99', 'persia_node_event_loop_delay_seconds', 's', `persia_node_event_loop_delay_seconds{${SEL}, stat="p99"}`),
        ],
      },
    ],
  };
}

function quantileTargets(metric: string): PanelDef['targets'] {
  return (['0.5', '0.99'] as const).map((q) => ({
    expr: `histogram_quantile(${q}, sum by (role, le) (rate(${metric}_bucket{${SEL}}[${RATE}])))`,
    legend: `P${Number(q) * 100} {{role}}`,
  }));
}

function timeCostPanels(metric: string): PanelDef[] {
  return [
    { title: `${metric} P50 / P99`, type: 'timeseries', unit: 's', description: help(metric), targets: quantileTargets(metric) },
    {
      title: `${metric} heatmap`,
      type: 'heatmap',
      unit: 's',
      description: `Distribution of ${metric} over the selected roles; a second band appearing is a slow path.`,
      targets: [{ expr: `sum by (le) (increase(${metric}_bucket{${SEL}}[${RATE}]))`, legend: '{{le}}' }],
    },
    {
      title: `${metric} per second`,
      type: 'timeseries',
      unit: 'ops',
      description: `Operations timed by ${metric}, per second, by role.`,
      targets: [{ expr: `sum by (role) (rate(${metric}_count{${SEL}}[${RATE}]))`, legend: '{{role}}' }],
    },
  ];
}

/** The recorded slowdown scores (straggler-rules.ts), the highest per node: the line on top is the straggler. */
function stragglerPanel(): PanelDef {
  return {
    title: 'Slowdown score per node (straggler)',
    type: 'timeseries',
    width: 24,
    description:
      "Each node's P99 time cost (and its time per batch) divided by a typical node's of its role in the job, the worst of its " +
      `time costs: 1 is as fast as its peers, 3 three times slower. A node that stays above the threshold raises ${STRAGGLER_ALERT}.`,
    targets: [
      // Per node, its whole grouping key (a PersiaML node's job/instance/ip_addr): never merged by role and instance.
      { expr: `max without (metric) (${STRAGGLER_RECORDS.timeCostSlowdown}{${SEL}})`, legend: '{{role}} {{instance}} {{ip_addr}} P99' },
      { expr: `max without (metric) (${STRAGGLER_RECORDS.throughputSlowdown}{${SEL}})`, legend: '{{role}} {{instance}} {{ip_addr}} per batch' },
    ],
  };
}

/**
 * The GPUs of each node, from dcgm-exporter's default counters that `persia-metrics agent` pushes with the
 * rank (docs/processes.md): beside the slowdown scores, a slow rank whose GPUs idle waits on something else.
 */
function gpuPanels(): PanelDef[] {
  const legend = '{{role}} {{instance}} GPU {{gpu}}';
  return [
    {
      title: 'GPU utilisation per node and GPU',
      type: 'timeseries',
      unit: 'percent',
      width: 12,
      description: `dcgm-exporter's ${GPU_UTILISATION_METRIC}: how busy each GPU of each node was (in %), pushed with its rank by persia-metrics agent.`,
      targets: [{ expr: `${GPU_UTILISATION_METRIC}{${SEL}}`, legend }],
    },
    {
      title: 'GPU memory used per node and GPU',
      type: 'timeseries',
      unit: 'bytes',
      width: 12,
      description: `dcgm-exporter's ${GPU_MEMORY_USED_METRIC} (framebuffer memory used, in MiB), drawn in bytes.`,
      targets: [{ expr: `${GPU_MEMORY_USED_METRIC}{${SEL}} * 1048576`, legend }],
    },
  ];
}

export function efficiencyDashboard(): DashboardDef {
  return {
    uid: 'persia-efficiency',
    title: 'PERSIA efficiency',
    description: "Where time goes: which node is the straggler, how busy its GPUs are, P50/P99 and heatmaps of every time cost per role, and the trainers' queues.",
    rows: [
      { title: 'Stragglers', panels: [stragglerPanel()] },
      { title: 'GPUs', panels: gpuPanels() },
      { title: 'Queues', panels: [{ ...perNode('Pending batches', 'num_pending_batches', 'short'), width: 24 }] },
      ...timeCostMetrics().map((metric) => ({ title: metric, panels: timeCostPanels(metric) })),
    ],
  };
}

export function accuracyDashboard(): DashboardDef {
  const increase = (metric: string) => `sum by (feature) (increase(${metric}{${SEL}}[${RATE}]))`;
  return {
    uid: 'persia-accuracy',
    title: 'PERSIA accuracy',
    description: 'Signals that training quality suffers: embedding misses, NaNs, staleness, id distribution.',
    rows: [
      {
        title: 'Embedding misses',
        panels: [
          perNode('Index miss ratio', 'index_miss_ratio', 'percentunit'),
          perNode('Index misses per second', 'index_miss_count', 'ops', `rate(index_miss_count{${SEL}}[${RATE}])`),
          perNode('Gradient id misses per second', 'gradient_id_miss_count', 'ops', `rate(gradient_id_miss_count{${SEL}}[${RATE}])`),
        ],
      },
      {
        title: 'NaNs and staleness',
        panels: [
          perFeature('NaN gradients, by feature', 'nan_count', increase('nan_count'), 'short'),
          perFeature('Updates skipped for NaN, by feature', 'nan_grad_skipped', increase('nan_grad_skipped'), 'short'),
          perNode('Staleness (batches)', 'staleness', 'short'),
        ],
      },
      {
        title: 'Id distribution',
        panels: [
          // Each middleware estimates on its own share of the ids: max is a lower bound, sum would double-count.
          { ...perFeature('Estimated distinct ids, by feature', 'estimated_distinct_id', `max by (feature) (estimated_distinct_id{${SEL}})`, 'short'), width: 12 },
          { ...perFeature('Batch unique-indices rate, by feature', 'batch_unique_indices_rate', `avg by (feature) (batch_unique_indices_rate{${SEL}})`, 'percentunit'), width: 12 },
        ],
      },
    ],
  };
}

/** File name (under config/grafana/dashboards/) → dashboard definition. */
export function dashboardDefs(options: MonitoringOptions): ReadonlyArray<readonly [string, DashboardDef]> {
  return [
    ['persia-job-health.json', jobHealthDashboard(options)],
    ['persia-efficiency.json', efficiencyDashboard()],
    ['persia-accuracy.json', accuracyDashboard()],
  ];
}
