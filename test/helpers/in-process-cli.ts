/**
 * `persia-metrics <args>` run in-process through commander with only the given commands registered: exit
 * code and what was printed, without a build (unit tests). Commander's own usage errors count as exit 2.
 */
import { Command } from 'commander';
import { vi } from 'vitest';

export interface InProcessResult {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

export async function runInProcess(register: ReadonlyArray<(program: Command) => void>, args: readonly string[]): Promise<InProcessResult> {
  const program = new Command().exitOverride();
  for (const add of register) add(program);
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((out += String(chunk)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((err += String(chunk)), true));
  process.exitCode = 0;
  try {
    await program.parseAsync(['node', 'persia-metrics', ...args]);
  } catch (error) {
    err += String(error);
    process.exitCode = 2;
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { code, out, err };
}
