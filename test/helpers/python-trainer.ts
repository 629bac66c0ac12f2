/**
 * The Python trainer of the agent tests (test/fixtures/agent/python_trainer.py): Debian's
 * python3-prometheus-client serving a training rank's metrics with start_http_server.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

export const TRAINER_SCRIPT = join(import.meta.dirname, '../fixtures/agent/python_trainer.py');

/** A python3 that imports prometheus_client (Debian's python3-prometheus-client: /usr/bin/python3), or undefined; under CI=true its absence fails. */
export function findPython(): string | undefined {
  for (const candidate of ['python3', '/usr/bin/python3']) {
    const probe = spawnSync(candidate, ['-c', 'import prometheus_client'], { stdio: 'ignore' });
    if (probe.status === 0) return candidate;
  }
  if (process.env['CI'] === 'true') throw new Error('CI=true and no python3 with prometheus_client: install python3-prometheus-client (scripts/install-deps.sh)');
  return undefined;
}
