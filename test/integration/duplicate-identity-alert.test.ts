/**
 * PersiaDuplicateNodeIdentity live: the rules and the gateway scrape job as `persia-metrics init` writes them
 * (the scrape job's file_sd targets replaced by a real Pushgateway run as shipped, consistency check off),
 * a real Prometheus evaluating them every second, and the built CLI's `simulate-node`:
 * - two processes pushing one identity (trainer rep_0): the alert fires for that node;
 * - a healthy node (trainer rep_1) beside a job-only neighbour group (grouping key without instance) whose
 *   body names rep_1 and pushes what a duplicate shows (an incarnation that flips, the duplicate flag):
 *   the alert fires neither for rep_1 nor for the neighbour's series, which Prometheus does hold.
 * The promtool tests of the rule (src/monitoring/alert-rule-tests.ts) cover the same cases on fixed series.
 * Needs `npm run build` first.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveDeployOptions } from '../../src/deploy/deploy-options.js';
import { yamlValue } from '../../src/deploy/yaml.js';
import { spawnManaged, type ManagedProcess } from '../../src/local-stack/managed-process.js';
import { type PromVectorSample } from '../../src/local-stack/prometheus-process.js';
import { findMetricSpec } from '../../src/metrics/catalog.js';
import { DUPLICATE_IDENTITY_ALERT } from '../../src/monitoring/view-contract.js';
import { requireBinary } from '../helpers/binaries.js';
import { CLI_MAIN, runCli } from '../helpers/cli-runner.js';
import { type RulesJob, startRulesJob } from '../helpers/rules-job.js';

const JOB = 'dup_alert_it';
const ready = requireBinary('prometheus') !== undefined && requireBinary('prometheus-pushgateway') !== undefined;
if (!existsSync(CLI_MAIN) && process.env['CI'] === 'true') throw new Error(`CI=true and ${CLI_MAIN} is missing: run npm run build first`);

const nodesOf = (samples: readonly PromVectorSample[]): string[] =>
  samples
    .map((s) =>
      Object.entries(s.metric)
        .filter(([name]) => !['__name__', 'alertname', 'alertstate', 'severity'].includes(name))
        .map(([name, value]) => `${name}=${value}`)
        .join(','),
    )
    .sort();

/** The scrape job init writes for file_sd targets (honor_labels, the drop of rule series), aimed at one gateway. */
function initScrapeJob(dir: string, gateway: string): string {
  const written = load(readFileSync(join(dir, 'init/config/prometheus/prometheus.yml'), 'utf8')) as { scrape_configs: Array<Record<string, unknown>> };
  const fileJob = written.scrape_configs.find((job) => job['file_sd_configs'] !== undefined);
  if (fileJob === undefined) throw new Error('init wrote no scrape job with file_sd_configs');
  const { file_sd_configs: _targets, ...shape } = fileJob;
  return yamlValue([{ ...shape, static_configs: [{ targets: [gateway] }] }]).replace(/^/gm, '  ');
}

/** A job-only group's body naming trainer rep_1 (plus a label, so as not to be the node's own series). */
function neighbourBody(incarnation: number): string {
  const lines = (name: string, value: number): string =>
    `# HELP ${name} ${findMetricSpec(name)?.help ?? ''}\n# TYPE ${name} gauge\n${name}{role="trainer",instance="rep_1",x="1"} ${value}\n`;
  return lines('persia_node_incarnation', incarnation) + lines('persia_node_duplicate_identity', 1);
}

describe.skipIf(!ready || !existsSync(CLI_MAIN))('PersiaDuplicateNodeIdentity on a real Prometheus with the rules init writes', () => {
  const options = resolveDeployOptions({ jobName: JOB, pushIntervalSeconds: 1 });
  let stack: RulesJob;
  const nodes: ManagedProcess[] = [];
  let neighbour: NodeJS.Timeout | undefined;
  let neighbourPushes = 0;

  beforeAll(async () => {
    stack = await startRulesJob('persia-dup-alert-it-', options, {
      gatewayArgs: ['--push.disable-consistency-check'], // as the shipped gateway runs
      rules: async (dir) => {
        const init = await runCli(['init', '--job', JOB, '--dir', join(dir, 'init'), '--push-interval', '1']);
        expect(init.code, init.stderr).toBe(0);
        return ['persia-alerts.yml', 'persia-recording.yml'].map((file) => join(dir, 'init/config/prometheus/rules', file));
      },
      scrape: (gateway, dir) => ({ extraScrapeConfigsYaml: initScrapeJob(dir, gateway.address) }),
    });
    const node = (instance: string): ManagedProcess =>
      spawnManaged(`simulate-node ${instance}`, '/usr/bin/env', [
        `PERSIA_METRICS_INSTANCE=${instance}`,
        process.execPath,
        CLI_MAIN,
        'simulate-node',
        '--role',
        'trainer',
        '--config',
        stack.config,
        '--gateway',
        stack.gateway.address,
      ]);
    nodes.push(node('rep_0'), node('rep_0'), node('rep_1'));
    const push = async (): Promise<void> => {
      const answer = await fetch(`${stack.gateway.url}/metrics/job/${JOB}`, { method: 'PUT', body: neighbourBody(Math.floor(Math.random() * 1e12)) });
      if (answer.ok) neighbourPushes += 1;
    };
    await push();
    neighbour = setInterval(() => void push().catch(() => undefined), 1000);
  }, 60_000);

  afterAll(async () => {
    clearInterval(neighbour);
    for (const node of nodes) await node.stop(5000);
    await stack?.stop();
  });

  it('fires for the identity two processes push, and for nothing the job-only neighbour names', async () => {
    const firing = `ALERTS{alertname="${DUPLICATE_IDENTITY_ALERT}", alertstate="firing", job="${JOB}"}`;
    const fired = await stack.prometheus.queryUntil(firing, (s) => s.length > 0, 60_000);
    expect(nodesOf(fired), nodes.map((node) => node.output()).join('\n')).toEqual([`instance=rep_0,job=${JOB},role=trainer`]);
    // The neighbour's series reached Prometheus and show what the rule looks for (without its group's
    // push_time_seconds of the same labels, they would fire for rep_1 or for the neighbour).
    const flips = `changes(persia_node_incarnation{job="${JOB}", instance="rep_1", x="1"}[5m]) > 2`;
    await stack.prometheus.queryUntil(flips, (s) => s.length === 1, 30_000);
    const flagged = await stack.prometheus.query(`max_over_time(persia_node_duplicate_identity{job="${JOB}", instance="rep_1"}[5m]) == 1`);
    expect(nodesOf(flagged)).toEqual([`instance=rep_1,job=${JOB},role=trainer,x=1`]);
    expect(neighbourPushes).toBeGreaterThan(2);
    // A few evaluations later, pending or firing: still rep_0 alone.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const all = await stack.prometheus.query(`ALERTS{alertname="${DUPLICATE_IDENTITY_ALERT}", job="${JOB}"}`);
    expect(nodesOf(all)).toEqual([`instance=rep_0,job=${JOB},role=trainer`]);
  }, 120_000);
});
