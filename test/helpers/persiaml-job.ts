/**
 * The job that persiaml-nodes.test.ts and mixed-job.test.ts both run on the real servers: a global_config.yaml
 * at 1 s pushes, a Pushgateway, a Prometheus scraping it every second with the rules as rendered for that
 * interval and the shipped gateway scrape job's shape (honor_labels, the drop list of rule series), this
 * library's nodes from `simulate` (with one replayed PersiaML parameter server), and five replayed PersiaML
 * nodes: four embedding workers (rep_2 five times slower) and a second parameter server, job/instance/ip_addr
 * in both path orders. Needs `npm run build` first.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { dropRuleSeries } from '../../src/deploy/prometheus/prometheus-config.js';
import { renderAlertRules, renderRecordingRules } from '../../src/deploy/prometheus/rule-files.js';
import { resolveDeployOptions } from '../../src/deploy/deploy-options.js';
import { yamlValue } from '../../src/deploy/yaml.js';
import { spawnManaged, type ManagedProcess } from '../../src/local-stack/managed-process.js';
import { startPrometheus, type RunningPrometheus } from '../../src/local-stack/prometheus-process.js';
import { startPushgateway, type RunningPushgateway } from '../../src/local-stack/pushgateway-process.js';
import { GATEWAY_SCRAPE_JOB_PREFIX } from '../../src/monitoring/health.js';
import { type PersiamlNode, startPersiamlNode } from '../../src/simulate/persiaml-node.js';
import { CLI_MAIN, runCli } from './cli-runner.js';

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
  stop(): Promise<void>;
}

export async function startPersiamlJob(dir: string, job: string): Promise<PersiamlJob> {
  // One file for every kind of node: the library's read it, PersiaML's nodes are judged by its interval.
  const config = join(dir, 'global_config.yaml');
  writeFileSync(config, `PersiaMetricsConfig:\n  job_name: ${job}\n  push_interval_seconds: 1\n  push_timeout_seconds: 1\n`);
  const options = resolveDeployOptions({ jobName: job, pushIntervalSeconds: 1 });
  const alerts = join(dir, 'persia-alerts.yml');
  const recording = join(dir, 'persia-recording.yml');
  writeFileSync(alerts, renderAlertRules(options));
  writeFileSync(recording, renderRecordingRules());
  const gateway = await startPushgateway();
  const scrapeJob = { job_name: `${GATEWAY_SCRAPE_JOB_PREFIX}it`, honor_labels: true, static_configs: [{ targets: [gateway.address] }], ...dropRuleSeries() };
  const scrape = yamlValue([scrapeJob]).replace(/^/gm, '  ');
  const prometheus = await startPrometheus({ scrapeIntervalSeconds: 1, extraScrapeConfigsYaml: scrape, ruleFiles: [alerts, recording] });
  const args = ['simulate', '--config', config, '--gateway', gateway.address, '--trainers', '1', '--middleware', '0', '--servers', '1', '--persiaml-servers', '1'];
  const simulate = spawnManaged('simulate', process.execPath, [CLI_MAIN, ...args, '--quiet']);
  const replay = (role: 'embedding-worker' | 'embedding-parameter-server', replicaIndex: number, host: number, slowFactor = 1): PersiamlNode =>
    startPersiamlNode({ gatewayUrl: gateway.url, job, role, replicaIndex, ipAddr: `198.51.100.${host}`, ipFirst: host % 2 === 0, intervalSeconds: 1, slowFactor });
  const replayed = [0, 1, 2, 3].map((index) => replay('embedding-worker', index, index + 1, index === 2 ? 5 : 1));
  replayed.push(replay('embedding-parameter-server', 1, 5));
  return {
    config,
    gateway,
    prometheus,
    simulate,
    replayed,
    async status() {
      const result = await runCli(['status', '--config', config, '--gateway', gateway.address, '--json']);
      if (result.code === 1 && result.stderr.includes('no node of job')) return {};
      expect(result.code, result.stderr).toBe(0);
      const nodes = (JSON.parse(result.stdout) as { nodes: StatusNode[] }).nodes;
      return Object.fromEntries(nodes.map((node) => [nodeName(node.groupingKey, node.role), node]));
    },
    async stop() {
      for (const node of replayed) node.stop();
      await simulate.stop(5000);
      await prometheus.stop();
      await gateway.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
