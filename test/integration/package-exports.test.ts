/**
 * What a user can import, as a user imports it (a child process resolving 'persia-metrics' through
 * node_modules): the library from the root, the demo's local servers from 'persia-metrics/local-stack', and
 * nothing by a deep path into dist/.
 */
import { describe, expect, it } from 'vitest';
import { requireBinary } from '../helpers/binaries.js';
import { runUserProgram } from '../helpers/user-program.js';

const servers = requireBinary('prometheus-pushgateway') !== undefined;

describe.skipIf(!servers)('package exports', () => {
  it("'persia-metrics/local-stack' starts a real gateway a node pushes to; the root has no harness; deep imports are closed", async () => {
    const exit = await runUserProgram(`
import * as library from 'persia-metrics';
import { startPushgateway } from 'persia-metrics/local-stack';
const gateway = await startPushgateway();
const metrics = library.startNodeMetrics({ options: { gatewayAddr: gateway.address, jobName: 'exports_job' } });
await metrics.flush();
await metrics.shutdown();
console.log('groups', (await gateway.groups()).map((group) => group.labels.job).join(','));
await gateway.stop();
console.log('root has harness', 'startPushgateway' in library, 'root has NodeMetrics', 'NodeMetrics' in library);
try {
  await import('persia-metrics/dist/src/local-stack/index.js');
  console.log('deep import allowed');
} catch (error) {
  console.log('deep import', error.code);
}
`);
    expect(exit.code, exit.stderr).toBe(0);
    expect(exit.stdout).toContain('groups exports_job');
    expect(exit.stdout).toContain('root has harness false root has NodeMetrics false');
    expect(exit.stdout).toContain('deep import ERR_PACKAGE_PATH_NOT_EXPORTED');
  });
});
