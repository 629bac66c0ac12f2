/**
 * Issue 16 §3: worker threads of one process share its pid and environment. A user's program (a child
 * process importing 'persia-metrics') starts a node in its main thread and in two worker threads, against
 * the real Pushgateway:
 * - with the default identity, every thread is its own node (`<hostname>_<pid>`, `…_t<thread id>`): three
 *   groups, each with its own exact count, nothing warned;
 * - with one identity for the process (REPLICA_INDEX), every thread says within milliseconds which other
 *   thread pushes as it and what separates threads, and the gateway's group is flagged for `status`;
 * - within one thread, a second start of a live identity is still refused with DuplicateIdentityError.
 */
import { writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../src/local-stack/wait-for.js';
import { requireBinary } from '../helpers/binaries.js';
import { parseExposition, seriesKey } from '../helpers/parse-exposition.js';
import { usePushgateway } from '../helpers/pushgateway-fixture.js';
import { startUserProgram, type RunningUserProgram } from '../helpers/user-program.js';

const servers = requireBinary('prometheus-pushgateway') !== undefined;

/**
 * The main thread and two workers each run a node that counts `step` every 10 ms until the test writes the
 * file `stop`, after trying a second start in the same thread; then each shuts down, and the main thread
 * prints what each thread saw.
 */
const THREADED_PROGRAM = `
import { existsSync } from 'node:fs';
import { Worker, isMainThread, parentPort, threadId, workerData } from 'node:worker_threads';
import { startNodeMetrics } from 'persia-metrics';

async function node(step) {
  const metrics = startNodeMetrics();
  let second = 'accepted';
  try {
    startNodeMetrics();
  } catch (error) {
    second = error.code;
  }
  const missed = metrics.counter('index_miss_count').labels();
  let counted = 0;
  while (!existsSync('stop')) {
    missed.inc(step);
    counted += step;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await metrics.shutdown();
  return { thread: threadId, instance: metrics.groupingKey.instance, second, counted };
}

if (isMainThread) {
  const workers = [1000, 1000000].map((step) => new Worker(new URL(import.meta.url), { workerData: { step } }));
  const answers = workers.map((worker) => new Promise((resolve, reject) => { worker.once('message', resolve); worker.once('error', reject); }));
  const results = await Promise.all([node(1), ...answers]);
  console.log(JSON.stringify(results));
} else {
  parentPort.postMessage(await node(workerData.step));
}
`;

interface ThreadResult {
  readonly thread: number;
  readonly instance: string;
  readonly second: string;
  readonly counted: number;
}

describe.skipIf(!servers)('worker threads of one process (issue 16 §3)', () => {
  const gateway = usePushgateway();

  /** Start the program, wait (bounded) until `ready` holds, then stop its threads and return its exit and results. */
  async function runUntil(job: string, extra: Record<string, string>, ready: (program: RunningUserProgram) => Promise<boolean>, what: string) {
    const program = startUserProgram(THREADED_PROGRAM, {
      env: { PERSIA_METRICS_GATEWAY_ADDR: gateway.address, PERSIA_METRICS_JOB_NAME: job, PERSIA_NODE_ROLE: 'server', ...extra },
      timeoutMs: 60_000,
    });
    await waitFor(async () => (await ready(program)) || undefined, { timeoutMs: 20_000, intervalMs: 50, what, details: () => program.stderr() });
    writeFileSync(join(program.dir, 'stop'), '');
    const exit = await program.exited;
    expect(exit.code, exit.stderr).toBe(0);
    return { exit, pid: program.child.pid, results: JSON.parse(exit.stdout) as ThreadResult[] };
  }

  const groupsOf = async (job: string) => (await gateway.groups()).filter((group) => group.labels['job'] === job);

  it('with the default identity each thread is its own node: three groups, exact counts, no warning', async () => {
    const job = 'threads_default';
    // Stopped once all three groups are in the gateway: the three nodes were live together, their claims made.
    const { exit, pid, results } = await runUntil(
      job,
      { PERSIA_METRICS_PUSH_INTERVAL_SECONDS: '0.5', PERSIA_METRICS_PUSH_TIMEOUT_SECONDS: '0.5' },
      async () => (await groupsOf(job)).length >= 3,
      'three groups of the job in the gateway',
    );
    // Nothing about another writer (a slow push on a loaded machine may be reported: that is not the point here).
    expect(exit.stderr).not.toMatch(/another (thread|process)|DuplicateIdentity/);
    expect(results).toHaveLength(3);
    const [main, first, second] = results;
    expect(main?.instance).toMatch(new RegExp(`^${hostname()}_${pid}$`));
    expect(first?.instance).toBe(`${main?.instance}_t${first?.thread}`);
    expect(second?.instance).toBe(`${main?.instance}_t${second?.thread}`);
    // A second start within a thread is refused there as before.
    expect(results.map((result) => result.second)).toEqual(['PERSIA_DUPLICATE_IDENTITY', 'PERSIA_DUPLICATE_IDENTITY', 'PERSIA_DUPLICATE_IDENTITY']);

    const groups = await groupsOf(job);
    expect(groups.map((group) => group.labels['instance']).sort()).toEqual(results.map((result) => result.instance).sort());
    // Every thread's own count, none overwritten by another's.
    const samples = parseExposition(await gateway.metricsText()).samples;
    for (const result of results) {
      expect(result.counted).toBeGreaterThan(0);
      expect(samples.get(seriesKey('index_miss_count', { instance: result.instance, job, role: 'server' }))).toBe(result.counted);
    }
  });

  it('with one REPLICA_INDEX for the process every thread names the other thread and what separates threads, and the group is flagged', async () => {
    const job = 'threads_one_replica';
    // Pushes every 10 s (the default) and stopped as soon as all three have warned: well before any read-back
    // of the gateway (its first comes after the second push), so what is said comes from the threads' claims.
    const warnings = (program: RunningUserProgram) =>
      program
        .stderr()
        .split('\n')
        .filter((line) => line.includes('warning:'));
    const { exit, results } = await runUntil(job, { REPLICA_INDEX: '3' }, async (program) => warnings(program).length >= 3, 'a warning from each of the three threads');
    expect(results.map((result) => result.instance)).toEqual(['rep_3', 'rep_3', 'rep_3']);
    expect(results.map((result) => result.second)).toEqual(['PERSIA_DUPLICATE_IDENTITY', 'PERSIA_DUPLICATE_IDENTITY', 'PERSIA_DUPLICATE_IDENTITY']);

    const lines = exit.stderr.split('\n').filter((line) => line.includes('warning:'));
    expect(lines, exit.stderr).toHaveLength(3); // once per node
    for (const result of results) {
      const self = result.thread === 0 ? 'the main thread' : `worker thread ${result.thread}`;
      const line = lines.find((warning) => warning.includes(`this node runs in ${self})`));
      expect(line, exit.stderr).toMatch(/another thread of this process \((the main thread|worker thread \d+); this node runs in/);
      expect(line).toContain(`pushes as job ${job}, role server, instance rep_3`);
      expect(line).toContain('the `instance` option of startNodeMetrics, or PERSIA_METRICS_INSTANCE in the `env` option of new Worker()');
    }
    expect(exit.stderr).not.toMatch(/another process/);
    // What the gateway keeps is flagged, so `status` shows the node DUPLICATE.
    const samples = parseExposition(await gateway.metricsText()).samples;
    expect(samples.get(seriesKey('persia_node_duplicate_identity', { instance: 'rep_3', job, role: 'server' }))).toBe(1);
  });
});
