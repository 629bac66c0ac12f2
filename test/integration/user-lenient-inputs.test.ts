/**
 * Inputs the library used to take silently although the rest of it refuses or counts them (found by a
 * README-only session): a fractional step count, a misspelt field of `define()`, a blank job name in the
 * environment. A user's program imports `persia-metrics` by name and pushes to the real Pushgateway.
 */
import { describe, expect, it } from 'vitest';
import { requireBinary } from '../helpers/binaries.js';
import { parseExposition, seriesKey } from '../helpers/parse-exposition.js';
import { usePushgateway } from '../helpers/pushgateway-fixture.js';
import { nodeEnv, runUserProgram } from '../helpers/user-program.js';

const servers = requireBinary('prometheus-pushgateway') !== undefined;

describe.skipIf(!servers)('lenient inputs (real gateway)', () => {
  const gateway = usePushgateway();

  it('step(1.5) is dropped and counted like any bad value, never thrown; whole steps count', async () => {
    const job = 'lenient_steps';
    const exit = await runUserProgram(
      `
import { startNodeMetrics } from 'persia-metrics';
const metrics = startNodeMetrics();
metrics.step(1.5);
metrics.step(2);
metrics.step();
await metrics.shutdown();
console.log('done');
`,
      { env: nodeEnv(gateway.address, job) },
    );
    expect(exit.code, exit.stderr).toBe(0);
    const samples = parseExposition(await gateway.metricsText()).samples;
    const node = { instance: 'rep_0', job, role: 'trainer' };
    expect(samples.get(seriesKey('persia_node_steps_total', node))).toBe(3);
    expect(samples.get(seriesKey('persia_metrics_rejected_samples_total', { ...node, metric: 'persia_node_steps_total' }))).toBe(1);
  });

  it('define() with a misspelt field is a typed error naming it and the field meant', async () => {
    const exit = await runUserProgram(
      `
import { startNodeMetrics } from 'persia-metrics';
const metrics = startNodeMetrics({ options: { enableMetrics: false } });
const spec = { name: 'x_seconds', type: 'histogram', help: 'x', unit: 'seconds', group: 'accuracy', roles: ['trainer'], labels: [], buckets: [1] };
for (const extra of [{ buckets_: [1] }, { zzzzzz: 1 }]) {
  try {
    metrics.registry.define({ ...spec, ...extra });
    console.log('accepted');
  } catch (error) {
    console.log(\`refused \${error.code} \${error.message}\`);
  }
}
`,
      { env: nodeEnv(gateway.address, 'lenient_define') },
    );
    expect(exit.code, exit.stderr).toBe(0);
    expect(exit.stdout.trim().split('\n')).toEqual([
      'refused PERSIA_METRIC_INVALID metric x_seconds: unknown field "buckets_" (did you mean buckets?)',
      expect.stringMatching(/^refused PERSIA_METRIC_INVALID metric x_seconds: unknown field "zzzzzz" \(the fields: name, type, .*maxSeries\)$/),
    ]);
  });

  it('a blank PERSIA_METRICS_JOB_NAME is the error an empty job_name in the file is, not the default job', async () => {
    const exit = await runUserProgram(
      `
import { startNodeMetrics } from 'persia-metrics';
try {
  startNodeMetrics();
  console.log('accepted');
} catch (error) {
  console.log(\`refused \${error.code} \${error.path} \${error.message}\`);
}
`,
      { env: nodeEnv(gateway.address, 'lenient_job', { PERSIA_METRICS_JOB_NAME: '  ' }) },
    );
    expect(exit.code, exit.stderr).toBe(0);
    expect(exit.stdout.trim()).toBe(
      'refused PERSIA_CONFIG_INVALID job_name environment variable PERSIA_METRICS_JOB_NAME: job_name: expected string (not empty or blank), found string "  "',
    );
  });
});
