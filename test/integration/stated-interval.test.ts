/**
 * A node that publishes no push interval (PersiaML's: grouping key job/instance/ip_addr) is judged by the job's
 * configured push_interval_seconds in the view, as in `status` and `expire`: with `push_interval_seconds: 1` it is
 * stale after 6 s in all three (the view judged it by 10 s: stale only after a minute). Real gateway,
 * Prometheus, the built CLI and Chromium. Needs `npm run build` first.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startPushgateway } from '../../src/local-stack/pushgateway-process.js';
import { startPrometheusWithInitRules } from '../fixtures/agent/agent-processes.js';
import { requireBinary } from '../helpers/binaries.js';
import { requireChromium } from '../helpers/chromium.js';
import { runCli } from '../helpers/cli-runner.js';
import { viewNodeRows } from '../helpers/view-node-table.js';

const servers = requireBinary('prometheus-pushgateway') !== undefined && requireBinary('prometheus') !== undefined && requireChromium();
const dir = mkdtempSync(join(tmpdir(), 'persia-stated-interval-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!servers)('a node without a published interval is judged by the configured push_interval_seconds', () => {
  it('the view, status and expire all call a PersiaML node stale after 6 configured intervals of 1 s', async () => {
    const job = 'stated_interval';
    const config = join(dir, 'global_config.yaml');
    writeFileSync(config, `PersiaMetricsConfig:\n  job_name: ${job}\n  push_interval_seconds: 1\n`);
    const gateway = await startPushgateway();
    const stack = await startPrometheusWithInitRules(job, gateway.address);
    try {
      // One push as PersiaML's node makes it, then silence: no role, no interval series.
      const pushed = await fetch(`${gateway.url}/metrics/job/${job}/instance/rep_0/ip_addr/192.0.2.1`, { method: 'PUT', body: 'staleness 1\n' });
      expect(pushed.status).toBe(200);
      const started = Date.now();
      // Bounded well under the 60 s that 10 s intervals would take.
      const rows = await viewNodeRows(stack.prometheus.url, job, (found) => found.some((row) => row.stale === 'true'), 'the PersiaML node stale', ['--config', config]);
      expect(Date.now() - started, 'stale within 6 configured intervals and a few scrapes, not a minute').toBeLessThan(40_000);
      expect(rows.map((row) => [row.node, row.condition])).toEqual([['unknown/rep_0/ip_addr/192.0.2.1', 'stale']]);

      const status = await runCli(['status', '--job', job, '--gateway', gateway.address, '--config', config]);
      expect(status.stdout).toMatch(/^unknown\s+rep_0 ip_addr=192\.0\.2\.1\s+-\s+\S+ STALE/m);
      // 12 configured intervals (12 s) and --after 1s: deleted; at 10 s intervals it was kept for 2 minutes.
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, 13_000 - (Date.now() - started))));
      const expire = await runCli(['expire', '--job', job, '--gateway', gateway.address, '--config', config, '--after', '1s', '--dry-run', '--json']);
      expect(expire.stdout).toMatch(/"verdict": ?"expired"/);
    } finally {
      await stack.stop();
      await gateway.stop();
    }
  }, 120_000);
});
