/**
 * The job that persiaml-nodes.test.ts and mixed-job.test.ts both run on the real servers: a global_config.yaml
 * at 1 s pushes, a Pushgateway, a Prometheus scraping it every second with the rules as rendered for that
 * interval and the shipped gateway scrape job's label handling (src/deploy/prometheus/gateway-series.ts), this
 * library's nodes from `simulate` (with one replayed PersiaML parameter server), and five replayed PersiaML
 * nodes: four embedding workers (rep_2 five times slower) and a second parameter server, job/instance/ip_addr
 * in both path orders. Needs `npm run build` first.
 */
import { expect } from 'vitest';
import { staticGatewayScrapeJobYaml } from '../../src/deploy/prometheus/gateway-series.js';
import { resolveDeployOptions } from '../../src/deploy/deploy-options.js';
import { type ManagedProcess } from '../../src/local-stack/managed-process.js';
import { type PromVectorSample, type RunningPrometheus } from '../../src/local-stack/prometheus-process.js';
import { type RunningPushgateway } from '../../src/local-stack/pushgateway-process.js';
import { waitFor } from '../../src/local-stack/wait-for.js';
import { GATEWAY_SCRAPE_JOB_PREFIX } from '../../src/monitoring/health.js';
import { STRAGGLER_RECORDS } from '../../src/monitoring/straggler-rules.js';
import { type PersiamlNode, startPersiamlNode } from '../../src/simulate/persiaml-node.js';
import { runCli } from './cli-runner.js';
import { startRulesJob } from './rules-job.js';

/** The alert both tests watch fire for the nodes that stop pushing. */
export const STALE_ALERT = 'PersiaNodeStoppedPushing';

/** role/instance/ip_addr (empty for nodes without one). */
export const nodeName = (labels: Readonly<Record<string, string | undefined>>, role = labels['role']): string =>
  `${role ?? ''}/${labels['instance'] ?? ''}/${labels['ip_addr'] ?? ''}`;

/** The nodes both tests see from simulate and the replay, by nodeName. */
export const SIMULATED_NODES = ['trainer/rep_0/', 'server/rep_0/', 'server/rep_0/192.0.2.1'];
export const REPLAYED_NODES = [
  'middleware/rep_0/198.51.100.1',
  'middleware/rep_1/198.51.100.2',
  'middleware/rep_2/198.51.100.3',
  'middleware/rep_3/198.51.100.4',
  'server/rep_1/198.51.100.5',
];
/** The replayed worker five times slower than its peers. */
export const SLOW_WORKER = 'middleware/rep_2/198.51.100.3';

export interface StatusNode {
  role: string;
  instance: string;
  groupingKey: Record<string, string>;
  condition: string;
}

export interface PersiamlJob {
  readonly config: string;
  readonly gateway: RunningPushgateway;
  readonly prometheus: RunningPrometheus;
  readonly simulate: ManagedProcess;
  readonly replayed: readonly PersiamlNode[];
  /** The nodes `status --json` (built CLI) lists, by nodeName; none while it exits 1 (no node pushed yet). */
  status(): Promise<Record<string, StatusNode>>;
  /** status() every 0.5 s until `done` holds (the timeout error says `what` and shows the last nodes). */
  statusUntil(done: (nodes: Record<string, StatusNode>) => boolean, what: string, timeoutMs: number): Promise<Record<string, StatusNode>>;
  /** The time-cost slowdown score of each node, highest first, once at least the five replayed nodes have one. */
  slowdownScores(): Promise<PromVectorSample[]>;
  /** The firing STALE_ALERT series of the job, once there are at least `count`. */
  staleFiring(count: number, timeoutMs: number): Promise<PromVectorSample[]>;
  stop(): Promise<void>;
}

export async function startPersiamlJob(dirPrefix: string, job: string): Promise<PersiamlJob> {
  // One config file for every kind of node: the library's read it, PersiaML's nodes are judged by its interval.
  const options = resolveDeployOptions({ jobName: job, pushIntervalSeconds: 1 });
  const stack = await startRulesJob(dirPrefix, options, {
    scrape: (gateway) => ({ extraScrapeConfigsYaml: staticGatewayScrapeJobYaml(`${GATEWAY_SCRAPE_JOB_PREFIX}it`, [gateway.address], job) }),
  });
  const { config, gateway, prometheus } = stack;
  const simulate = stack.simulate(['--trainers', '1', '--middleware', '0', '--servers', '1', '--persiaml-servers', '1']);
  const replay = (role: 'embedding-worker' | 'embedding-parameter-server', replicaIndex: number, host: number, slowFactor = 1): PersiamlNode =>
    startPersiamlNode({ gatewayUrl: gateway.url, job, role, replicaIndex, ipAddr: `198.51.100.${host}`, ipFirst: host % 2 === 0, intervalSeconds: 1, slowFactor });
  const replayed = [0, 1, 2, 3].map((index) => replay('embedding-worker', index, index + 1, index === 2 ? 5 : 1));
  replayed.push(replay('embedding-parameter-server', 1, 5));
  const status = async (): Promise<Record<string, StatusNode>> => {
    const result = await runCli(['status', '--config', config, '--gateway', gateway.address, '--json']);
    if (result.code === 1 && result.stderr.includes('no node of job')) return {};
    expect(result.code, result.stderr).toBe(0);
    const nodes = (JSON.parse(result.stdout) as { nodes: StatusNode[] }).nodes;
    return Object.fromEntries(nodes.map((node) => [nodeName(node.groupingKey, node.role), node]));
  };
  return {
    config,
    gateway,
    prometheus,
    simulate,
    replayed,
    status,
    async statusUntil(done, what, timeoutMs) {
      let nodes: Record<string, StatusNode> = {};
      await waitFor(
        async () => {
          nodes = await status();
          return done(nodes);
        },
        { timeoutMs, intervalMs: 500, what, details: () => JSON.stringify(nodes) },
      );
      return nodes;
    },
    async slowdownScores() {
      const ranked = `sort_desc(max without (metric) (${STRAGGLER_RECORDS.timeCostSlowdown}{job="${job}"}))`;
      let scores: PromVectorSample[] = [];
      await waitFor(
        async () => {
          scores = await prometheus.query(ranked);
          return scores.length >= 5;
        },
        { timeoutMs: 30_000, intervalMs: 500, what: 'slowdown scores of the replayed nodes', details: () => JSON.stringify(scores) },
      );
      return scores;
    },
    staleFiring(count, timeoutMs) {
      return prometheus.queryUntil(`ALERTS{alertname="${STALE_ALERT}", alertstate="firing", job="${job}"}`, (s) => s.length >= count, timeoutMs);
    },
    async stop() {
      for (const node of replayed) node.stop();
      await stack.stop();
    },
  };
}
