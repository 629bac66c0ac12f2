/**
 * Issue 19 part 5, as a user meets it: a training program labels by user id and records 100,000 distinct
 * values, importing `persia-metrics` by its package name and pushing to the real Pushgateway. What it sees:
 * the gateway holds the limit plus the overflow series for that family (the user label folded, the feature
 * label kept), the sum over the family is exactly what was recorded, the folds are counted, and stderr
 * carries one warning per family.
 *
 * Needs `npm run build` first (the program imports dist/ through the package).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../src/local-stack/wait-for.js';
import { requireBinary } from '../helpers/binaries.js';
import { parseExposition } from '../helpers/parse-exposition.js';
import { usePushgateway } from '../helpers/pushgateway-fixture.js';
import { nodeEnv, runUserProgram, startUserProgram } from '../helpers/user-program.js';

const gatewayInstalled = requireBinary('prometheus-pushgateway') !== undefined;
const USERS = 100_000;

const PROGRAM = `import { startNodeMetrics } from 'persia-metrics';
const metrics = startNodeMetrics();
const base = { unit: '1', group: 'accuracy', roles: ['trainer'] };
const requests = metrics.registry.define({ ...base, name: 'user_requests_total', type: 'counter', help: 'Requests per user and feature.', labels: ['user', 'feature'] });
const latency = metrics.registry.define({ ...base, name: 'user_latency_seconds', type: 'histogram', unit: 'seconds', help: 'Latency per user.', labels: ['user'], buckets: [0.01, 0.1, 1] });
const features = ['ads', 'search', 'feed'];
const recorded = { requests: 0, perFeature: {}, observations: 0, latencySum: 0 };
for (let user = 0; user < ${USERS}; user += 1) {
  const amount = 1 + (user % 4);
  const feature = features[user % 3];
  requests.labels('user_' + user, feature).inc(amount);
  recorded.requests += amount;
  recorded.perFeature[feature] = (recorded.perFeature[feature] ?? 0) + amount;
  const seconds = (user % 100) / 64;
  latency.labels(user).observe(seconds);
  recorded.observations += 1;
  recorded.latencySum += seconds;
}
await metrics.flush();
await metrics.shutdown();
console.log(JSON.stringify(recorded));
`;

describe.skipIf(!gatewayInstalled)('a family labelled by user id, 100,000 values, real Pushgateway', () => {
  const gateway = usePushgateway();

  it('keeps the limit plus the overflow series, the exact sums, the fold count and one warning per family', async () => {
    const job = 'cardinality_explosion';
    const exit = await runUserProgram(PROGRAM, {
      env: nodeEnv(gateway.address, job, { PERSIA_METRICS_RUNTIME: 'false', PERSIA_METRICS_PUSH_INTERVAL_SECONDS: '60' }),
      timeoutMs: 60_000,
    });
    expect(exit.code, exit.stderr).toBe(0);
    const recorded = JSON.parse(exit.stdout.trim().split('\n').at(-1)!) as { requests: number; perFeature: Record<string, number>; observations: number; latencySum: number };

    const ofJob = [...parseExposition(await gateway.metricsText()).samples].filter(([key]) => key.includes(`job="${job}"`));
    const family = (name: string): [string, number][] => ofJob.filter(([key]) => key.startsWith(`${name}{`));
    const sum = (rows: [string, number][]): number => rows.reduce((total, [, value]) => total + value, 0);

    // The default limit, 2,000 series, plus one overflow series per feature: the user label folded, the feature kept.
    const requests = family('user_requests_total');
    expect(requests).toHaveLength(2_000 + 3);
    expect(sum(requests)).toBe(recorded.requests);
    for (const [feature, amount] of Object.entries(recorded.perFeature)) {
      const inFeature = requests.filter(([key]) => key.includes(`feature="${feature}"`));
      expect(sum(inFeature)).toBe(amount);
      expect(inFeature.some(([key]) => key.includes('user="__overflow__"'))).toBe(true);
    }

    const counts = family('user_latency_seconds_count');
    expect(counts).toHaveLength(2_000 + 1);
    expect(sum(counts)).toBe(recorded.observations);
    expect(sum(family('user_latency_seconds_sum'))).toBeCloseTo(recorded.latencySum, 3);
    expect(sum(family('user_latency_seconds_bucket').filter(([key]) => key.includes('le="+Inf"')))).toBe(recorded.observations);

    const folds = Object.fromEntries(family('persia_metrics_overflow_bindings_total').map(([key, value]) => [/metric="([^"]+)"/.exec(key)![1]!, value]));
    expect(folds).toEqual({ user_requests_total: USERS - 2_000, user_latency_seconds: USERS - 2_000 });

    const warnings = exit.stderr.split('\n').filter((line) => line.includes('reached its limit'));
    expect(warnings).toHaveLength(2);
    expect(warnings.filter((line) => line.includes('metric user_requests_total')).join('\n')).toContain('user="__overflow__" (feature kept)');
    expect(warnings.filter((line) => line.includes('metric user_latency_seconds'))).toHaveLength(1);
  });

  it('with drop_idle_series_seconds, a series left alone leaves the gateway at the next push; one recorded again through its kept handle comes back with its count', async () => {
    const job = 'cardinality_idle';
    const program = `import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { startNodeMetrics } from 'persia-metrics';
const metrics = startNodeMetrics();
const batches = metrics.registry.define({ unit: '1', group: 'accuracy', roles: ['trainer'], name: 'batch_rows_total', type: 'counter', help: 'Rows per batch.', labels: ['batch'] });
const kept = batches.labels('b0');
kept.inc(10);
batches.labels('b1').inc(20);
await metrics.flush();
console.log('pushed');
while (!existsSync('go')) await sleep(50);
kept.inc(1);
await metrics.flush();
await metrics.shutdown();
`;
    const stored = async (): Promise<Record<string, number>> =>
      Object.fromEntries(
        [...parseExposition(await gateway.metricsText()).samples]
          .filter(([key]) => key.startsWith('batch_rows_total{') && key.includes(`job="${job}"`))
          .map(([key, value]) => [/batch="([^"]+)"/.exec(key)![1]!, value]),
      );
    const running = startUserProgram(program, {
      env: nodeEnv(gateway.address, job, { PERSIA_METRICS_RUNTIME: 'false', PERSIA_METRICS_PUSH_INTERVAL_SECONDS: '0.5', PERSIA_METRICS_DROP_IDLE_SERIES_SECONDS: '1' }),
    });
    // flush() resolved: the gateway took b0 and b1 (not read back here: with a one-second window they may
    // already be gone by the time a loaded machine gets to look).
    await waitFor(async () => running.stdout().includes('pushed'), { what: 'the first push' });
    // Unchanged for over a second: both leave the node, and its next push (a PUT of its group) leaves them out.
    await waitFor(async () => Object.keys(await stored()).length === 0, { what: 'the idle series to leave the gateway' });
    writeFileSync(join(running.dir, 'go'), '');
    const exit = await running.exited;
    expect(exit.code, exit.stderr).toBe(0);
    expect(await stored()).toEqual({ b0: 11 });
  });
});
