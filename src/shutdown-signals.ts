/**
 * Opt-in signal handling (never installed by importing the library): the first SIGINT/SIGTERM shuts the node
 * down gracefully (final push, DELETE when configured). What happens next depends on the program:
 *
 * - The program has its own listener for that signal (a handler writing a checkpoint, say; `on` or `once`,
 *   added before or after the helper): the helper does not exit, not even on a second signal. Exiting would cut that handler off; the program's handler decides when the process ends.
 * - The helper is the only listener: it exits once the final push is done or given up, with 128 + the
 *   signal's number (130 for SIGINT, 143 for SIGTERM), the status of a process the signal ended, as Node
 *   without the helper would end. A scheduler then sees an interrupted job, not a finished one (a Kubernetes
 *   Job does not count it as succeeded). The status is the same whether or not the gateway answered: a
 *   job's exit status never depends on its metrics gateway; a failed final push is only reported on stderr.
 *   A second signal exits at once, with the same status.
 *
 * Several calls (several nodes in one process) each shut their own node down, and the exit waits for all
 * of their final pushes.
 */
import { constants } from 'node:os';
import { describeValue } from './config/yaml-document.js';
import { ConfigError } from './errors.js';
import { refuseUnknownKeys } from './node-call-checks.js';

export interface Shutdownable {
  shutdown(): Promise<void>;
}

/**
 * The signals a handler can be installed for: Node's signal names but SIGKILL and SIGSTOP, which no process
 * can catch. Spelt out rather than NodeJS.Signals, so the published declarations compile in a project
 * without @types/node in its `types` (TypeScript 6 and later default `types` to none).
 */
// prettier-ignore
const CATCHABLE_SIGNALS = [
  'SIGABRT', 'SIGALRM', 'SIGBUS', 'SIGCHLD', 'SIGCONT', 'SIGFPE', 'SIGHUP', 'SIGILL', 'SIGINT', 'SIGIO', 'SIGIOT', 'SIGPIPE',
  'SIGPOLL', 'SIGPROF', 'SIGPWR', 'SIGQUIT', 'SIGSEGV', 'SIGSTKFLT', 'SIGSYS', 'SIGTERM', 'SIGTRAP', 'SIGTSTP', 'SIGTTIN',
  'SIGTTOU', 'SIGUNUSED', 'SIGURG', 'SIGUSR1', 'SIGUSR2', 'SIGVTALRM', 'SIGWINCH', 'SIGXCPU', 'SIGXFSZ', 'SIGBREAK', 'SIGLOST',
  'SIGINFO',
] as const satisfies readonly NodeJS.Signals[];

export type ShutdownSignal = (typeof CATCHABLE_SIGNALS)[number];

export interface ShutdownSignalOptions {
  readonly signals?: readonly ShutdownSignal[];
  /** Called with the exit status; default process.exit. */
  readonly exit?: (code: number) => void;
  readonly log?: (message: string) => void;
}

/** The listeners this module installed, to tell them from the program's own. */
const ourListeners = new WeakSet<(...args: never[]) => unknown>();
/** Final pushes started by any call of handleShutdownSignals: an exit waits for every one of them. */
const finalPushes = new Set<Promise<void>>();

/** Returns a function that removes the handlers again. */
export function handleShutdownSignals(target: Shutdownable, options: ShutdownSignalOptions = {}): () => void {
  checkArguments(target, options);
  const signals = options.signals ?? ['SIGINT', 'SIGTERM'];
  // The helper's documented default: alone, it ends the program with the signal's status (143/130), as Node
  // would have; callers that must not exit pass their own `exit`.
  // eslint-disable-next-line no-restricted-properties
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const log = options.log ?? ((message: string) => process.stderr.write(`persia-metrics: ${message}\n`));
  let received = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    received += 1;
    const status = exitStatus(signal);
    // Decided now, while this listener runs first (it is prepended): a program's `process.once` handler is
    // removed as soon as Node calls it, so later in this signal's handling it could no longer be seen.
    const alone = otherListeners(signal) === 0;
    if (received > 1) {
      if (!alone) return; // the program's own handler decides, this time too
      log(`${signal} again: exiting now (status ${status}) without waiting for the final push`);
      exit(status);
      return;
    }
    log(
      alone
        ? `${signal}: pushing final metrics, then exiting with status ${status} (send it again to force)`
        : `${signal}: pushing final metrics; not exiting: the program's own ${signal} handler decides when to exit ` +
            '(await metrics.shutdown() there to be sure the final push is done)',
    );
    const done = Promise.resolve()
      .then(() => target.shutdown())
      .catch((error: unknown) => {
        const reason = error instanceof Error ? error.message : String(error);
        log(`shutdown: ${reason}; ${alone ? `exiting with status ${status} all the same (the exit status never depends on the metrics gateway)` : 'the program goes on'}`);
      });
    finalPushes.add(done);
    void done.then(async () => {
      await allFinalPushes();
      if (alone) exit(status);
    });
  };
  ourListeners.add(onSignal);
  // First in line, so that it sees every other listener of the signal, `once` ones included, when it fires.
  for (const signal of signals) process.prependListener(signal, onSignal);
  return () => {
    for (const signal of signals) process.off(signal, onSignal);
  };
}

/** 128 + the signal's number: what a shell, Docker and Kubernetes report for a process the signal ended. */
function exitStatus(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 0);
}

function otherListeners(signal: NodeJS.Signals): number {
  return process.listeners(signal).filter((listener) => !ourListeners.has(listener)).length;
}

/** Every call's listener ran in the same emit, so by now every final push of this signal is in the set. */
async function allFinalPushes(): Promise<void> {
  let waitedFor = -1;
  while (waitedFor !== finalPushes.size) {
    waitedFor = finalPushes.size;
    await Promise.all([...finalPushes]);
  }
}

/**
 * Refused at the call, not at the first signal: a handler installed with a wrong argument would fail only
 * when the job is being stopped, and then without its final push (found by a new-user session: `undefined`
 * or `{}` as the target, `signals: 'SIGTERM'`, `exit: 'no'` were accepted silently).
 */
function checkArguments(target: unknown, options: unknown): void {
  const where = (path: string) => ({ source: 'handleShutdownSignals()', path });
  if (typeof target !== 'object' || target === null || typeof (target as { shutdown?: unknown }).shutdown !== 'function') {
    throw new ConfigError(where('target'), 'the value startNodeMetrics() returned (an object with a shutdown() method)', describeValue(target));
  }
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    throw new ConfigError(where('options'), 'an object { signals, exit, log }', describeValue(options));
  refuseUnknownKeys(options, ['signals', 'exit', 'log'], 'handleShutdownSignals()', 'options.');
  const { signals, exit, log } = options as Record<string, unknown>;
  if (signals !== undefined) {
    const catchable: readonly unknown[] = CATCHABLE_SIGNALS;
    const known = (name: unknown) => catchable.includes(name) && (name as string) in constants.signals;
    if (!Array.isArray(signals) || signals.length === 0 || !signals.every(known)) {
      throw new ConfigError(where('options.signals'), 'a non-empty array of catchable signal names such as ["SIGTERM", "SIGINT"]', describeValue(signals));
    }
  }
  for (const [name, value] of [
    ['exit', exit],
    ['log', log],
  ] as const) {
    if (value !== undefined && typeof value !== 'function') throw new ConfigError(where(`options.${name}`), 'a function', describeValue(value));
  }
}
