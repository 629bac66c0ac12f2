/**
 * Issue 17 §2: `persia-metrics agent` (the built CLI) scrapes a real Python trainer (Debian's
 * python3-prometheus-client, start_http_server) and a fixture serving dcgm-exporter's default counters in its
 * format (test/fixtures/agent/dcgm-exporter-fixture.ts: there is no GPU here), and pushes them through the
 * real Pushgateway into a real Prometheus under the node's job, role and instance. Its failure cases: an
 * endpoint down at start and up later, one slower than the push timeout, one answering a page over the
 * byte limit, one answering text that is not exposition format, and a family named like the catalog's —
 * each is reported once and counted while the other endpoints flow.
 */
import { existsSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/local-stack/free-port.js';
import { startPrometheus, type RunningPrometheus } from '../../src/local-stack/prometheus-process.js';
import { waitFor } from '../../src/local-stack/wait-for.js';
import { endpoint, killChildren, startAgent, startTrainer } from '../fixtures/agent/agent-processes.js';
import { FIXTURE_GPUS, gpuLabels, startDcgmExporterFixture, type RunningDcgmFixture } from '../fixtures/agent/dcgm-exporter-fixture.js';
import { requireBinary } from '../helpers/binaries.js';
import { CLI_MAIN, runCli } from '../helpers/cli-runner.js';
import { parseExposition, seriesKey } from '../helpers/parse-exposition.js';
import { usePushgateway } from '../helpers/pushgateway-fixture.js';
import { findPython } from '../helpers/python-trainer.js';

const python = findPython();
const servers = requireBinary('prometheus-pushgateway') !== undefined && requireBinary('prometheus') !== undefined;

afterAll(killChildren);

describe.skipIf(!servers || python === undefined || !existsSync(CLI_MAIN))(
  'persia-metrics agent: a Python trainer and a dcgm-exporter fixture through the real gateway and Prometheus',
  () => {
    const gateway = usePushgateway();
    let prometheus: RunningPrometheus;
    let dcgm: RunningDcgmFixture;
    const closers: Array<() => Promise<void>> = [];

    beforeAll(async () => {
      prometheus = await startPrometheus({ scrapeTargets: [gateway.address], scrapeIntervalSeconds: 1 });
      dcgm = await startDcgmExporterFixture(73);
    }, 30_000);
    afterEach(async () => {
      await Promise.all(closers.splice(0).map((close) => close()));
    });
    afterAll(async () => {
      await dcgm?.close();
      await prometheus?.stop();
    });

    it('pushes the trainer counters, gauge, histogram and the GPUs under job, role and instance, follows their values, and stops as a node does', async () => {
      const job = 'agent_it';
      const trainer = await startTrainer();
      const agent = startAgent(gateway.address, job, [trainer.url, dcgm.url]);
      const node = { instance: 'rep_0', job, role: 'trainer' };
      const gpu0 = gpuLabels(FIXTURE_GPUS[0]!);
      const samples = await waitFor(
        async () => {
          const parsed = parseExposition(await gateway.metricsText()).samples;
          return parsed.has(seriesKey('DCGM_FI_DEV_GPU_UTIL', { ...node, ...gpu0 })) && parsed.has(seriesKey('trainer_loss', { ...node, rank: '0' })) ? parsed : undefined;
        },
        { timeoutMs: 20_000, what: "the agent's first push with both endpoints", details: agent.output },
      );
      expect(samples.get(seriesKey('trainer_batches_total', { ...node, rank: '0', phase: 'train' }))).toBe(42);
      expect(samples.get(seriesKey('trainer_batches_total', { ...node, rank: '0', phase: 'eval' }))).toBe(5);
      expect(samples.get(seriesKey('trainer_step_seconds_count', { ...node, rank: '0' }))).toBe(3);
      expect(samples.get(seriesKey('trainer_step_seconds_bucket', { ...node, rank: '0', le: '0.25' }))).toBe(2);
      expect(samples.get(seriesKey('DCGM_FI_DEV_FB_USED', { ...node, ...gpu0 }))).toBe(20_000);
      expect(samples.get(seriesKey('DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION', { ...node, ...gpu0 }))).toBe(31_035_686_671);
      expect(samples.get(seriesKey('persia_metrics_push_failures_total', { ...node, reason: 'extra_source' }))).toBe(0);

      // In Prometheus, with the node's labels; a new utilisation arrives with the next pushes.
      const util = await prometheus.queryUntil(`DCGM_FI_DEV_GPU_UTIL{job="${job}", role="trainer", instance="rep_0"}`, (found) => found.length === 2, 20_000);
      expect(util.map((sample) => [sample.metric['gpu'], sample.value]).sort()).toEqual([
        ['0', 73],
        ['1', 74],
      ]);
      const batches = await prometheus.queryUntil(`trainer_batches_total{job="${job}", role="trainer", instance="rep_0", phase="train"}`, (found) => found.length === 1, 10_000);
      expect(batches[0]?.value).toBe(42);
      dcgm.setUtilisation(12);
      await prometheus.queryUntil(`DCGM_FI_DEV_GPU_UTIL{job="${job}", role="trainer", instance="rep_0", gpu="0"} == 12`, (found) => found.length === 1, 20_000);

      agent.process.kill('SIGTERM');
      expect(await agent.exited, agent.output()).toBe(0);
      const final = parseExposition(await gateway.metricsText()).samples;
      expect(final.get(seriesKey('persia_node_state', { ...node, state: 'stopping' }))).toBe(1);
      expect(agent.output()).not.toMatch(/warning/);
      trainer.child.process.kill('SIGKILL');
    }, 90_000);

    it('down at start then up, slow, huge, malformed, a catalog name: each reported once and counted while the others flow', async () => {
      const job = 'agent_faults_it';
      const trainer = await startTrainer(true);
      const latePort = await freePort(); // nothing listens there yet
      const slow = await endpoint(() => {}); // FAULT: never answers within the 1 s push timeout
      const huge = await endpoint((response) => response.end(`# TYPE user_big gauge\n${'user_big{x="1"} 1\n'.repeat(20_000)}`)); // FAULT: 340 KB
      const malformed = await endpoint((response) => response.end('<html><body>502 Bad Gateway</body></html>\n')); // FAULT: a proxy's error page
      closers.push(slow.close, huge.close, malformed.close);
      const late = `http://127.0.0.1:${latePort}/metrics`;
      const agent = startAgent(gateway.address, job, [trainer.url, dcgm.url, late, slow.url, huge.url, malformed.url], ['--max-scrape-bytes', '100000']);
      const node = { instance: 'rep_0', job, role: 'trainer' };
      const failures = async (): Promise<number> =>
        parseExposition(await gateway.metricsText()).samples.get(seriesKey('persia_metrics_push_failures_total', { ...node, reason: 'extra_source' })) ?? 0;

      // Four endpoints left out at each push, each counted (the trainer's clashing family is not a failure): wait for several pushes.
      await waitFor(async () => (await failures()) >= 5 * 4, { timeoutMs: 30_000, what: 'four pushes with the bad endpoints', details: agent.output });
      const during = parseExposition(await gateway.metricsText()).samples;
      expect(during.get(seriesKey('trainer_loss', { ...node, rank: '0' }))).toBe(0.125); // the rest of the clashing page
      expect(during.has(seriesKey('DCGM_FI_DEV_GPU_UTIL', { ...node, ...gpuLabels(FIXTURE_GPUS[0]!) }))).toBe(true);
      expect([...during.keys()].some((series) => series.startsWith('user_big'))).toBe(false);
      expect(during.get(seriesKey('index_miss_count', node)) ?? 0).toBe(0); // never the trainer's 3

      // The late endpoint comes up: its page flows from the next pushes on, and it is said once.
      const lateServer = await endpoint((response) => response.end('# TYPE user_late gauge\nuser_late 7\n'), latePort);
      closers.push(lateServer.close);
      await waitFor(async () => parseExposition(await gateway.metricsText()).samples.get(seriesKey('user_late', node)) === 7, {
        timeoutMs: 20_000,
        what: 'the late endpoint to flow',
        details: agent.output,
      });
      await prometheus.queryUntil(`user_late{job="${job}", role="trainer", instance="rep_0"}`, (found) => found.length === 1, 20_000);
      const counted = await failures();
      await waitFor(async () => (await failures()) >= counted + 4 * 2, { timeoutMs: 20_000, what: 'two more pushes', details: agent.output });

      agent.process.kill('SIGTERM');
      expect(await agent.exited, agent.output()).toBe(0);
      const said = agent.output().split('\n');
      const reports = (index: number): string[] => said.filter((line) => line.includes(`warning: extraSources[${index}] `));
      expect(reports(0), agent.output()).toHaveLength(1);
      // The agent records no catalog family: the trainer's gauge is refused for having another type than the catalog's counter.
      expect(reports(0)[0]).toMatch(/defines index_miss_count at line \d+ as a gauge, but the catalog's counter index_miss_count writes that name/);
      expect(reports(1)).toHaveLength(0);
      expect(reports(2)).toHaveLength(1);
      expect(reports(2)[0]).toMatch(/could not be read \(ECONNREFUSED\)/);
      expect(said.filter((line) => line.includes(`extraSources[2] (${late}) is good again`))).toHaveLength(1);
      expect(reports(3)).toHaveLength(1);
      expect(reports(3)[0]).toMatch(/did not answer within 1 s \(the push timeout\)/);
      expect(reports(4)).toHaveLength(1);
      expect(reports(4)[0]).toMatch(/over the 100000 bytes a scrape reads|over 100000 bytes/);
      expect(reports(5)).toHaveLength(1);
      expect(reports(5)[0]).toMatch(/not exposition format/);
      trainer.child.process.kill('SIGKILL');
    }, 120_000);
  },
);

describe.skipIf(!existsSync(CLI_MAIN))('persia-metrics agent: usage', () => {
  it('--help says what it does; no --scrape, or a --scrape that is no http(s) URL, is a usage error (exit 2) with the credentials hidden', async () => {
    const help = await runCli(['agent', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--scrape <url>');
    expect(help.stdout).toContain('persia_metrics_push_failures_total{reason="extra_source"}');
    const none = await runCli(['agent', '--role', 'trainer']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('agent needs at least one --scrape URL');
    const bad = await runCli(['agent', '--role', 'trainer', '--scrape', 'ftp://user:secret@host/metrics']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("option '--scrape <url>' argument 'ftp://***@host/metrics' is invalid. expected the http:// or https:// URL of a /metrics endpoint");
    expect(bad.stderr).not.toContain('secret');
    const role = await runCli(['agent', '--role', 'gpu', '--scrape', 'http://127.0.0.1:9400/metrics']);
    expect(role.code).toBe(2);
    const progress = await runCli(['agent', '--role', 'trainer', '--scrape', 'http://127.0.0.1:9400/metrics', '--progress', 'train steps']);
    expect(progress.code).toBe(2);
    expect(progress.stderr).toContain(`option '--progress <family>' argument 'train steps' is invalid. expected a counter family of the scraped pages`);
    expect(help.stdout).toContain('Without --progress the agent cannot know');
  });
});
