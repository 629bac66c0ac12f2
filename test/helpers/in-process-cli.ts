/**
 * `persia-metrics <args>` run in-process: the whole program (src/cli/kit/program.ts, every command) with a
 * command context of the test's own (environment, captured stdout and stderr, signals it sends), so a unit
 * test needs no build and no child process. Commander's own usage errors count as exit 2, as in the CLI.
 */
import { COMMANDS } from '../../src/cli/commands.js';
import type { CommandContext, StopSignal } from '../../src/cli/kit/context.js';
import { runProgram, type RegisterCommand } from '../../src/cli/kit/program.js';

export interface InProcessResult {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

export interface InProcessOptions {
  /** The command's whole environment (default: none at all, as `env -i`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly commands?: readonly RegisterCommand[];
  /** Signals the test sends while the command runs (signalsForTest()). */
  readonly signals?: TestSignals;
  /** The command's clock in milliseconds (default: Date.now), so a test can compare against fixed times. */
  readonly now?: () => number;
}

export interface TestSignals {
  readonly source: CommandContext['signals'];
  /** Delivers SIGINT or SIGTERM to whatever listens now; false when nothing does (a real one would end the process). */
  send(signal: StopSignal): boolean;
  /** Resolves once a command listens (a long-running command has started its loop). */
  listening(): Promise<void>;
}

export function signalsForTest(): TestSignals {
  const listeners = new Set<(signal: StopSignal) => void>();
  let onListen: (() => void) | undefined;
  return {
    source: {
      listen(listener) {
        listeners.add(listener);
        onListen?.();
        return () => listeners.delete(listener);
      },
    },
    send(signal) {
      for (const listener of [...listeners]) listener(signal);
      return listeners.size > 0;
    },
    listening() {
      return listeners.size > 0 ? Promise.resolve() : new Promise<void>((resolve) => (onListen = resolve));
    },
  };
}

/** A context that records what a command printed; `exitNow` is recorded as the exit status. */
export function contextForTest(options: InProcessOptions = {}): { context: CommandContext; output: () => { out: string; err: string; exitedNow?: number } } {
  let out = '';
  let err = '';
  let exitedNow: number | undefined;
  const context: CommandContext = {
    env: options.env ?? {},
    stdout: { write: (text: string) => (out += text) },
    stderr: { write: (text: string) => (err += text) },
    signals: (options.signals ?? signalsForTest()).source,
    now: options.now ?? (() => Date.now()),
    setExitCode: () => {},
    exitNow: (code) => {
      exitedNow ??= code;
    },
  };
  return { context, output: () => ({ out, err, ...(exitedNow === undefined ? {} : { exitedNow }) }) };
}

export async function runInProcess(args: readonly string[], options: InProcessOptions = {}): Promise<InProcessResult> {
  const { context, output } = contextForTest(options);
  const code = await runProgram(args, context, options.commands ?? COMMANDS);
  const { out, err, exitedNow } = output();
  return { code: exitedNow ?? code, out, err };
}
