import { spawn } from 'node:child_process';
import type { Socket } from 'node:net';

/**
 * Makes sure `pid` dies with this Node process, even when this process is killed by a signal
 * (vitest tearing a worker down, a timeout, SIGKILL) and no 'exit' handler runs.
 *
 * A tiny `sh` blocks reading a pipe whose only writer is this process; when this process is gone,
 * however it died, the kernel closes the pipe, `read` sees EOF and the shell SIGKILLs the server.
 * Linux's PR_SET_PDEATHSIG would do the same but is not reachable from Node.
 *
 * Returns `disarm`, to call once the server has exited normally (so a later, reused pid is safe).
 */
export function startOrphanWatchdog(pid: number): () => void {
  const dog = spawn('/bin/sh', ['-c', 'read _ignored; kill -KILL "$1" 2>/dev/null', 'orphan-watchdog', String(pid)], {
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  dog.on('error', () => undefined); // Best effort: without /bin/sh the 'exit' hook still covers normal exits.
  // Neither the watchdog nor its pipe may keep the test process alive.
  dog.unref();
  (dog.stdin as Socket | null)?.unref();
  return () => {
    dog.kill('SIGKILL');
  };
}
