/**
 * Last-resort cleanup when the program that started local servers (the demo, a test run) exits without
 * having stopped them (a failed start-up, a forgotten stop, an uncaught error).
 *
 * The registry lives on globalThis under a Symbol.for key, not in a module variable: a test runner may
 * evaluate this module once per test file in one process, and a module-level flag would add one more
 * 'exit' listener each time. Only synchronous work runs inside an 'exit' handler, so the
 * cleanups must be synchronous (SIGKILL, rmSync).
 */
const REGISTRY_KEY = Symbol.for('persia-metrics.test-helpers.exit-cleanups');

type Registry = Set<() => void>;

function registry(): Registry {
  const holder = globalThis as typeof globalThis & { [REGISTRY_KEY]?: Registry };
  let set = holder[REGISTRY_KEY];
  if (set === undefined) {
    const created: Registry = new Set();
    set = created;
    holder[REGISTRY_KEY] = created;
    process.once('exit', () => {
      for (const cleanup of created) {
        try {
          cleanup();
        } catch {
          // Keep going: one failed cleanup must not leave the other children running.
        }
      }
      created.clear();
    });
  }
  return set;
}

/** Registers `cleanup` to run on process exit; call the returned function once it is done normally. */
export function onProcessExit(cleanup: () => void): () => void {
  const set = registry();
  set.add(cleanup);
  return () => {
    set.delete(cleanup);
  };
}
