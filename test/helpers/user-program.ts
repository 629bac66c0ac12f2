/**
 * A user's program, run the way a user runs it: an ES module in its own folder that imports
 * `persia-metrics` by its package name (resolved through `node_modules/persia-metrics`, a link to this
 * checkout, so only what package.json exports is reachable; `prom-client` is there too), started as a child process with an
 * environment of the test's choosing. Tests assert what the user would see: exit code, signal, stdout,
 * stderr, and what reached the real gateway. `dir` runs it in an application folder of the test's own
 * instead (one where the packed tarball is installed, test/integration/package-install.test.ts), and
 * `runUserCommand` runs any file there (a compiled program, the installed `persia-metrics` binary).
 *
 * Needs `npm run build` first (the package's exports point at dist/), as `npm test` does.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const PACKAGE_ROOT = resolve(import.meta.dirname, '../..');
const USER_INSTALLED: readonly string[] = ['prom-client'];
/** Every program this test file started, so `killUserPrograms` can end the ones a failed test left running. */
const started: ChildProcess[] = [];

export interface UserProgramExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Milliseconds from start to exit. */
  readonly elapsedMs: number;
}

export interface UserProgramOptions {
  /** Environment beyond PATH (the parent's environment is not inherited: no stray PERSIA_* settings). */
  readonly env?: Readonly<Record<string, string>>;
  /** Files to write beside the program (name → content), e.g. a global_config.yaml. */
  readonly files?: Readonly<Record<string, string>>;
  readonly args?: readonly string[];
  /** The folder to run in, where `persia-metrics` is already installed. Default: a fresh folder linked to this checkout. */
  readonly dir?: string;
  /** The program's file name in that folder; its extension decides how Node loads it. Default `program.mjs`. */
  readonly fileName?: string;
  /** Kill the program (SIGKILL) after this long; the exit then shows signal SIGKILL. Default 30 s. */
  readonly timeoutMs?: number;
}

export interface RunningUserProgram {
  readonly child: ChildProcess;
  /** The folder holding the program and its files (its working directory). */
  readonly dir: string;
  readonly exited: Promise<UserProgramExit>;
  stdout(): string;
  stderr(): string;
}

/** A fresh folder where `import 'persia-metrics'` resolves to this checkout's build. */
export function userProgramDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'persia-user-'));
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(PACKAGE_ROOT, join(dir, 'node_modules', 'persia-metrics'), 'dir');
  // What a user of the library has installed beside it: prom-client, for registries passed as extraSources.
  for (const neighbour of USER_INSTALLED) symlinkSync(join(PACKAGE_ROOT, 'node_modules', neighbour), join(dir, 'node_modules', neighbour), 'dir');
  return dir;
}

/** Start `source` (an ES module's text, unless `fileName` says otherwise) as `program.mjs` in a fresh folder. */
export function startUserProgram(source: string, options: UserProgramOptions = {}): RunningUserProgram {
  const dir = options.dir ?? userProgramDir();
  const program = join(dir, options.fileName ?? 'program.mjs');
  writeFileSync(program, source);
  return startInFolder(dir, process.execPath, [program, ...(options.args ?? [])], options);
}

/** Run `file` (an executable, e.g. `node_modules/.bin/persia-metrics`, or a `.js` file run by Node) in `dir` to its end. */
export function runUserCommand(dir: string, file: string, options: UserProgramOptions = {}): Promise<UserProgramExit> {
  const runByNode = file.endsWith('.js') || file.endsWith('.cjs') || file.endsWith('.mjs');
  const [command, args] = runByNode ? [process.execPath, [join(dir, file), ...(options.args ?? [])]] : [join(dir, file), options.args ?? []];
  return startInFolder(dir, command, args, options).exited;
}

function startInFolder(dir: string, command: string, args: readonly string[], options: UserProgramOptions): RunningUserProgram {
  for (const [name, content] of Object.entries(options.files ?? {})) writeFileSync(join(dir, name), content);
  const startedAt = Date.now();
  const child = spawn(command, args, {
    cwd: dir,
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
  const exited = new Promise<UserProgramExit>((resolveExit) => {
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      resolveExit({ code, signal, stdout, stderr, elapsedMs: Date.now() - startedAt });
    });
  });
  return { child, dir, exited, stdout: () => stdout, stderr: () => stderr };
}

/** Run `source` to its end. */
export function runUserProgram(source: string, options: UserProgramOptions = {}): Promise<UserProgramExit> {
  return startUserProgram(source, options).exited;
}

/** SIGKILL every program started here that is still running (for afterAll). */
export function killUserPrograms(): void {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  started.length = 0;
}

/** The environment of one node of `job` (trainer rep_0 unless `extra` says otherwise) pushing to `gatewayAddr`. */
export function nodeEnv(gatewayAddr: string, job: string, extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  return { PERSIA_METRICS_GATEWAY_ADDR: gatewayAddr, PERSIA_METRICS_JOB_NAME: job, PERSIA_NODE_ROLE: 'trainer', PERSIA_METRICS_INSTANCE: 'rep_0', ...extra };
}
