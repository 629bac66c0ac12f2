/**
 * What a command may touch of its process, handed to it instead of read from globals: the environment,
 * stdout and stderr, SIGINT/SIGTERM, the wall clock, and the exit status. main.ts passes the real process; a unit test
 * passes its own (test/helpers/in-process-cli.ts) and runs every command in-process, environment included.
 */
import { constants } from 'node:os';

export interface Output {
  write(text: string): unknown;
}

/** The signals a long-running command stops on. */
export type StopSignal = 'SIGINT' | 'SIGTERM';

export interface SignalSource {
  /** Calls `listener` at each SIGINT/SIGTERM until the returned function is called (src/cli/kit/until-signal.ts). */
  listen(listener: (signal: StopSignal) => void): () => void;
}

export interface CommandContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: Output;
  readonly stderr: Output;
  readonly signals: SignalSource;
  /** Wall-clock time in milliseconds (Date.now): what a command compares a gateway's push times with. */
  now(): number;
  /** The status the program ends with once the command returns. */
  setExitCode(code: number): void;
  /** Ends the program now (a second Ctrl-C that must not wait for the work in progress). */
  exitNow(code: number): void;
}

/** 128 + the signal's number: what a shell, Docker and Kubernetes report for a process the signal ended. */
export function signalStatus(signal: StopSignal): number {
  return 128 + constants.signals[signal];
}

/** The real process. Signals are listened to only while a command asks: a short command ends on Ctrl-C as Node does. */
export function processContext(): CommandContext {
  quietWhenReaderLeaves(process.stdout);
  quietWhenReaderLeaves(process.stderr);
  return {
    env: process.env,
    stdout: process.stdout,
    stderr: process.stderr,
    signals: {
      listen(listener) {
        const onSignal = (signal: NodeJS.Signals): void => listener(signal === 'SIGINT' ? 'SIGINT' : 'SIGTERM');
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
        return () => {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
        };
      },
    },
    now: () => Date.now(),
    setExitCode(code) {
      process.exitCode = code;
    },
    exitNow(code) {
      process.exit(code);
    },
  };
}

/**
 * `persia-metrics check | head -1`: once the reader is gone, every write fails with EPIPE, and an unhandled
 * 'error' event would end the CLI with a stack trace. Stop writing and exit 0 instead, as git and ls do
 * (nobody is left to read the rest). Any other stream error stays the crash it was.
 */
function quietWhenReaderLeaves(stream: NodeJS.WriteStream): void {
  if (guarded.has(stream)) return; // processContext() may be called more than once: one listener per stream.
  guarded.add(stream);
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(0);
  });
}

const guarded = new WeakSet<NodeJS.WriteStream>();
