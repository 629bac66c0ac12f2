/**
 * Real node processes (`persia-metrics simulate-node`, built by `npm run build`) and real signals:
 * SIGTERM → final push within the deadline → DELETE when configured → exit 143 (128 + SIGTERM, the status of
 * a process the signal ended, whether or not the gateway answered); a second SIGINT during a slow shutdown →
 * exit 130 at once; SIGKILL → no goodbye at all, and the shipped stale-node alert rule
 * (rendered for a 1 s interval) reports the node in real Prometheus, while a node that stopped cleanly is
 * not reported.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderAlertRules } from '../../src/deploy/prometheus/rule-files.js';
import { resolveDeployOptions } from '../../src/deploy/deploy-options.js';
import { startPrometheus, type RunningPrometheus } from '../../src/local-stack/prometheus-process.js';
import { waitFor } from '../../src/local-stack/wait-for.js';
import { requireBinary } from '../helpers/binaries.js';
import { startFakeFaultyGateway } from '../helpers/fake-faulty-gateway.js';
import { usePushgateway } from '../helpers/pushgateway-fixture.js';

const MAIN = join(import.meta.dirname, '../../dist/src/cli/main.js');
const servers = requireBinary('prometheus-pushgateway') !== undefined && requireBinary('prometheus') !== undefined;
const dir = mkdtempSync(join(tmpdir(), 'persia-shutdown-'));
const children: ChildProcess[] = [];

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  at: number;
}

function startNode(job: string, gatewayAddr: string, config: string, instance: string): { child: ChildProcess; exited: Promise<Exit>; stderr: () => string } {
  const file = join(dir, `${job}-${instance}.yaml`);
  writeFileSync(file, `PersiaMetricsConfig:\n  job_name: ${job}\n  push_interval_seconds: 0.2\n${config}`);
  const child = spawn(process.execPath, [MAIN, 'simulate-node', '--role', 'trainer', '--config', file], {
    env: { ...process.env, PERSIA_METRICS_GATEWAY_ADDR: gatewayAddr, PERSIA_METRICS_INSTANCE: instance, PERSIA_GLOBAL_CONFIG: '' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.push(child);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<Exit>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, at: Date.now() })));
  return { child, exited, stderr: () => stderr };
}

afterAll(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

describe.skipIf(!servers)('shutdown of a real node process', () => {
  const gateway = usePushgateway();
  let prometheus: RunningPrometheus;

  beforeAll(async () => {
    const rules = join(dir, 'persia-alerts.yml');
    // The shipped rule file is this rendering for a 10 s interval; the same rule for a 1 s interval fits a test.
    writeFileSync(rules, renderAlertRules(resolveDeployOptions({ jobName: 'persia_demo', pushIntervalSeconds: 1, staleAfterIntervals: 3 })));
    prometheus = await startPrometheus({ scrapeTargets: [gateway.address], scrapeIntervalSeconds: 1, ruleFiles: [rules] });
  });
  afterAll(async () => {
    await prometheus?.stop();
  });

  const groupOf = async (job: string) => (await gateway.groups()).find((group) => group.labels['job'] === job);
  const waitForGroup = (job: string) => waitFor(() => groupOf(job), { timeoutMs: 15_000, intervalMs: 50, what: `a push of ${job}` });

  it('SIGTERM: final push within the deadline, DELETE when configured, exit 143; SIGKILL: reported stale by the alert rule', async () => {
    const keep = startNode('shutdown_term_keep', gateway.address, '  shutdown_timeout_seconds: 3\n', 'keep');
    const drop = startNode('shutdown_term_drop', gateway.address, '  shutdown_timeout_seconds: 3\n  delete_on_shutdown: true\n', 'drop');
    const killed = startNode('shutdown_kill', gateway.address, '', 'killed');
    await Promise.all([waitForGroup('shutdown_term_keep'), waitForGroup('shutdown_term_drop'), waitForGroup('shutdown_kill')]);

    const sent = Date.now();
    keep.child.kill('SIGTERM');
    drop.child.kill('SIGTERM');
    killed.child.kill('SIGKILL');
    const [keepExit, dropExit, killedExit] = await Promise.all([keep.exited, drop.exited, killed.exited]);
    expect(keepExit.code, keep.stderr()).toBe(143);
    expect(dropExit.code, drop.stderr()).toBe(143);
    expect(Math.max(keepExit.at, dropExit.at) - sent).toBeLessThan(3000 + 1000); // the configured deadline (+ process exit)
    expect(killedExit.signal).toBe('SIGKILL');

    // The final push says "stopping"; the deleted group is gone.
    const text = await gateway.metricsText();
    expect(text).toMatch(/persia_node_state\{instance="keep",job="shutdown_term_keep",role="trainer",state="stopping"\} 1/);
    expect(await groupOf('shutdown_term_drop')).toBeUndefined();
    expect(text).toMatch(/persia_node_state\{instance="killed",job="shutdown_kill",role="trainer",state="running"\} 1/);

    // The killed node is pending in PersiaNodeStoppedPushing (its `for: 1m` would then fire it, as the
    // promtool rule tests check); the cleanly stopped one is never reported.
    const alerts = await prometheus.queryUntil('ALERTS{alertname="PersiaNodeStoppedPushing"}', (found) => found.some((sample) => sample.metric['job'] === 'shutdown_kill'), 20_000);
    expect(alerts.map((sample) => sample.metric['job'])).toEqual(['shutdown_kill']);
    expect(alerts[0]?.metric['instance']).toBe('killed');
  });
});

describe('shutdown against a gateway that never answers (fake)', () => {
  it('one SIGTERM: gives up at the shutdown deadline, not at the 60 s push timeout, and exits 143 as with a gateway that answers', async () => {
    const hung = await startFakeFaultyGateway('hang');
    try {
      const node = startNode('shutdown_deadline', hung.address, '  push_timeout_seconds: 60\n  shutdown_timeout_seconds: 1\n', 'deadline');
      await waitFor(async () => hung.open() > 0, { timeoutMs: 10_000, intervalMs: 20, what: 'the node to start a push' });
      const sent = Date.now();
      node.child.kill('SIGTERM');
      const exit = await node.exited;
      expect(exit.code, node.stderr()).toBe(143);
      expect(exit.at - sent).toBeLessThan(1000 + 2000);
      expect(node.stderr()).toMatch(/did not finish within 1 s/);
    } finally {
      await hung.close();
    }
  });

  it('exits 130 at once while the final push hangs on a (fake) never-answering gateway', async () => {
    const hung = await startFakeFaultyGateway('hang');
    try {
      const node = startNode('shutdown_force', hung.address, '  push_timeout_seconds: 60\n  shutdown_timeout_seconds: 60\n', 'force');
      await waitFor(async () => hung.open() > 0, { timeoutMs: 10_000, intervalMs: 20, what: 'the node to start a push' });
      node.child.kill('SIGINT');
      await waitFor(async () => node.stderr().includes('SIGINT'), { timeoutMs: 5000, intervalMs: 20, what: 'the first SIGINT to be seen' });
      node.child.kill('SIGINT');
      const exit = await node.exited;
      expect(exit.code, node.stderr()).toBe(130);
      expect(node.stderr()).toMatch(/again: exiting now/);
    } finally {
      await hung.close();
    }
  });
});
