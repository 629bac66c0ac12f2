/**
 * What `expire` and `end-job` decide, from the gateway's JSON (no server: the HTTP side is in
 * test/integration/expire.test.ts): each group judged by its own push interval, other pushers kept, paths a
 * DELETE can reach, durations, and the ties to the stale-node alert and the compose janitor.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { gatewayBaseUrls, parseDuration } from '../../src/cli/kit/flags.js';
import { DEFAULT_DEPLOY_OPTIONS, resolveDeployOptions } from '../../src/deploy/deploy-options.js';
import { alertSpecs } from '../../src/monitoring/alert-rules.js';
import { expireMissedPushes, recommendedExpireAfterSeconds } from '../../src/monitoring/expiry.js';
import { STALE_ALERT_FOR_SECONDS, staleAfterSeconds } from '../../src/monitoring/health.js';
import type { ApiGroup } from '../../src/gateway/api.js';
import { deletePath, planEndJob, planExpiry, stillPushing, type ExpiryRule } from '../../src/discovery/expiry-plan.js';

const NOW = 1_800_000_000;

function group(labels: Record<string, string>, pushAgo: number | undefined, interval?: number, failureAgo?: number): ApiGroup {
  const gauge = (value: number) => ({ metrics: [{ labels, value: String(value) }] });
  return {
    labels,
    last_push_successful: failureAgo === undefined,
    push_time_seconds: gauge(pushAgo === undefined ? 0 : NOW - pushAgo),
    push_failure_time_seconds: gauge(failureAgo === undefined ? 0 : NOW - failureAgo),
    ...(interval === undefined ? {} : { persia_node_push_interval_seconds: gauge(interval) }),
  };
}

const node = (job: string, role: string, instance: string) => ({ job, role, instance });
const rule: ExpiryRule = { afterSeconds: 60, missedPushes: 12, includeOtherPushers: false };

describe('planExpiry', () => {
  const groups = [
    group(node('a', 'trainer', 'rep_0'), 2, 10), // live
    group(node('a', 'trainer', 'rep_1'), 61, 1), // dead: past --after and 12 intervals
    group(node('a', 'server', 'rep_0'), 300, 30), // slow: past --after, but only 10 of its 30 s intervals
    group(node('a', 'server', 'rep_1'), 400, 30), // slow and dead: past 12 x 30 s
    group(node('b', 'trainer', 'rep_0'), 500, 10), // another job
    group({ job: 'a' }, 900), // another pusher: no interval
    group(node('a', 'middleware', 'rep_0'), 500, 10, 3), // its pushes are refused, but it is alive
    group({ job: 'a', instance: 'rep_0', ip_addr: '10.0.0.5' }, 119), // a PersiaML node: no interval, judged by the stated 10 s
    group({ job: 'a', ip_addr: '10.0.0.6', instance: 'rep_1' }, 121), // a dead one, past 12 x 10 s
  ];

  it('deletes only what is older than max(--after, K x its own interval), keeps other pushers', () => {
    const plan = planExpiry(groups, { job: 'a', rule, nowSeconds: NOW });
    const verdicts = Object.fromEntries(plan.map((d) => [JSON.stringify(d.labels), [d.verdict, d.thresholdSeconds]]));
    expect(verdicts).toEqual({
      [JSON.stringify(node('a', 'trainer', 'rep_0'))]: ['live', 120],
      [JSON.stringify(node('a', 'trainer', 'rep_1'))]: ['expired', 60],
      [JSON.stringify(node('a', 'server', 'rep_0'))]: ['live', 360],
      [JSON.stringify(node('a', 'server', 'rep_1'))]: ['expired', 360],
      [JSON.stringify({ job: 'a' })]: ['other-pusher', undefined],
      [JSON.stringify(node('a', 'middleware', 'rep_0'))]: ['live', 120],
      [JSON.stringify({ job: 'a', instance: 'rep_0', ip_addr: '10.0.0.5' })]: ['live', 120],
      [JSON.stringify({ job: 'a', ip_addr: '10.0.0.6', instance: 'rep_1' })]: ['expired', 120],
    });
  });

  it('applies --after alone to other pushers when asked, and looks at every job without --job', () => {
    const plan = planExpiry(groups, { rule: { ...rule, includeOtherPushers: true }, nowSeconds: NOW });
    expect(plan.filter((d) => d.verdict === 'expired').map((d) => d.labels)).toEqual([
      node('a', 'trainer', 'rep_1'),
      node('a', 'server', 'rep_1'),
      node('b', 'trainer', 'rep_0'),
      { job: 'a' },
      { job: 'a', ip_addr: '10.0.0.6', instance: 'rep_1' },
    ]);
  });

  it('never deletes a group whose push time it cannot read', () => {
    expect(planExpiry([group(node('a', 'trainer', 'x'), undefined, 1)], { rule, nowSeconds: NOW })[0]?.verdict).toBe('never-pushed');
  });
});

describe('planEndJob', () => {
  it('takes every group of the job, whoever pushed it, and nothing else', () => {
    const plan = planEndJob([group(node('a', 'trainer', 'rep_0'), 1, 10), group({ job: 'a' }, 5), group(node('ab', 'trainer', 'rep_0'), 100, 1)], 'a', NOW);
    expect(plan.map((d) => d.labels)).toEqual([node('a', 'trainer', 'rep_0'), { job: 'a' }]);
    expect(plan.map(stillPushing)).toEqual([true, false]);
  });
});

describe('deletePath', () => {
  it('reaches groups whose values a plain path cannot carry', () => {
    expect(deletePath(node('dlrm_v1.0', 'trainer', 'rep_0'))).toBe('/metrics/job/dlrm_v1.0/role/trainer/instance/rep_0');
    expect(deletePath(node('a/b', 'trainer', '.'))).toBe('/metrics/job@base64/YS9i/role/trainer/instance@base64/Lg');
    expect(deletePath({ instance: '', job: 'a' })).toBe('/metrics/job/a/instance@base64/=');
    expect(deletePath({ zone: 'eu', job: 'a', ip: '10.0.0.1' })).toBe('/metrics/job/a/ip/10.0.0.1/zone/eu');
  });
});

describe('parseDuration', () => {
  it('reads Prometheus-style durations and plain seconds', () => {
    expect([
      parseDuration('90s'),
      parseDuration('5m'),
      parseDuration('1h'),
      parseDuration('1h30m'),
      parseDuration('500ms'),
      parseDuration('2d'),
      parseDuration('45'),
      parseDuration('0.5'),
    ]).toEqual([90, 300, 3600, 5400, 0.5, 172_800, 45, 0.5]);
  });

  it.each([
    ['abc', 'expected a duration such as 90s, 5m'],
    ['0', 'above 0'],
    ['0s', 'above 0'],
    ['-5m', 'expected a duration such as'],
    ['5 m', 'expected a duration such as'],
    ['5M', 'expected a duration such as'],
    ['', 'expected a duration such as'],
    ['400d', 'at most'],
  ])('refuses %j', (text, message) => {
    expect(() => parseDuration(text)).toThrow(message);
  });

  it('caps --every below what a timer can wait', () => {
    expect(() => parseDuration('30d', 86_400 * 24)).toThrow('at most');
  });
});

describe('--gateway', () => {
  it("takes PERSIA_METRICS_GATEWAY_ADDR's spelling: replicas, schemes, a gateway listed twice read once", () => {
    expect(gatewayBaseUrls('gw1:9091,https://gw2,gw1:9091')).toEqual(['http://gw1:9091', 'https://gw2:443']);
  });

  it.each([
    ['http://gw:9091/metrics', '--gateway: a path or query'],
    ['gw:9091,', '--gateway: an empty address'],
    ['user:pw@gw:9091', '--gateway: credentials'],
  ])('refuses %j naming the option', (text, message) => {
    expect(() => gatewayBaseUrls(text)).toThrow(message);
  });
});

describe('ties to the stale-node alert and the compose janitor', () => {
  it('K is twice the alert intervals, and the advised --after lets the alert fire first', () => {
    expect(expireMissedPushes(DEFAULT_DEPLOY_OPTIONS)).toBe(2 * DEFAULT_DEPLOY_OPTIONS.staleAfterIntervals);
    const stale = alertSpecs(DEFAULT_DEPLOY_OPTIONS).find((spec) => spec.expr.includes('time() - push_time_seconds'));
    expect(stale?.for).toBe(`${STALE_ALERT_FOR_SECONDS}s`);
    // expire follows a node at any interval it takes (a deployment's rules only up to MAX_PUSH_INTERVAL_SECONDS).
    for (const pushIntervalSeconds of [1, 10, 30, 600]) {
      const options = { ...resolveDeployOptions({ jobName: 'j' }), pushIntervalSeconds };
      expect(recommendedExpireAfterSeconds(options)).toBeGreaterThanOrEqual(staleAfterSeconds(options) + STALE_ALERT_FOR_SECONDS + 120);
    }
    expect(recommendedExpireAfterSeconds(DEFAULT_DEPLOY_OPTIONS)).toBe(300);
  });

  it('the shipped compose file has a janitor, off unless its profile is asked for', () => {
    const compose = load(readFileSync(join(import.meta.dirname, '../../compose/docker-compose.yml'), 'utf8')) as {
      services: Record<string, { profiles?: string[]; command?: string[] }>;
    };
    const janitor = compose.services['janitor'];
    expect(janitor?.profiles).toEqual(['janitor']);
    expect(janitor?.command).toEqual(['expire', '--gateway', 'metrics_gateway:9091', '--job', 'persia_demo', '--after', '5m', '--every', '1m']);
    const others = Object.entries(compose.services).filter(([name]) => name !== 'janitor');
    for (const [name, service] of others) expect(service.profiles, name).toBeUndefined();
  });
});
