/**
 * A user's program that clashes with another's: a node of job `clash` whose custom family `epoch_loss` has
 * the given type, beside a family that never clashes (`samples_seen`). Two of them with two types break a
 * gateway run with `--push.disable-consistency-check` (test/integration/gateway-scrape-breakers.test.ts,
 * test/integration/view-gateway-scrape.test.ts). Run it with runUserProgram (user-program.ts).
 */
export function clashingNode(address: string, replica: number, type: 'gauge' | 'counter'): string {
  return `import { startNodeMetrics } from 'persia-metrics';
const metrics = startNodeMetrics({ options: { jobName: 'clash', role: 'trainer', replicaIndex: ${replica}, gatewayAddr: '${address}', pushIntervalSeconds: 60 } });
const base = { unit: '1', group: 'accuracy', roles: ['trainer'], labels: [] };
const loss = metrics.registry.define({ ...base, name: 'epoch_loss', type: '${type}', help: 'Loss.' });
${type === 'gauge' ? 'loss.set(0.5);' : 'loss.inc(3);'}
metrics.registry.define({ ...base, name: 'samples_seen', type: 'gauge', help: 'Samples.' }).set(${100 + replica});
try { await metrics.flush(); console.log('flushed'); } catch (error) { console.log('flush failed: ' + error.message); }
await metrics.shutdown(1);
`;
}
