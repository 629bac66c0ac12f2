/**
 * A group of the job that is not a node (keyed by `job` alone, no push interval: a batch job's last result)
 * beside a foreign node keyed by an instance, both pushed once to a real Pushgateway: the built CLI's `status`
 * (table and --json) and `persia-metrics view` in Chromium (a real Prometheus scraping the gateway) list the
 * group apart from the nodes, never count it as a node, and never call it stale, while the foreign node, as
 * old, is stale. docs/processes.md ("What a foreign pusher must send to be a node"). Needs `npm run build` first.
 */
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPrometheus, type RunningPrometheus } from '../../src/local-stack/prometheus-process.js';
import { waitFor } from '../../src/local-stack/wait-for.js';
import { requireBinary } from '../helpers/binaries.js';
import { requireChromium } from '../helpers/chromium.js';
import { CLI_MAIN, runCli } from '../helpers/cli-runner.js';
import { usePushgateway } from '../helpers/pushgateway-fixture.js';
import { viewTables } from '../helpers/view-node-table.js';

const JOB = 'other_groups_it';
const servers = requireBinary('prometheus-pushgateway') !== undefined;
if (!existsSync(CLI_MAIN) && process.env['CI'] === 'true') throw new Error(`CI=true and ${CLI_MAIN} is missing: run npm run build first`);

/** The job pushes every second: a node that publishes no interval is stale after 6 s. */
const JOB_ENV = { PERSIA_METRICS_PUSH_INTERVAL_SECONDS: '1' };
const BODY = '# TYPE batch_result gauge\nbatch_result 0.93\n';

interface StatusJson {
  nodes: Array<{ role: string; instance: string; groupingKey: Record<string, string>; stale: boolean; condition: string }>;
  otherGroups: Array<{ groupingKey: Record<string, string>; lastPushAgeSeconds: number }>;
  gateways: Array<{ nodes: number; otherGroups: number }>;
}

describe.skipIf(!servers || !existsSync(CLI_MAIN))('a group keyed by job alone on a real gateway: listed apart, not a node', () => {
  const gateway = usePushgateway();
  let prometheus: RunningPrometheus | undefined;

  beforeAll(async () => {
    for (const path of [`/metrics/job/${JOB}`, `/metrics/job/${JOB}/instance/foreign_1`]) {
      const answer = await fetch(`${gateway.url}${path}`, { method: 'PUT', body: BODY });
      expect(answer.status, await answer.text()).toBe(200);
    }
    if (requireBinary('prometheus') !== undefined) prometheus = await startPrometheus({ scrapeTargets: [gateway.address], scrapeIntervalSeconds: 1 });
  }, 30_000);

  afterAll(async () => {
    await prometheus?.stop();
  });

  const statusJson = async (): Promise<StatusJson> => {
    const result = await runCli(['status', '--job', JOB, '--gateway', gateway.address, '--json'], JOB_ENV);
    expect(result.code, result.stderr).toBe(0);
    return JSON.parse(result.stdout) as StatusJson;
  };

  it('status --json: the foreign node goes stale, the job-only group is an other group, never stale', async () => {
    const seen = await waitFor(
      async () => {
        const json = await statusJson();
        return json.nodes.some((node) => node.stale) && json;
      },
      { timeoutMs: 20_000, intervalMs: 500, what: 'the foreign node stale in status' },
    );
    expect(seen.nodes.map((node) => [node.role, node.instance, node.condition])).toEqual([['unknown', 'foreign_1', 'stale']]);
    expect(seen.otherGroups.map((group) => group.groupingKey)).toEqual([{ job: JOB }]);
    expect(seen.otherGroups[0]?.lastPushAgeSeconds).toBeGreaterThan(6);
    expect(seen.gateways).toMatchObject([{ nodes: 1, otherGroups: 1 }]);
  }, 30_000);

  it('status: one node of the job, stale; the job-only group in its own table, without STALE', async () => {
    const result = await runCli(['status', '--job', JOB, '--gateway', gateway.address], JOB_ENV);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`1 node of job "${JOB}", 1 stale`);
    expect(result.stdout).toContain(`1 other group of job "${JOB}" (no instance, no push interval: not a node; never stale, no alert;`);
    const groupLine = result.stdout.split('\n').find((line) => line.startsWith(`job="${JOB}" `));
    expect(groupLine, result.stdout).toBeDefined();
    expect(groupLine).not.toContain('STALE');
    // One node row: the foreign node's (the group without an instance is not one).
    expect(result.stdout.split('\n').filter((line) => line.startsWith('unknown '))).toEqual([expect.stringContaining('foreign_1')]);
    expect(result.stdout).toContain('(1 node, 1 other group)');
  });

  it('status of a job with no node but an other group: exit 1, says it holds only that group', async () => {
    const answer = await fetch(`${gateway.url}/metrics/job/${JOB}_alone`, { method: 'PUT', body: BODY });
    expect(answer.status).toBe(200);
    const result = await runCli(['status', '--job', `${JOB}_alone`, '--gateway', gateway.address], JOB_ENV);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`no node of job "${JOB}_alone" on the gateway (only 1 other group, not nodes)`);
  });

  it.skipIf(!requireChromium() || requireBinary('prometheus') === undefined)(
    'the view in chromium lists the group apart from the node table',
    async () => {
      const tables = await viewTables(prometheus?.url ?? '', JOB, (seen) => seen.nodes.length > 0 && seen.otherGroups.length > 0, 'the page to list the node and the other group');
      expect(tables.nodes.map((row) => row.node)).toEqual(['unknown/foreign_1']);
      expect(tables.nodesSummary).toMatch(new RegExp(`^1 node of job "${JOB}"`));
      expect(tables.otherGroups).toEqual([`job=${JOB}`]);
      expect(tables.otherGroupsSummary).toContain('not a node');
    },
    60_000,
  );
});
