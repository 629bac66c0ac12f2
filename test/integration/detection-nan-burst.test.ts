/**
 * PersiaNaNGradientBurst on the real servers, from a job's first seconds: a trainer (the library, by its
 * package name) whose NaN count rises at a steady rate from its start raises no burst, though its series is
 * far younger than the rule's half-hour background (it used to, for the first ~10 minutes of every series);
 * 50 NaNs at once on another feature of the same node do, a few seconds in. Pushes and scrapes every second,
 * the rules rendered for that pace (a 2 s window).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveDeployOptions } from '../../src/deploy/deploy-options.js';
import { NAN_BURST_ALERT } from '../../src/monitoring/fast-rules.js';
import { requireBinary } from '../helpers/binaries.js';
import { type RulesJob, startRulesJob } from '../helpers/rules-job.js';
import { killUserPrograms, nodeEnv, startUserProgram } from '../helpers/user-program.js';

const JOB = 'nan_burst_it';
const BURST_AFTER_SECONDS = 20;
const ready = requireBinary('prometheus') !== undefined && requireBinary('prometheus-pushgateway') !== undefined;

// 10 NaNs a second on `steady` from the start (20 in every 2 s window, twice the burst count); 50 at once on `burst`.
const TRAINER = `import { startNodeMetrics } from 'persia-metrics';
const metrics = startNodeMetrics();
const nan = metrics.counter('nan_count');
nan.labels('burst').inc(0);
setInterval(() => nan.labels('steady').inc(1), 100);
setTimeout(() => nan.labels('burst').inc(50), Number(process.argv[2]) * 1000);
`;

describe.skipIf(!ready)('the NaN burst alert on a young series, on real Prometheus + Pushgateway', () => {
  const options = resolveDeployOptions({ jobName: JOB, pushIntervalSeconds: 1, scrapeIntervalSeconds: 1 });
  let stack: RulesJob;

  beforeAll(async () => {
    stack = await startRulesJob('persia-nan-burst-it-', options);
  });

  afterAll(async () => {
    killUserPrograms();
    await stack?.stop();
  });

  it('fires for a burst seconds into the job, never for a steady rate from its start', async () => {
    const trainer = startUserProgram(TRAINER, { env: nodeEnv(stack.gateway.address, JOB, { PERSIA_METRICS_PUSH_INTERVAL_SECONDS: '1' }), args: [String(BURST_AFTER_SECONDS)] });
    const alerts = `ALERTS{alertname="${NAN_BURST_ALERT}", job="${JOB}"}`;
    const firing = await stack.prometheus.queryUntil(alerts, (s) => s.length > 0, (BURST_AFTER_SECONDS + 30) * 1000);
    expect(
      firing.map((s) => s.metric['feature']),
      trainer.stderr(),
    ).toEqual(['burst']);
    // Over every evaluation since the start: the steady feature never fired.
    expect(await stack.prometheus.query(`count_over_time(${alerts.replace('}', ', feature="steady"}')}[5m])`)).toEqual([]);
  }, 90_000);
});
