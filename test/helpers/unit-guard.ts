/**
 * Setup file of the `unit` project (vitest.config.ts): a unit test runs in this process only. Starting a
 * child process or a thread throws, naming the function and where such a test belongs, so `npm run
 * test:unit` keeps passing on a fresh clone with nothing built (no dist/) and no server binary installed.
 * The built-in modules are patched, not mocked, so a dependency that reaches them directly is caught too.
 */
import childProcess from 'node:child_process';
import cluster from 'node:cluster';
import { syncBuiltinESMExports } from 'node:module';
import workerThreads from 'node:worker_threads';

export const UNIT_GUARD_MESSAGE = 'test/unit runs in-process: it needs nothing built and no binary, so it may not start a process or a thread';

function refuse(name: string): never {
  throw new Error(`${name}: ${UNIT_GUARD_MESSAGE}. Move this test to test/integration (it may fork dist/ there, after \`npm run build\`).`);
}

const CHILD_PROCESS = ['spawn', 'spawnSync', 'fork', 'exec', 'execSync', 'execFile', 'execFileSync'] as const;
const writable = childProcess as unknown as Record<string, unknown>;
for (const name of CHILD_PROCESS) writable[name] = () => refuse(`child_process.${name}`);
(workerThreads as unknown as Record<string, unknown>)['Worker'] = class {
  constructor() {
    refuse('worker_threads.Worker');
  }
};
(cluster as unknown as Record<string, unknown>)['fork'] = () => refuse('cluster.fork');
// `import { spawn } from 'node:child_process'` reads the ES module's own bindings: bring them in line.
syncBuiltinESMExports();
