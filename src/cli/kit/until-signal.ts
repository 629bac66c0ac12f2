/**
 * The one "run until SIGINT/SIGTERM" of the CLI (expire and discover --every, simulate, demo, view): the first signal
 * asks the work to end cleanly (its AbortSignal is aborted, with the signal's name as reason); a second one
 * ends the program at once with 128 + the signal's number, unless the command handles it itself.
 */
import { signalStatus, type CommandContext, type StopSignal } from './context.js';

export interface UntilSignalOptions {
  /** Said on stderr at the first signal, after "persia-metrics: SIGINT: ". */
  readonly first?: string;
  /** Said on stderr at a second signal, after "persia-metrics: SIGINT again: ", before exiting at once. */
  readonly again?: string;
  /** Instead of the messages and the exit: what the command does at each signal (count 1 for the first). */
  readonly onSignal?: (signal: StopSignal, count: number) => void;
}

/** Runs `work` with an AbortSignal aborted at the first SIGINT/SIGTERM; resolves with what `work` returns. */
export async function runUntilSignal<T>(context: CommandContext, work: (stop: AbortSignal) => Promise<T>, options: UntilSignalOptions = {}): Promise<T> {
  const stop = new AbortController();
  let count = 0;
  const stopListening = context.signals.listen((signal) => {
    count += 1;
    if (count === 1) stop.abort(signal);
    if (options.onSignal !== undefined) {
      options.onSignal(signal, count);
      return;
    }
    if (count === 1) {
      if (options.first !== undefined) context.stderr.write(`persia-metrics: ${signal}: ${options.first}\n`);
      return;
    }
    context.stderr.write(`persia-metrics: ${signal} again: ${options.again ?? 'stopped at once'}\n`);
    context.exitNow(signalStatus(signal));
  });
  try {
    return await work(stop.signal);
  } finally {
    stopListening();
  }
}

/** Resolves after `seconds`, or as soon as `stop` is aborted. */
export function sleepUnlessStopped(seconds: number, stop: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (stop.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      stop.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, seconds * 1000);
    stop.addEventListener('abort', done, { once: true });
  });
}

/** Resolves when `stop` is aborted: a server that runs until Ctrl-C. */
export function stopped(stop: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (stop.aborted) resolve();
    else stop.addEventListener('abort', () => resolve(), { once: true });
  });
}

/**
 * Runs `round` now and every `everySeconds` until SIGTERM or SIGINT (expire --every, discover --every); a
 * round in progress finishes first, unless a second signal comes (then at once, saying so). `what` names a
 * round in those messages. Resolves with the last round's exit code.
 */
export function repeatUntilSignal(everySeconds: number, context: CommandContext, what: string, round: () => Promise<number>): Promise<number> {
  return runUntilSignal(
    context,
    async (stop) => {
      let code = await round();
      while (!stop.aborted) {
        await sleepUnlessStopped(everySeconds, stop);
        if (!stop.aborted) code = await round();
      }
      return code;
    },
    { first: `stopping after the ${what} in progress`, again: `stopped at once, without finishing the ${what} in progress` },
  );
}
