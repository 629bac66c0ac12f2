/**
 * Pages a new user's agent met (repro 06): a real prometheus_client exporter (test/fixtures/agent/
 * odd_exporter.py) serving an OpenMetrics gaugehistogram and a gauge named `up`, an endpoint that answers
 * 302 (a proxy moving /metrics), and one whose redirects loop. Through the built agent, the real gateway and
 * a real Prometheus: the gaugehistogram arrives as its own series (`_bucket`, `_gcount`, `_gsum`) with no
 * `_sum` or `_count` invented; the redirect is followed as Prometheus's scraper follows it; the loop is
 * reported once, naming the chain; `up` is left out (reported once, in the gauge of families left out) while the rest of its page flows.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPrometheus, type RunningPrometheus } from '../../src/local-stack/prometheus-process.js';
import { waitFor } from '../../src/local-stack/wait-for.js';
import { endpoint, killChildren, startAgent, startPythonExporter } from '../fixtures/agent/agent-processes.js';
import { requireBinary } from '../helpers/binaries.js';
import { CLI_MAIN } from '../helpers/cli-runner.js';
import { parseExposition, seriesKey } from '../helpers/parse-exposition.js';
import { usePushgateway } from '../helpers/pushgateway-fixture.js';
import { findPython } from '../helpers/python-trainer.js';

const JOB = 'agent_odd_it';
const EXPORTER = join(import.meta.dirname, '../fixtures/agent/odd_exporter.py');
const servers = requireBinary('prometheus-pushgateway') !== undefined && requireBinary('prometheus') !== undefined;

afterAll(killChildren);

describe.skipIf(!servers || findPython() === undefined || !existsSync(CLI_MAIN))('the agent and odd pages: gaugehistogram, redirects, up', () => {
  const gateway = usePushgateway();
  let prometheus: RunningPrometheus;
  const closers: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    prometheus = await startPrometheus({ scrapeTargets: [gateway.address], scrapeIntervalSeconds: 1 });
  }, 30_000);
  afterAll(async () => {
    await Promise.all(closers.map((close) => close()));
    await prometheus?.stop();
  });

  it('pushes what the pages hold, as Prometheus would scrape them, and nothing invented', async () => {
    const exporter = await startPythonExporter(EXPORTER);
    // FAULT endpoints: a proxy that moved /metrics (302 to a relative Location), and redirects in a loop.
    const moved = await endpoint((response, request) => {
      if (request.url === '/old') response.writeHead(302, { location: '/metrics' }).end();
      else response.end('# TYPE user_moved gauge\nuser_moved 5\n');
    });
    const loop = await endpoint((response, request) => response.writeHead(302, { location: request.url === '/a' ? '/b' : '/a' }).end());
    closers.push(moved.close, loop.close);
    const agent = startAgent(gateway.address, JOB, [exporter.url, `${moved.origin}/old`, `${loop.origin}/a`]);
    const node = { job: JOB, role: 'trainer', instance: 'rep_0' };
    const failures = (samples: Map<string, number>): number => samples.get(seriesKey('persia_metrics_push_failures_total', { ...node, reason: 'extra_source' })) ?? 0;
    // The loop is left out of every push (counted); the page with `up` goes without it (not a failure): wait for a few pushes.
    const samples = await waitFor(
      async () => {
        const parsed = parseExposition(await gateway.metricsText()).samples;
        return parsed.get(seriesKey('user_moved', node)) === 5 && failures(parsed) >= 2 * 3 ? parsed : undefined;
      },
      { timeoutMs: 30_000, what: 'pushes with every page', details: agent.output },
    );
    expect(samples.get(seriesKey('trainer_queue_batches_bucket', { ...node, le: '1.0' }))).toBe(1);
    expect(samples.get(seriesKey('trainer_queue_batches_bucket', { ...node, le: '+Inf' }))).toBe(2);
    expect(samples.get(seriesKey('trainer_queue_batches_gcount', node))).toBe(2);
    expect(samples.get(seriesKey('trainer_queue_batches_gsum', node))).toBe(3);
    const names = [...samples.keys()].filter((key) => key.includes(`job="${JOB}"`)).map((key) => key.slice(0, key.indexOf('{')));
    expect(names.filter((name) => name.startsWith('trainer_queue_batches')).sort()).toEqual([
      'trainer_queue_batches_bucket',
      'trainer_queue_batches_bucket',
      'trainer_queue_batches_gcount',
      'trainer_queue_batches_gsum',
    ]);
    expect(names).not.toContain('up');
    expect(samples.get(seriesKey('trainer_workers', node))).toBe(3); // the rest of the page with `up`

    // In Prometheus: the gaugehistogram's series as they were pushed, and no `up` of the job's.
    const gsum = await prometheus.queryUntil(`trainer_queue_batches_gsum{job="${JOB}"}`, (found) => found.length === 1, 20_000);
    expect(gsum[0]?.value).toBe(3);
    await prometheus.queryUntil(`trainer_workers{job="${JOB}"}`, (found) => found.length === 1, 20_000);
    expect(await prometheus.query(`{__name__=~"trainer_queue_batches_(sum|count)|up", job="${JOB}"}`)).toEqual([]);

    agent.process.kill('SIGTERM');
    expect(await agent.exited, agent.output()).toBe(0);
    const said = agent.output().split('\n');
    const reports = (index: number): string[] => said.filter((line) => line.includes(`warning: extraSources[${index}] `));
    expect(reports(0), agent.output()).toHaveLength(1);
    expect(reports(0)[0]).toMatch(/defines up at line \d+, a name Prometheus writes itself for every target it scrapes/);
    expect(reports(1)).toHaveLength(0);
    expect(reports(2)).toHaveLength(1);
    expect(reports(2)[0]).toContain(`redirects in a loop (${loop.origin}/a → ${loop.origin}/b → ${loop.origin}/a)`);
  }, 90_000);
});
