/**
 * Stopping a process with SIGSTOP (and waking it with SIGCONT) is asynchronous: `kill()` returns once the
 * signal is queued, and a request sent right after can still be answered. Waiting here until the kernel
 * reports the state (/proc/<pid>/stat: 'T' stopped) makes "paused" mean paused when pause() resolves.
 */
import { readFile } from 'node:fs/promises';
import { waitFor } from './wait-for.js';

/** The one-letter state in /proc/<pid>/stat (after the command name, which may itself hold spaces and ')'). */
async function processState(pid: number): Promise<string | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  return stat?.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
}

/**
 * Sends SIGSTOP or SIGCONT and waits (at most 5 s) until the process is stopped or no longer stopped.
 * Where /proc is missing (not Linux), the state cannot be read: the signal alone is what there is.
 */
export async function signalAndWaitForState(pid: number, signal: 'SIGSTOP' | 'SIGCONT', label: string): Promise<void> {
  process.kill(pid, signal);
  if ((await processState(pid)) === undefined) return;
  const wantStopped = signal === 'SIGSTOP';
  await waitFor(
    async () => {
      const state = await processState(pid);
      return state === undefined || (state === 'T') === wantStopped;
    },
    { timeoutMs: 5_000, intervalMs: 5, what: `${label} (pid ${pid}) to be ${wantStopped ? 'stopped' : 'running again'}` },
  );
}
