/**
 * A scraped source that cannot be read is no failed push: behind `persia-metrics agent`, a trainer's endpoint
 * that is down is counted as persia_metrics_push_failures_total{reason="extra_source"} while every push lands.
 * `status` and the view's "push failures" leave it out, as the push-failure alert does; status shows it apart.
 * Real gateway, Prometheus, the built CLI and Chromium. Needs `npm run build` first.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/local-stack/free-port.js';
import { startPushgateway } from '../../src/local-stack/pushgateway-process.js';
import { waitFor } from '../../src/local-stack/wait-for.js';
import { killChildren, startAgent, startPrometheusWithInitRules } from '../fixtures/agent/agent-processes.js';
import { requireBinary } from '../helpers/binaries.js';
import { requireChromium } from '../helpers/chromium.js';
import { runCli } from '../helpers/cli-runner.js';
import { viewNodeRows } from '../helpers/view-node-table.js';

const servers = requireBinary('prometheus-pushgateway') !== undefined && requireBinary('prometheus') !== undefined && requireChromium();
afterAll(killChildren);

interface StatusJson {
  nodes: { instance: string; pushFailures?: number; sourceFailures?: number }[];
}

describe.skipIf(!servers)('push failures leave out scraped sources that could not be read', () => {
  it('status and the view count no failed push for a dead --scrape endpoint; status shows the source apart', async () => {
    const job = 'source_failures';
    const gateway = await startPushgateway();
    const stack = await startPrometheusWithInitRules(job, gateway.address);
    try {
      const dead = `http://127.0.0.1:${await freePort()}/metrics`;
      const agent = startAgent(gateway.address, job, [dead]);
      const status = await waitFor(
        async () => {
          const result = await runCli(['status', '--job', job, '--gateway', gateway.address, '--json']);
          const row = (JSON.parse(result.stdout) as StatusJson).nodes.find((node) => node.instance === 'rep_0');
          return row !== undefined && (row.sourceFailures ?? 0) >= 2 ? row : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 500, what: 'the agent to push its source failures', details: agent.output },
      );
      expect(status.pushFailures, 'every push landed').toBe(0);
      const table = await runCli(['status', '--job', job, '--gateway', gateway.address]);
      expect(table.stdout).toMatch(/^trainer\s+rep_0\s+.*\baccepted\s+0 \(\+\d+ source\)\s+ok\s/m);
      expect(table.stdout).toContain('1 with scraped sources left out of pushes that landed');

      // The view reads Prometheus: once it has scraped a source failure, its push-failures cell still says 0.
      await stack.prometheus.queryUntil(`persia_metrics_push_failures_total{job="${job}", reason="extra_source"} > 0`, (samples) => samples.length > 0, 30_000);
      const rows = await viewNodeRows(stack.prometheus.url, job, (found) => found.some((row) => row.node === 'trainer/rep_0'), 'the agent node');
      expect(rows.find((row) => row.node === 'trainer/rep_0')?.cells[5], 'the push failures cell').toBe('0');
    } finally {
      killChildren();
      await stack.stop();
      await gateway.stop();
    }
  }, 120_000);
});
