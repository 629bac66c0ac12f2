/**
 * Opt-in signal handling (never installed by importing the library): the first SIGINT/SIGTERM shuts the node
 * down gracefully (final push, DELETE when configured) and exits; a second one exits at once.
 */

export interface Shutdownable {
  shutdown(): Promise<void>;
}

export interface ShutdownSignalOptions {
  readonly signals?: readonly NodeJS.Signals[];
  /** Called with the exit code; default process.exit. */
  readonly exit?: (code: number) => void;
  readonly log?: (message: string) => void;
}

/** Returns a function that removes the handlers again. */
export function handleShutdownSignals(target: Shutdownable, options: ShutdownSignalOptions = {}): () => void {
  const signals = options.signals ?? ['SIGINT', 'SIGTERM'];
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const log = options.log ?? ((message: string) => process.stderr.write(`persia-metrics: ${message}\n`));
  let received = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    received += 1;
    if (received > 1) {
      log(`${signal} again: exiting now without waiting for the final push`);
      exit(130);
      return;
    }
    log(`${signal}: pushing final metrics, then exiting (send it again to force)`);
    target.shutdown().then(
      () => exit(0),
      (error: unknown) => {
        log(`shutdown: ${error instanceof Error ? error.message : String(error)}`);
        exit(1);
      },
    );
  };
  for (const signal of signals) process.on(signal, onSignal);
  return () => {
    for (const signal of signals) process.off(signal, onSignal);
  };
}
