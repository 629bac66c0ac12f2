/**
 * The built `persia-metrics` command as a user runs it: a child process with a clean environment (PATH
 * and what the test passes), real exit code, stdout and stderr. Needs `npm run build` first.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

export const CLI_MAIN = join(import.meta.dirname, '../../dist/src/cli/main.js');
const execFileAsync = promisify(execFile);

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export async function runCli(args: readonly string[], env: NodeJS.ProcessEnv = {}, options: { cwd?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, [CLI_MAIN, ...args], {
      env: { PATH: process.env['PATH'], ...env },
      timeout: options.timeoutMs ?? 20_000,
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    // No stderr at all: the command never ran (e.g. the unit project's guard refused to start it): say why.
    return { code: typeof failed.code === 'number' ? failed.code : -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? String(error) };
  }
}
