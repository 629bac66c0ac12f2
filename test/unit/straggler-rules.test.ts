/**
 * The straggler rules' inputs: their options are checked like the other deploy options, and the histograms
 * they read as batch counters exist. (What the rules compute is proven by promtool, persia-alerts.test.yml, in
 * test/integration/deploy-assets-tools.test.ts, and on real servers in test/integration/stragglers.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { renderAlertRules } from '../../src/deploy/prometheus/rule-files.js';
import { resolveDeployOptions } from '../../src/deploy/deploy-options.js';
import { BATCH_TIME_COSTS } from '../../src/monitoring/straggler-rules.js';
import { promDuration } from '../../src/monitoring/duration.js';
import { DeployUsageError } from '../../src/errors.js';
import { findMetricSpec } from '../../src/metrics/catalog.js';

describe('straggler deploy options', () => {
  it.each([1, 0.5, 0, -2, NaN, Infinity])('threshold %s is refused: a score is a ratio to a typical node', (stragglerThreshold) => {
    expect(() => resolveDeployOptions({ jobName: 'dlrm', stragglerThreshold })).toThrow(DeployUsageError);
    expect(() => resolveDeployOptions({ jobName: 'dlrm', stragglerThreshold })).toThrow(/straggler threshold must be a number above 1/);
  });

  it.each([0, -60, 1.5, NaN, Infinity])('for %s s is refused: Prometheus durations are whole numbers', (stragglerForSeconds) => {
    expect(() => resolveDeployOptions({ jobName: 'dlrm', stragglerForSeconds })).toThrow(/straggler duration must be a positive whole number of seconds/);
  });

  it('the threshold and duration reach the alert', () => {
    const rules = renderAlertRules(resolveDeployOptions({ jobName: 'dlrm', stragglerThreshold: 1.5, stragglerForSeconds: 90 }));
    const alert = rules.slice(rules.indexOf('- alert: PersiaStragglerNode'));
    expect(alert).toContain('> 1.5');
    expect(alert).toContain('for: 90s');
  });

  it('durations are written in the largest whole unit', () => {
    expect(promDuration(600)).toBe('10m');
    expect(promDuration(7200)).toBe('2h');
    expect(promDuration(90)).toBe('90s');
  });
});

describe('batch counters', () => {
  it.each(BATCH_TIME_COSTS)('%s is a time-cost histogram of the catalog', (name) => {
    const spec = findMetricSpec(name);
    expect(spec?.type).toBe('histogram');
    expect(spec?.help).toMatch(/batch/i);
  });
});
