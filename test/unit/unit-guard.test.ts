/**
 * The `unit` project's guard (test/helpers/unit-guard.ts) is on: a unit test that starts a process or a
 * thread fails at once, saying where such a test belongs, instead of passing only where dist/ or a binary is.
 */
import * as childProcess from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';

describe('test/unit', () => {
  it.each([
    ['spawn', () => childProcess.spawn(process.execPath, ['--version'])],
    ['spawnSync', () => childProcess.spawnSync(process.execPath, ['--version'])],
    ['fork', () => childProcess.fork('dist/src/cli/main.js')],
    ['exec', () => childProcess.exec('true')],
    ['execSync', () => childProcess.execSync('true')],
    ['execFile', () => childProcess.execFile(process.execPath, ['--version'])],
    ['execFileSync', () => childProcess.execFileSync(process.execPath, ['--version'])],
  ])('refuses child_process.%s, naming test/integration', (name, start) => {
    expect(start).toThrow(`child_process.${name}: test/unit runs in-process`);
    expect(start).toThrow('Move this test to test/integration');
  });

  it('refuses a worker thread', () => {
    expect(() => new Worker('process.exit(0)', { eval: true })).toThrow('worker_threads.Worker: test/unit runs in-process');
  });
});
