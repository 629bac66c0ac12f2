/**
 * The fast path's inputs and shape: its options are checked like the other deploy options, its windows come
 * from the push and scrape intervals, its scores keep each node's whole grouping key, and what it records is
 * dropped from gateway scrapes. (What the rules compute is proven by promtool on persia-alerts.test.yml, in
 * test/integration/deploy-assets-tools.test.ts, and on real servers in test/integration/hang.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { renderAlertRules } from '../../src/deploy/prometheus/rule-files.js';
import { resolveDeployOptions } from '../../src/deploy/deploy-options.js';
import { DeployUsageError } from '../../src/errors.js';
import { alertRuleGroups } from '../../src/monitoring/alert-rules.js';
import { DOWN_ALERT, FAST_RULE_GROUP, FAST_STRAGGLER_RECORDS, fastWindowSeconds } from '../../src/monitoring/fast-rules.js';
import { ruleSeriesNames } from '../../src/monitoring/rule-series.js';
import { summarizeGroups } from '../../src/discovery/gateway-status.js';
import { FAST_STRAGGLER_ALERT, HUNG_ALERT } from '../../src/monitoring/view-contract.js';

const options = (extra: object = {}) => resolveDeployOptions({ jobName: 'dlrm', ...extra });

describe('fast-path options', () => {
  it.each([1, 0.5, 0, NaN])('a down-after of %s intervals is refused: a live node is up to one interval old', (downAfterIntervals) => {
    expect(() => options({ downAfterIntervals })).toThrow(DeployUsageError);
    expect(() => options({ downAfterIntervals })).toThrow(/down-after intervals must be a number above 1/);
  });

  it.each([0, -1, NaN])('a hang-after of %s intervals is refused', (hangAfterIntervals) => {
    expect(() => options({ hangAfterIntervals })).toThrow(/hang-after intervals must be a positive number/);
  });

  it.each([1, 0.9, NaN])('a fast straggler threshold of %s is refused', (fastStragglerThreshold) => {
    expect(() => options({ fastStragglerThreshold })).toThrow(/fast straggler threshold must be a number above 1/);
  });

  it.each([0, 1.5, -15])('a scrape interval of %s s is refused (Prometheus durations are whole numbers here)', (scrapeIntervalSeconds) => {
    expect(() => options({ scrapeIntervalSeconds })).toThrow(/scrape interval must be a positive whole number of seconds/);
  });
});

describe('fast rules', () => {
  it('size their window from the push and scrape intervals: 30s at 10 s pushes and 15 s scrapes, 2s at 1 s and 1 s', () => {
    expect(fastWindowSeconds(options())).toBe(30);
    expect(fastWindowSeconds(options({ pushIntervalSeconds: 1, scrapeIntervalSeconds: 1 }))).toBe(2);
    expect(fastWindowSeconds(options({ pushIntervalSeconds: 60 }))).toBe(120);
    const rules = renderAlertRules(options({ pushIntervalSeconds: 1, scrapeIntervalSeconds: 1 }));
    // Every range is the fast window, but the NaN burst's background: the half hour before it. No subquery: its
    // cost stays the NaN series' samples, whatever the job's size (test/integration/detection-large-job.test.ts).
    expect(new Set(rules.slice(rules.indexOf(FAST_RULE_GROUP)).match(/\[[^\]]+\]/g))).toEqual(new Set(['[2s]', '[30m]']));
  });

  it('run in one group after the scores they read, and keep every node label (no by (job, role, instance))', () => {
    const group = alertRuleGroups(options()).find((g) => g.name === FAST_RULE_GROUP);
    const names = group?.rules.map((rule) => ('alert' in rule ? rule.alert : rule.record)) ?? [];
    expect(names.slice(-4)).toEqual([HUNG_ALERT, DOWN_ALERT, FAST_STRAGGLER_ALERT, 'PersiaNaNGradientBurst']);
    expect(names).toContain(FAST_STRAGGLER_RECORDS.throughputSlowdown);
    for (const rule of group?.rules ?? []) expect(rule.expr).not.toMatch(/by \(job, role, instance\)/);
  });

  it('what they record is dropped from gateway scrapes (a pushed copy would pass for the rules own)', () => {
    for (const record of Object.values(FAST_STRAGGLER_RECORDS)) expect(ruleSeriesNames()).toContain(record);
  });

  it('thresholds reach the rules', () => {
    const rules = renderAlertRules(options({ hangAfterIntervals: 3, downAfterIntervals: 4, fastStragglerThreshold: 1.7, nanBurstCount: 25 }));
    expect(rules).toContain('persia_node_progress_age_seconds > 2.5 * persia_node_push_interval_seconds');
    expect(rules).toContain('timestamp(push_time_seconds) - push_time_seconds > 4 * persia_node_push_interval_seconds');
    expect(rules).toContain('ratio_fast > 1.7 and');
    expect(rules).toContain('ratio_fast > 1.7 unless');
    expect(rules).toContain('>= 25');
  });
});

describe('status', () => {
  it('calls a live running node hung once its last push reported no progress for a push interval; never a stopped, stale or starting one', () => {
    const group = (instance: string, state: string, progressAge: number, pushedAt = 95) => ({
      labels: { job: 'j', role: 'middleware', instance },
      push_time_seconds: { metrics: [{ value: String(pushedAt) }] },
      persia_node_push_interval_seconds: { metrics: [{ value: '10' }] },
      persia_node_progress_age_seconds: { metrics: [{ value: String(progressAge) }] },
      persia_node_state: { metrics: ['running', 'stopping'].map((s) => ({ labels: { state: s }, value: s === state ? '1' : '0' })) },
    });
    const nodes = summarizeGroups(
      [group('hung', 'running', 10), group('busy', 'running', 0), group('stopped', 'stopping', 30), group('dead', 'running', 30, 0), group('late', 'running', 4)],
      { job: 'j', nowSeconds: 100, staleAfterIntervals: 6, gateway: 'g' },
    );
    expect(nodes.filter((n) => n.hung).map((n) => n.instance)).toEqual(['hung']);
    expect(nodes.find((n) => n.instance === 'hung')).toMatchObject({ condition: 'live', progressAgeSeconds: 10 });
    // With the rules' count raised to 2 pushes, one interval without progress is not a hang yet.
    const patient = summarizeGroups([group('hung', 'running', 10)], { job: 'j', nowSeconds: 100, staleAfterIntervals: 6, gateway: 'g', hangAfterIntervals: 2 });
    expect(patient[0]?.hung).toBe(false);
  });
});
