/**
 * `persia-metrics demo`: the README's first command. Starts the real Pushgateway and Prometheus (Debian
 * binaries) on free 127.0.0.1 ports, runs a simulated cluster against them, then prints the URLs and a few
 * PromQL answers a user would ask ("p99 lookup RPC time per role?", "which node is stale?").
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { staticGatewayScrapeJobYaml } from '../deploy/prometheus/gateway-series.js';
import { startPrometheus } from '../local-stack/prometheus-process.js';
import { GATEWAY_SCRAPE_JOB_PREFIX } from '../monitoring/health.js';
import { startPushgateway } from '../local-stack/pushgateway-process.js';
import { checkCluster, startCluster } from '../simulate/cluster.js';
import { HUNG_NODE_FORMAT, type HungNode } from '../simulate/hung-nodes.js';
import { SLOW_NODE_FORMAT, type SlowNode } from '../simulate/slow-nodes.js';
import { startViewServer } from '../view/view-server.js';
import { promqlStringContent } from '../view/view-panels.js';
import { STRAGGLER_RECORDS } from '../monitoring/straggler-rules.js';
import { runAction } from './kit/action.js';
import type { CommandContext } from './kit/context.js';
import { collectHungNode, collectSlowNode, MAX_RUN_SECONDS, optionFlag, parseCount, parseRunSeconds } from './kit/flags.js';
import { EXIT_CODES_HELP, EXIT_FAILURE, EXIT_OK, formatTable, plural } from './kit/output.js';
import { CLI_SCRIPT } from './kit/program.js';
import { runUntilSignal, stopped } from './kit/until-signal.js';

/** The shipped rules (config/ is in the package, beside dist/). */
const RULES_DIR = fileURLToPath(new URL('../../../config/prometheus/rules/', import.meta.url));

interface DemoFlags {
  job: string;
  trainers: number;
  middleware: number;
  servers: number;
  duration: number;
  interval: number;
  slow?: SlowNode[];
  hang?: HungNode[];
  keep?: boolean;
}

/**
 * The questions the demo answers, in PromQL over the job's series. `whileRunning`: asked at the moment the
 * run was told to stop, not after: the shipped scores leave out nodes whose last push said `stopping`
 * (src/monitoring/health.ts, ofRunningIncarnation), so after a clean stop they hold none.
 */
export function demoQueries(job: string): { question: string; promql: string; whileRunning?: boolean }[] {
  const sel = `job="${promqlStringContent(job)}"`;
  return [
    { question: 'p99 lookup_rpc_time_cost per role (s)', promql: `histogram_quantile(0.99, sum by (le, role) (rate(lookup_rpc_time_cost_bucket{${sel}}[30s])))` },
    { question: 'p50 lookup_rpc_time_cost per role (s)', promql: `histogram_quantile(0.5, sum by (le, role) (rate(lookup_rpc_time_cost_bucket{${sel}}[30s])))` },
    { question: 'p99 update_gradient_time_cost per role (s)', promql: `histogram_quantile(0.99, sum by (le, role) (rate(update_gradient_time_cost_bucket{${sel}}[30s])))` },
    { question: 'nodes reporting per role', promql: `count by (role) (push_time_seconds{${sel}})` },
    { question: 'seconds since each node last pushed (max per role)', promql: `max by (role) (time() - push_time_seconds{${sel}})` },
    { question: 'index miss ratio per server', promql: `index_miss_ratio{${sel}}` },
    { question: 'NaN gradients in the last minute per feature', promql: `sum by (feature) (increase(nan_count{${sel}}[1m]))` },
    { question: 'push failures by reason', promql: `sum by (reason) (persia_metrics_push_failures_total{${sel}})` },
    // Recorded by the shipped straggler rules (src/monitoring/straggler-rules.ts); `demo --slow` makes one stand out.
    {
      question: 'slowdown score per node, worst time cost (stragglers first), as the job ran',
      promql: `sort_desc(max by (role, instance) (${STRAGGLER_RECORDS.timeCostSlowdown}{${sel}}))`,
      whileRunning: true,
    },
  ];
}

export function registerDemoCommand(program: Command, context: CommandContext): void {
  program
    .command('demo')
    .description('start a real Pushgateway and Prometheus on free local ports, run a simulated job against them, print URLs and PromQL answers')
    .option('--job <name>', 'job name', 'demo_job')
    .option('--trainers <n>', 'trainer nodes', parseCount, 2)
    .option('--middleware <n>', 'middleware nodes', parseCount, 2)
    .option('--servers <n>', 'embedding server nodes', parseCount, 2)
    .option('--duration <seconds>', `how long the simulated job runs (at most ${MAX_RUN_SECONDS})`, parseRunSeconds, 40)
    .option('--interval <seconds>', 'push interval of the nodes (as push_interval_seconds)', optionFlag('push_interval_seconds'), 2)
    .option('--slow <spec>', `a straggler, repeatable (as simulate --slow): ${SLOW_NODE_FORMAT}`, collectSlowNode)
    .option('--hang <spec>', `a hung node, repeatable (as simulate --hang): ${HUNG_NODE_FORMAT}`, collectHungNode)
    .option('--keep', 'leave the gateway, Prometheus and the view running after the job ends, until Ctrl-C')
    .addHelpText('after', `\nNeeds the Debian packages prometheus and prometheus-pushgateway (scripts/demo.sh installs them).${EXIT_CODES_HELP}`)
    .action(runAction(context, (flags: DemoFlags) => runDemo(flags, context)));
}

async function runDemo(flags: DemoFlags, context: CommandContext): Promise<number> {
  const say = (text: string): void => void context.stdout.write(`${text}\n`);
  checkCluster({ ...flags, hung: flags.hang }); // a usage error (no node, a --slow or --hang node not simulated) before any server starts
  const gateway = await startPushgateway();
  // Scraped as the shipped prometheus.yml does (a persia_gateway_* job labelled with the job), with the
  // shipped rules, so every panel of the view and its straggler / duplicate flags have their series.
  const prometheus = await startPrometheus({
    scrapeTargets: [],
    scrapeIntervalSeconds: 1,
    ruleFiles: existsSync(RULES_DIR)
      ? readdirSync(RULES_DIR)
          .filter((file) => file.endsWith('.yml') && !file.endsWith('.test.yml'))
          .map((file) => join(RULES_DIR, file))
      : [],
    extraScrapeConfigsYaml: staticGatewayScrapeJobYaml(`${GATEWAY_SCRAPE_JOB_PREFIX}demo`, [gateway.address], flags.job),
  });
  const view = await startViewServer({ prometheusUrl: prometheus.url, port: 0, job: flags.job, refreshSeconds: 2, window: '5m' });
  const dir = mkdtempSync(join(tmpdir(), 'persia-demo-'));
  try {
    say(`View:        ${view.url}   (the job live in a browser)`);
    const config = join(dir, 'global_config.yaml');
    writeFileSync(
      config,
      `PersiaMetricsConfig:\n  enable_metrics: true\n  job_name: ${JSON.stringify(flags.job)}\n  push_interval_seconds: ${flags.interval}\n  push_timeout_seconds: ${Math.min(5, flags.interval)}\n  gateway_addr: ${gateway.address}\n`,
    );
    say(`Pushgateway: ${gateway.url}/metrics   (groups: ${gateway.url}/api/v1/metrics)`);
    say(`Prometheus:  ${prometheus.url}/graph   (scraping the gateway every 1 s as the deployment does)`);
    say(
      `Simulating job "${flags.job}": ${plural(flags.trainers, 'trainer')}, ${flags.middleware} middleware, ${plural(flags.servers, 'server')} for ${flags.duration} s (Ctrl-C stops early)...`,
    );
    const cluster = startCluster({
      nodeScript: CLI_SCRIPT,
      env: context.env,
      config,
      trainers: flags.trainers,
      middleware: flags.middleware,
      servers: flags.servers,
      stepMs: 20,
      slow: flags.slow,
      hung: flags.hang,
      log: (message) => context.stderr.write(`simulate: ${message}\n`),
      warn: (message) => context.stderr.write(`simulate: ${message}\n`),
    });
    let stopAskedAt: number | undefined;
    const stopCluster = (why: string): void => {
      stopAskedAt ??= Date.now() / 1000;
      cluster.stop(why);
    };
    const stopTimer = setTimeout(() => stopCluster(`${flags.duration} s elapsed`), flags.duration * 1000);
    const problem = await runUntilSignal(context, () => cluster.done, { onSignal: (signal) => stopCluster(signal) }).finally(() => clearTimeout(stopTimer));
    // One more scrape after the final pushes, so the answers include them.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    say('');
    for (const { question, promql, whileRunning } of demoQueries(flags.job)) {
      const samples = await prometheus.query(promql, whileRunning === true ? stopAskedAt : undefined);
      say(`${question}\n  ${promql}`);
      const rows = samples.map((sample) => [labelsText(sample.metric), formatNumber(sample.value)]);
      say(rows.length === 0 ? '  (no data)' : formatTable(['series', 'value'], rows).replace(/^/gm, '  '));
      say('');
    }
    if (flags.keep) {
      say(`Servers stay up: ${view.url}, ${gateway.url} and ${prometheus.url}. Ctrl-C to stop them.`);
      await runUntilSignal(context, stopped);
    }
    return problem === undefined ? EXIT_OK : EXIT_FAILURE;
  } finally {
    await view.close();
    await prometheus.stop();
    await gateway.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function labelsText(metric: Record<string, string>): string {
  const entries = Object.entries(metric).filter(([name]) => name !== '__name__');
  return entries.length === 0 ? '(all)' : entries.map(([name, value]) => `${name}=${value}`).join(' ');
}

function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  return Math.abs(value) >= 1000 || Number.isInteger(value) ? String(Math.round(value * 100) / 100) : value.toPrecision(3);
}
