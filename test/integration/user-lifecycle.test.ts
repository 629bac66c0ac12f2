/**
 * Issue 8, items 1, 5 and 9: the push lifecycle where the user's own program meets it. Each test runs a
 * user's program as a user writes it (an ES module importing 'persia-metrics' by name, in a child process)
 * against the real Pushgateway; a gateway that is down is a port nothing listens on, or the real one killed.
 * What is checked is what the user sees: exit status, which lines of their program ran, stderr, and what
 * the gateway holds.
 *
 * - item 1: an explicit flush()/shutdown() always settles, even when nothing else keeps the event loop
 *   alive; background pushes never keep a finished program alive (gateway up, down or hanging);
 * - item 5: handleShutdownSignals never exits from under the program's own handler, and exits 143 after
 *   SIGTERM whether or not the gateway answered;
 * - item 9: after shutdown(), flush() gets a typed PERSIA_NODE_STOPPED, and every message says what happens.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../src/local-stack/free-port.js';
import { startPushgateway } from '../../src/local-stack/pushgateway-process.js';
import { waitFor } from '../../src/local-stack/wait-for.js';
import { requireBinary } from '../helpers/binaries.js';
import { startFakeFaultyGateway } from '../helpers/fake-faulty-gateway.js';
import { parseExposition, seriesKey } from '../helpers/parse-exposition.js';
import { usePushgateway } from '../helpers/pushgateway-fixture.js';
import { runUserProgram, startUserProgram, type RunningUserProgram, nodeEnv } from '../helpers/user-program.js';

const servers = requireBinary('prometheus-pushgateway') !== undefined;

/** The environment of a node: its gateway, job and role; the rest as the test needs. */
/** An epoch loop that writes a checkpoint and flushes the metrics after each epoch, as docs/library.md suggests (flush() and shutdown() always settle). */
const EPOCH_LOOP = `
import { startNodeMetrics } from 'persia-metrics';
const metrics = startNodeMetrics();
const pending = metrics.gauge('num_pending_batches').labels();
for (let epoch = 1; epoch <= 3; epoch += 1) {
  pending.set(epoch);
  await new Promise((resolve) => setTimeout(resolve, 20)); // training
  console.log(\`checkpoint \${epoch} written\`);
  try {
    await metrics.flush();
    console.log('flushed');
  } catch (error) {
    console.log(\`caught \${error.code}\`);
  }
  console.log(\`epoch \${epoch} done\`);
}
try {
  await metrics.shutdown();
  console.log('shut down');
} catch (error) {
  console.log(\`shutdown caught \${error.code}\`);
}
`;

describe('item 1: explicit calls settle; background pushes never hold a finished program', () => {
  it('an epoch loop flushing into a gateway that is down runs every epoch and its catch blocks, then exits 0', async () => {
    const down = `127.0.0.1:${await freePort()}`;
    // Two retries with backoff inside each flush: the sleeps during which the old code's process ended.
    const exit = await runUserProgram(EPOCH_LOOP, { env: nodeEnv(down, 'lifecycle_down', { PERSIA_METRICS_PUSH_RETRIES: '2' }), timeoutMs: 60_000 });
    expect(exit.code, exit.stderr).toBe(0);
    expect(exit.stdout.match(/^caught PERSIA_PUSH_NETWORK$/gm)).toHaveLength(3);
    expect(exit.stdout).toContain('epoch 3 done');
    expect(exit.stdout).toContain('shutdown caught PERSIA_PUSH_NETWORK');
    expect(exit.elapsedMs).toBeLessThan(45_000); // did not hang: 3 flushes of ~1.5 s of backoff each
  });

  it.skipIf(!servers)('the same loop against the real gateway: every flush resolves, the last values are there', async () => {
    const gateway = await startPushgateway();
    try {
      const exit = await runUserProgram(EPOCH_LOOP, { env: nodeEnv(gateway.address, 'lifecycle_up') });
      expect(exit.code, exit.stderr).toBe(0);
      expect(exit.stdout.match(/^flushed$/gm)).toHaveLength(3);
      expect(exit.stdout).toContain('shut down');
      const samples = parseExposition(await gateway.metricsText()).samples;
      expect(samples.get(seriesKey('num_pending_batches', { instance: 'rep_0', job: 'lifecycle_up', role: 'trainer' }))).toBe(3);
    } finally {
      await gateway.stop();
    }
  });

  /** Starts pushing every 0.2 s, records for a second, and ends without shutdown(). */
  const FORGETS_SHUTDOWN = `
import { startNodeMetrics } from 'persia-metrics';
const metrics = startNodeMetrics();
const pending = metrics.gauge('num_pending_batches').labels();
for (let step = 0; step < 50; step += 1) {
  pending.set(step);
  await new Promise((resolve) => setTimeout(resolve, 20));
}
console.log('training done');
`;

  it.skipIf(!servers)('a program that never calls shutdown() exits by itself, whether the gateway is up, down or hanging', async () => {
    const gateway = await startPushgateway();
    const hung = await startFakeFaultyGateway('hang');
    const down = `127.0.0.1:${await freePort()}`;
    try {
      for (const address of [gateway.address, down, hung.address]) {
        // A 15 s push timeout: a request hanging on the fake gateway far outlives the program's work.
        const env = nodeEnv(address, 'lifecycle_forgot', { PERSIA_METRICS_PUSH_INTERVAL_SECONDS: '0.2', PERSIA_METRICS_PUSH_TIMEOUT_SECONDS: '15' });
        const exit = await runUserProgram(FORGETS_SHUTDOWN, { env, timeoutMs: 40_000 });
        expect(exit.code, `${address}: ${exit.stderr}`).toBe(0);
        expect(exit.stdout).toContain('training done');
        // 1 s of work: the process ended with it, not after the push timeout.
        expect(exit.elapsedMs, address).toBeLessThan(10_000);
      }
      expect(hung.requests()).toBeGreaterThan(0); // the hung gateway really had a push hanging on it
    } finally {
      await hung.close();
      await gateway.stop();
    }
  });
});

/** A training node that checkpoints on SIGTERM, then exits itself (the user's own handler). */
const OWN_SIGTERM_HANDLER = `
import { writeFile } from 'node:fs/promises';
import { startNodeMetrics, handleShutdownSignals } from 'persia-metrics';
const metrics = startNodeMetrics();
handleShutdownSignals(metrics);
process.on('SIGTERM', async () => {
  console.log('saving checkpoint');
  await new Promise((resolve) => setTimeout(resolve, 300));
  await writeFile('checkpoint.txt', 'epoch 7');
  console.log('checkpoint written');
  process.exit(0);
});
metrics.gauge('num_pending_batches').set(7);
try { await metrics.flush(); } catch {}
console.log('ready');
setInterval(() => {}, 1000); // training
`;

/** A training node relying on the helper alone. */
const HELPER_ALONE = `
import { startNodeMetrics, handleShutdownSignals } from 'persia-metrics';
const metrics = startNodeMetrics();
handleShutdownSignals(metrics);
metrics.gauge('num_pending_batches').set(7);
try { await metrics.flush(); } catch {}
console.log('ready');
setInterval(() => {}, 1000); // training
`;

/** Two nodes in one process (a trainer and a server), each with the helper. */
const TWO_NODES = `
import { startNodeMetrics, handleShutdownSignals } from 'persia-metrics';
const trainer = startNodeMetrics({ options: { role: 'trainer' } });
const server = startNodeMetrics({ options: { role: 'server' } });
handleShutdownSignals(trainer);
handleShutdownSignals(server);
await Promise.all([trainer.flush(), server.flush()]);
console.log('ready');
setInterval(() => {}, 1000);
`;

describe.skipIf(!servers)('item 5: handleShutdownSignals and the program around it', () => {
  const gateway = usePushgateway();

  async function started(source: string, env: Record<string, string>): Promise<RunningUserProgram> {
    // A long interval: what the gateway holds after the signal is the final push's doing.
    const program = startUserProgram(source, { env: { PERSIA_METRICS_PUSH_INTERVAL_SECONDS: '60', ...env } });
    await waitFor(async () => program.stdout().includes('ready') || program.child.exitCode !== null, {
      timeoutMs: 15_000,
      intervalMs: 20,
      what: 'the program to start',
      details: () => program.stderr(),
    });
    return program;
  }

  const stateOf = async (job: string, role = 'trainer'): Promise<number | undefined> =>
    parseExposition(await gateway.metricsText()).samples.get(seriesKey('persia_node_state', { instance: 'rep_0', job, role, state: 'stopping' }));

  it("the program's own async SIGTERM handler runs to its end: checkpoint written, its exit status, final push sent", async () => {
    const program = await started(OWN_SIGTERM_HANDLER, nodeEnv(gateway.address, 'lifecycle_own_handler'));
    program.child.kill('SIGTERM');
    const exit = await program.exited;
    expect(exit.code, exit.stderr).toBe(0);
    expect(exit.stdout).toContain('checkpoint written');
    expect(existsSync(join(program.dir, 'checkpoint.txt'))).toBe(true);
    expect(readFileSync(join(program.dir, 'checkpoint.txt'), 'utf8')).toBe('epoch 7');
    expect(exit.stderr).toMatch(/not exiting: the program's own SIGTERM handler decides/);
    expect(await stateOf('lifecycle_own_handler')).toBe(1);
  });

  it.each([
    ['process.once, after the helper', 'handleShutdownSignals(metrics);\nprocess.once'],
    ['process.once, before the helper', 'setImmediate(() => handleShutdownSignals(metrics));\nprocess.once'],
  ])('a checkpoint handler registered with %s also runs to its end (found by a new-user session)', async (_how, install) => {
    const source = OWN_SIGTERM_HANDLER.replace('handleShutdownSignals(metrics);\nprocess.on', install);
    expect(source).toContain('process.once');
    const program = await started(source, nodeEnv(gateway.address, 'lifecycle_once_handler'));
    program.child.kill('SIGTERM');
    const exit = await program.exited;
    expect(exit.code, exit.stderr).toBe(0);
    expect(readFileSync(join(program.dir, 'checkpoint.txt'), 'utf8')).toBe('epoch 7');
    expect(exit.stderr).toMatch(/not exiting: the program's own SIGTERM handler decides/);
  });

  it('the helper alone exits 143 after SIGTERM, the same whether the gateway answered or not', async () => {
    const up = await started(HELPER_ALONE, nodeEnv(gateway.address, 'lifecycle_alone_up'));
    const down = await started(HELPER_ALONE, nodeEnv(`127.0.0.1:${await freePort()}`, 'lifecycle_alone_down'));
    up.child.kill('SIGTERM');
    down.child.kill('SIGTERM');
    const [upExit, downExit] = await Promise.all([up.exited, down.exited]);
    expect(upExit.code, upExit.stderr).toBe(143);
    expect(downExit.code, downExit.stderr).toBe(143);
    expect(await stateOf('lifecycle_alone_up')).toBe(1);
    expect(downExit.stderr).toMatch(/final push failed: .*giving up \(shutdown\)/);
    expect(downExit.stderr).toMatch(/exiting with status 143 all the same/);
  });

  it('two helpers in one process (two nodes): both final pushes land before the one exit', async () => {
    const program = await started(TWO_NODES, nodeEnv(gateway.address, 'lifecycle_two'));
    program.child.kill('SIGTERM');
    const exit = await program.exited;
    expect(exit.code, exit.stderr).toBe(143);
    expect(await stateOf('lifecycle_two', 'trainer')).toBe(1);
    expect(await stateOf('lifecycle_two', 'server')).toBe(1);
  });
});

describe.skipIf(!servers)('item 9: after shutdown, and during a shutdown against a dead gateway', () => {
  it('flush() after shutdown() rejects with PERSIA_NODE_STOPPED, sends and counts nothing, logs nothing', async () => {
    const gateway = await startPushgateway();
    try {
      const exit = await runUserProgram(
        `
import { startNodeMetrics } from 'persia-metrics';
const metrics = startNodeMetrics();
await metrics.shutdown();
console.log('shut down');
try {
  await metrics.flush();
  console.log('flushed');
} catch (error) {
  console.log(\`caught \${error.code} \${error.name}\`);
}
console.log(\`failures \${metrics.pushStats.failures}\`);
`,
        { env: nodeEnv(gateway.address, 'lifecycle_after_shutdown') },
      );
      expect(exit.code, exit.stderr).toBe(0);
      expect(exit.stdout).toContain('caught PERSIA_NODE_STOPPED NodeStoppedError');
      expect(exit.stdout).toContain('failures 0');
      expect(exit.stderr).not.toMatch(/retrying|UND_ERR_DESTROYED/);
    } finally {
      await gateway.stop();
    }
  });

  it('a shutdown whose gateway died says it gives up, never that it retries', async () => {
    const gateway = await startPushgateway();
    try {
      const program = startUserProgram(
        `
import { existsSync } from 'node:fs';
import { startNodeMetrics } from 'persia-metrics';
const metrics = startNodeMetrics();
await metrics.flush();
console.log('flushed');
while (!existsSync('go')) await new Promise((resolve) => setTimeout(resolve, 20));
try {
  await metrics.shutdown();
} catch (error) {
  console.log(\`shutdown caught \${error.code}\`);
}
`,
        { env: nodeEnv(gateway.address, 'lifecycle_dead_at_shutdown', { PERSIA_METRICS_PUSH_INTERVAL_SECONDS: '60' }) },
      );
      await waitFor(async () => program.stdout().includes('flushed') || program.child.exitCode !== null, {
        timeoutMs: 15_000,
        intervalMs: 20,
        what: 'the first flush',
        details: () => program.stderr(),
      });
      await gateway.kill();
      writeFileSync(join(program.dir, 'go'), '');
      const exit = await program.exited;
      expect(exit.code, exit.stderr).toBe(0);
      expect(exit.stdout).toContain('shutdown caught PERSIA_PUSH_NETWORK');
      expect(exit.stderr).toMatch(/final push failed: .*ECONNREFUSED.*; giving up \(shutdown\)/);
      expect(exit.stderr).not.toMatch(/retrying|keeps running/);
    } finally {
      await gateway.stop();
    }
  });
});
