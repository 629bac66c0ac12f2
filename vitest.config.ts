import { defineConfig } from 'vitest/config';

// Three projects, chosen by folder. `unit` runs in-process on a fresh clone: nothing built, no server binary,
// and its setup file makes starting a process or a thread throw (test/helpers/unit-guard.ts), so a test that
// needs one fails at once, naming test/integration, instead of failing later on a newcomer's machine.
// `integration` starts the real servers, the built CLI and users' programs; `e2e` needs Podman.
export default defineConfig({
  test: {
    // Integration tests start real servers: give them room, and keep the 2-core machine from thrashing.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'], setupFiles: ['test/helpers/unit-guard.ts'] } },
      { extends: true, test: { name: 'integration', include: ['test/integration/**/*.test.ts'] } },
      { extends: true, test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'] } },
    ],
  },
});
