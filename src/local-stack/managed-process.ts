import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

import { errorText } from '../errors.js';
import { onProcessExit } from './exit-cleanup.js';
import { freePort } from './free-port.js';
import { startOrphanWatchdog } from './orphan-watchdog.js';
import { OutputTail } from './output-tail.js';
import { waitFor } from './wait-for.js';

/** A child server process whose output is kept for error messages and which dies with the tests. */
export interface ManagedProcess {
  readonly label: string;
  readonly pid: number | undefined;
  /** Last part of stdout+stderr, interleaved as written. */
  output(): string;
  /** `undefined` while running, else e.g. "exit code 1" or "signal SIGKILL" or the spawn error. */
  exitReason(): string | undefined;
  /** SIGTERM, then SIGKILL if the child is still alive after `graceMs`; resolves once it exited. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL at once (simulates a crash); resolves once it exited. */
  kill(): Promise<void>;
}

export function spawnManaged(label: string, command: string, args: readonly string[], cwd?: string): ManagedProcess {
  const tail = new OutputTail();
  const child: ChildProcess = spawn(command, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(cwd === undefined ? {} : { cwd }),
  });
  let exit: string | undefined;
  const exited = new Promise<void>((resolve) => {
    // 'close' rather than 'exit': it comes after the pipes drained, so the output tail already
    // holds the child's last words (e.g. "bind: address already in use") when we report them.
    child.once('close', (code, signal) => {
      exit ??= signal === null ? `exit code ${String(code)}` : `signal ${signal}`;
      resolve();
    });
    // 'error' without 'exit' happens when the binary cannot be spawned at all (ENOENT, EACCES).
    child.once('error', (err) => {
      exit ??= `spawn error: ${err.message}`;
      resolve();
    });
  });
  child.stdout?.setEncoding('utf8').on('data', (s: string) => tail.push(s));
  child.stderr?.setEncoding('utf8').on('data', (s: string) => tail.push(s));
  // A forgotten server must not keep the test process alive (it would never reach 'exit', where
  // the cleanup below kills it): unref the child and its pipes, which still deliver output while
  // the process runs anyway.
  child.unref();
  for (const stream of [child.stdout, child.stderr]) (stream as Socket | null)?.unref();

  // Two safety nets for servers a test forgot to stop: the 'exit' hook for a normal end of the
  // test process, the watchdog for a test process killed by a signal.
  const unregister = onProcessExit(() => {
    if (exit === undefined) child.kill('SIGKILL');
  });
  const disarm = child.pid === undefined ? () => undefined : startOrphanWatchdog(child.pid);
  void exited.then(() => {
    unregister();
    disarm();
  });

  const signalAndWait = async (signal: NodeJS.Signals, graceMs: number): Promise<boolean> => {
    if (exit !== undefined) return true;
    child.kill(signal);
    // A ref'd timer: the child is unref'd, so without it a script awaiting stop() could end early.
    const cancel = new AbortController();
    const timer = sleep(graceMs, 'timeout' as const, { signal: cancel.signal }).catch(() => 'cancelled' as const);
    const outcome = await Promise.race([exited, timer]);
    cancel.abort();
    return outcome !== 'timeout';
  };

  const kill = async (): Promise<void> => {
    if (!(await signalAndWait('SIGKILL', 10_000))) {
      throw new Error(`${label} (pid ${String(child.pid)}) did not exit 10 s after SIGKILL`);
    }
  };
  const stop = async (graceMs = 3000): Promise<void> => {
    if (!(await signalAndWait('SIGTERM', graceMs))) await kill();
  };

  return { label, pid: child.pid, output: () => tail.text(), exitReason: () => exit, stop, kill };
}

/** Formats what a child said, for error messages. */
export function describeProcess(proc: ManagedProcess): string {
  const reason = proc.exitReason();
  return (
    `${proc.label} (pid ${String(proc.pid)}) ${reason === undefined ? 'is still running' : `ended: ${reason}`}\n` +
    `--- ${proc.label} output (tail) ---\n${proc.output()}--- end of ${proc.label} output ---`
  );
}

/**
 * Waits until the child logged that it listens on `address` AND `readyUrl` answers 200. Fails at
 * once (with the child's output) if the child exits, and after `timeoutMs` with the last problem
 * and the child's output.
 *
 * The log line matters: if the port was taken by another server (another test's gateway, say),
 * `/-/ready` would answer 200 from that server while our child dies with "address already in use".
 * Both binaries log `msg="Listening on" address=HOST:PORT` (exporter-toolkit) at info level, so
 * extraArgs must not raise --log.level above info. (The 1.5.1 gateway even exits with code 0 on
 * "bind: address already in use", so the exit code alone says nothing.) Other servers name their line
 * with `listeningText` (VictoriaMetrics: "starting http server at").
 */
export async function waitUntilReady(proc: ManagedProcess, address: string, readyUrl: string, timeoutMs = 20_000, listeningText = 'Listening on'): Promise<void> {
  // Per line and order-free: logfmt writes msg before address, --log.format=json sorts the keys.
  const addressPattern = new RegExp(`\\b${address.replace(/\./g, '\\.')}\\b`);
  const listening = (output: string): boolean => output.split('\n').some((line) => line.includes(listeningText) && addressPattern.test(line));
  let lastProblem = 'no attempt finished';
  try {
    await waitFor(
      async () => {
        if (proc.exitReason() !== undefined) {
          throw new Error(`${proc.label} exited before ${readyUrl} answered 200`);
        }
        if (!listening(proc.output())) {
          lastProblem = `no "${listeningText} ${address}" line in the output yet`;
          return undefined;
        }
        try {
          // Each attempt may take seconds on a loaded machine (a test suite starting a dozen servers on two
          // cores): a 1 s cut aborted every attempt of a gateway that was up and would have answered.
          const res = await fetch(readyUrl, { signal: AbortSignal.timeout(5000) });
          await res.arrayBuffer();
          if (res.status === 200) return true;
          lastProblem = `HTTP ${res.status}`;
        } catch (err) {
          lastProblem = errorText(err);
        }
        return undefined;
      },
      { timeoutMs, intervalMs: 50, what: `${readyUrl} to answer 200`, details: () => `last attempt: ${lastProblem}` },
    );
  } catch (err) {
    // Do not leave a half-started child behind when the caller's start() rejects.
    await proc.stop().catch(() => undefined);
    throw new Error(`${errorText(err)}\n${describeProcess(proc)}`, { cause: err });
  }
}

/**
 * Runs `start(port)` on `port`, or on a fresh free port when none was asked for. `freePort` has a
 * window in which another process can take the port; in that case the child fails with "address
 * already in use" and we try again with another port (only when the caller did not insist on one).
 */
export async function startOnPort<T>(port: number | undefined, start: (port: number) => Promise<T>): Promise<T> {
  if (port !== undefined) return start(port);
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await start(await freePort());
    } catch (err) {
      if (attempt >= 3 || !/address already in use/i.test(errorText(err))) throw err;
    }
  }
}
