/**
 * One node model for `status`, the view and the rules (src/monitoring/health.ts): a node that stopped
 * cleanly is "stopped", never "stale"; a node is its whole grouping key, so a neighbour's group under the
 * same job/role/instance plus one more label neither refreshes it nor stands in for it; and the series only
 * the rules may write are dropped from every gateway scrape of the shipped Prometheus configs. (What the
 * rules then compute is proven by promtool on persia-alerts.test.yml, in
 * test/integration/deploy-assets-tools.test.ts; the whole chain on the real servers in
 * test/integration/node-model.test.ts.)
 */
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { decideExpiry } from '../../src/discovery/expiry-plan.js';
import { markMovedNodes, readJobGroups, summarizeGroups } from '../../src/discovery/gateway-status.js';
import { renderRepositoryDeployment } from '../../src/deploy/render-deployment.js';
import { alertSpecs } from '../../src/monitoring/alert-rules.js';
import { isNodeGroup, NODE_KEY_LABEL, nodeCondition, nodeKey, pushAgeVersusThreshold } from '../../src/monitoring/health.js';
import { DEFAULT_MONITORING_OPTIONS } from '../../src/monitoring/options.js';
import { recordingRuleGroups } from '../../src/monitoring/recording-rules.js';
import { ruleSeriesNames } from '../../src/monitoring/rule-series.js';
import { groupRows, nodeQueries, nodeRows, type InstantSample } from '../../src/view/page/node-rows.js';
import { nodeHealthRule } from '../../src/view/view-panels.js';
import { kubernetesNames } from '../../src/deploy/kubernetes/manifests.js';
import { renderKubernetesScrapeConfig, serviceMonitor } from '../../src/deploy/kubernetes/monitoring.js';
import { DEFAULT_DEPLOY_OPTIONS } from '../../src/deploy/deploy-options.js';

const HOUR = 3600;

describe('a node that stopped cleanly', () => {
  it('is stopped, not stale, however old its last push; a node that just went quiet is stale', () => {
    expect(nodeCondition('stopping', HOUR, 6)).toBe('stopped');
    expect(nodeCondition('running', HOUR, 6)).toBe('stale');
    expect(nodeCondition('running', 5, 6)).toBe('live');
    expect(nodeCondition(undefined, undefined, 6)).toBe('stale');
  });

  it('is "stopped" in status, with stale false, while a SIGKILLed one is stale', () => {
    const group = (instance: string, state: string) => ({
      labels: { job: 'j', role: 'trainer', instance },
      push_time_seconds: { metrics: [{ value: '100' }] },
      persia_node_push_interval_seconds: { metrics: [{ value: '1' }] },
      persia_node_state: { metrics: ['init', 'running', 'stopping'].map((s) => ({ labels: { state: s }, value: s === state ? '1' : '0' })) },
    });
    const nodes = summarizeGroups([group('rep_0', 'stopping'), group('rep_1', 'running')], { job: 'j', nowSeconds: 100 + HOUR, staleAfterIntervals: 6, gateway: 'g' });
    expect(nodes.map((n) => [n.instance, n.state, n.condition, n.stale])).toEqual([
      ['rep_0', 'stopping', 'stopped', false],
      ['rep_1', 'running', 'stale', true],
    ]);
  });

  it('is a "stopped" row in the view, not a stale one', () => {
    const stopped = { job: 'j', role: 'trainer', instance: 'rep_0' };
    const killed = { job: 'j', role: 'trainer', instance: 'rep_1' };
    const sample = (metric: Record<string, string>, value: number): InstantSample => ({ metric, value: [0, String(value)] });
    const rows = nodeRows(
      {
        age: [sample(stopped, HOUR), sample(killed, HOUR)],
        interval: [sample(stopped, 1), sample(killed, 1)],
        state: [sample({ ...stopped, state: 'stopping' }, 1), sample({ ...killed, state: 'running' }, 1)],
      },
      nodeHealthRule(),
    );
    expect(rows.map((row) => [row.instance, row.condition, row.stale])).toEqual([
      ['rep_0', 'stopped', false],
      ['rep_1', 'stale', true],
    ]);
  });
});

describe('a node is its whole grouping key', () => {
  it('in status: a neighbour group under rep_1 plus a label is a node of its own, and no replica of rep_1', () => {
    const data = [
      { labels: { job: 'j', role: 'trainer', instance: 'rep_1' }, push_time_seconds: { metrics: [{ value: '100' }] } },
      {
        labels: { job: 'j', role: 'trainer', instance: 'rep_1', shadow: 'x' },
        push_time_seconds: { metrics: [{ value: '999' }] },
        persia_node_state: { metrics: [{ labels: { state: 'stopping' }, value: '1' }] },
      },
    ];
    const nodes = markMovedNodes(summarizeGroups(data, { job: 'j', nowSeconds: 1000, staleAfterIntervals: 6, gateway: 'g' }));
    expect(nodes.map((n) => [n.groupingKey, n.condition, n.movedTo])).toEqual([
      [{ job: 'j', role: 'trainer', instance: 'rep_1' }, 'stale', undefined],
      [{ job: 'j', role: 'trainer', instance: 'rep_1', shadow: 'x' }, 'stopped', undefined],
    ]);
  });

  it('in the view: the neighbour neither refreshes the dead rep_1 nor lends it its state, failures or flags', () => {
    const dead = { job: 'j', role: 'trainer', instance: 'rep_1', persia_job: 'j' };
    const shadow = { ...dead, shadow: 'x' };
    const sample = (metric: Record<string, string>, value: number): InstantSample => ({ metric, value: [0, String(value)] });
    const rows = nodeRows(
      {
        age: [sample(dead, 600), sample(shadow, 0.2)],
        interval: [sample(dead, 1), sample(shadow, 1)],
        state: [sample({ ...shadow, state: 'stopping' }, 1)],
        failures: [sample(shadow, 7)],
        duplicate: [sample({ ...shadow, alertname: 'PersiaDuplicateNodeIdentity', alertstate: 'firing' }, 1)],
        straggler: [sample({ ...shadow, alertname: 'PersiaStragglerNode', alertstate: 'firing', severity: 'warning' }, 1)],
      },
      nodeHealthRule(),
    );
    expect(rows.map((row) => [row.instance, row.extraLabels, row.condition, row.pushFailures, row.duplicateIdentity, row.straggler])).toEqual([
      ['rep_1', [], 'stale', undefined, false, undefined],
      ['rep_1', ['shadow=x'], 'stopped', 7, true, 'firing'],
    ]);
  });

  it('in the rules: no node alert aggregates or matches by job/role/instance alone', () => {
    const node = /\b(by|on)\s*\(\s*job,\s*role,\s*instance\s*\)/;
    for (const spec of alertSpecs(DEFAULT_MONITORING_OPTIONS)) expect(spec.expr, spec.alert).not.toMatch(node);
    for (const group of recordingRuleGroups()) for (const rule of group.rules) expect(rule.expr, 'record' in rule ? rule.record : rule.alert).not.toMatch(node);
  });
});

describe("PersiaML's own nodes (no role, no interval, job/instance/ip_addr)", () => {
  const worker = (instance: string, ip: string) => ({ job: 'j', instance, ip_addr: ip });
  const gauge = (value: number) => ({ metrics: [{ value: String(value) }] });

  it('in status: each is a node with the role its families show, judged by the stated interval', () => {
    const data = [
      { labels: { ip_addr: '10.0.0.1', job: 'j', instance: 'rep_0' }, push_time_seconds: gauge(1000 - 30), lookup_total_time_cost_sec: gauge(0.05) },
      { labels: worker('rep_1', '10.0.0.2'), push_time_seconds: gauge(1000 - 61), batch_unique_indices_rate: { metrics: [{ labels: { feat: 'f0' }, value: '0.5' }] } },
      { labels: worker('rep_0', '10.0.0.3'), push_time_seconds: gauge(1000 - 5), lookup_hashmap_time_cost_sec: gauge(0.01), index_miss_count: gauge(3) },
      { labels: worker('rep_2', '10.0.0.4'), push_time_seconds: gauge(1000 - 5) }, // nothing pushed yet
      { labels: { job: 'j', role: 'trainer', instance: 'rep_0' }, push_time_seconds: gauge(1000 - 5), persia_node_push_interval_seconds: gauge(1) },
    ];
    const summary = (stated?: number) =>
      summarizeGroups(data, { job: 'j', nowSeconds: 1000, staleAfterIntervals: 6, gateway: 'g', ...(stated === undefined ? {} : { statedPushIntervalSeconds: stated }) }).map(
        (n) => [n.role, n.instance, n.groupingKey['ip_addr'], n.condition],
      );
    expect(summary()).toEqual([
      ['trainer', 'rep_0', undefined, 'live'],
      ['middleware', 'rep_0', '10.0.0.1', 'live'],
      ['middleware', 'rep_1', '10.0.0.2', 'stale'],
      ['server', 'rep_0', '10.0.0.3', 'live'],
      ['unknown', 'rep_2', '10.0.0.4', 'live'],
    ]);
    // A job configured to push every 20 s: its PersiaML nodes are judged by 6 x 20 s.
    expect(summary(20)[2]).toEqual(['middleware', 'rep_1', '10.0.0.2', 'live']);
  });

  it('in the view: rows by their whole key, roles from the families query, stale by the stated interval', () => {
    const sample = (metric: Record<string, string>, value: number): InstantSample => ({ metric, value: [0, String(value)] });
    const w0 = worker('rep_0', '10.0.0.1');
    const w0b = worker('rep_0', '10.0.0.2'); // the same replica index on another host: another node
    const s0 = worker('rep_0', '10.0.0.3');
    const rows = nodeRows(
      {
        age: [sample(w0, 5), sample(w0b, 61), sample(s0, 5), sample(worker('rep_9', '10.0.0.9'), 5)],
        roleFamilies: [
          sample({ ...w0, persia_family_role: 'middleware' }, 1),
          sample({ ...w0b, persia_family_role: 'middleware' }, 1),
          sample({ ...s0, persia_family_role: 'server' }, 1),
        ],
      },
      nodeHealthRule(),
    );
    expect(rows.map((row) => [row.role, row.instance, row.extraLabels, row.condition, row.missedPushes])).toEqual([
      ['middleware', 'rep_0', ['ip_addr=10.0.0.1'], 'live', 0],
      ['middleware', 'rep_0', ['ip_addr=10.0.0.2'], 'stale', 5], // 61 s at the stated 10 s
      ['server', 'rep_0', ['ip_addr=10.0.0.3'], 'live', 0],
      ['unknown', 'rep_9', ['ip_addr=10.0.0.9'], 'live', 0],
    ]);
    // A group keyed by job alone is another program's: listed (apart from the nodes), no missed pushes counted.
    expect(nodeRows({ age: [sample({ job: 'j' }, 61)] }, nodeHealthRule())[0]?.missedPushes).toBeUndefined();
    expect(groupRows({ age: [sample({ job: 'j' }, 61)] }, nodeHealthRule()).others).toEqual([{ key: nodeKey({ job: 'j' }), labels: ['job=j'], ageSeconds: 61 }]);
    // The query asks for role-less groups only, by the families that decide, and drops `feat`.
    expect(nodeQueries('j').roleFamilies).toContain('role=""');
    expect(nodeQueries('j').roleFamilies).toContain('group without (feat)');
  });
});

describe('pushed series cannot pass for the rules’ own', () => {
  const names = ruleSeriesNames();
  const dropped = (relabel: Array<{ source_labels?: string[]; sourceLabels?: string[]; regex?: string; action?: string }> | undefined): RegExp[] =>
    (relabel ?? []).filter((r) => r.action === 'drop' && JSON.stringify(r.source_labels ?? r.sourceLabels) === '["__name__"]').map((r) => new RegExp(`^(?:${r.regex ?? ''})$`));

  it('names ALERTS, ALERTS_FOR_STATE and every recorded series, and nothing a node pushes', () => {
    expect(names.slice(0, 2)).toEqual(['ALERTS', 'ALERTS_FOR_STATE']);
    for (const group of recordingRuleGroups()) for (const rule of group.rules) if ('record' in rule) expect(names).toContain(rule.record);
    expect(names.some((name) => name.startsWith('persia_node_') || name === 'push_time_seconds')).toBe(false);
  });

  it('every gateway job of the shipped compose and Kubernetes configs drops exactly those names', () => {
    const rendered = renderRepositoryDeployment();
    type Job = { job_name: string; metric_relabel_configs?: Array<{ source_labels?: string[]; regex?: string; action?: string }> };
    const configs = ['config/prometheus/prometheus.yml', 'config/prometheus/prometheus-swarm.yml'].map((path) => load(rendered.get(path) ?? '') as { scrape_configs: Job[] });
    configs.push(load(renderKubernetesScrapeConfig(DEFAULT_DEPLOY_OPTIONS)) as { scrape_configs: Job[] });
    const gatewayJobs = configs.flatMap((config) => config.scrape_configs.filter((job) => job.job_name.startsWith('persia_gateway_')));
    expect(gatewayJobs.length).toBeGreaterThanOrEqual(6);
    for (const job of gatewayJobs) {
      const rules = dropped(job.metric_relabel_configs);
      for (const name of [...names, 'push_time_seconds', 'persia_node_state', 'lookup_rpc_time_cost_bucket']) {
        expect(
          rules.some((rule) => rule.test(name)),
          `${job.job_name} / ${name}`,
        ).toBe(names.includes(name));
      }
    }
    const monitor = serviceMonitor(DEFAULT_DEPLOY_OPTIONS, kubernetesNames(DEFAULT_DEPLOY_OPTIONS.jobName)) as unknown as {
      spec: { endpoints: Array<{ metricRelabelings: Array<{ sourceLabels?: string[]; regex?: string; action?: string }> }> };
    };
    const monitorRules = dropped(monitor.spec.endpoints[0]?.metricRelabelings);
    expect(names.every((name) => monitorRules.some((rule) => rule.test(name)))).toBe(true);
    expect(monitorRules.some((rule) => rule.test('persia_node_state'))).toBe(false);
  });
});

describe('which group is a node: one answer for the stale alert, expire, status and the view', () => {
  // Each group pushed once, an hour ago; `node` is what the stale alert's PromQL (health.ts, pushAgeVersusThreshold) judges.
  const cases: Array<{ what: string; labels: Record<string, string>; interval?: number; node: boolean }> = [
    { what: "keyed by job alone (a batch job's last result)", labels: { job: 'j' }, node: false },
    { what: 'keyed by job and another label, no instance', labels: { job: 'j', shard: 's1' }, node: false },
    { what: 'keyed by job alone, publishing its interval', labels: { job: 'j', role: 'trainer' }, interval: 5, node: true },
    { what: 'keyed by an instance, no interval (PersiaML)', labels: { job: 'j', instance: 'rep_0', ip_addr: '10.0.0.1' }, node: true },
  ];
  const gauge = (value: number) => ({ metrics: [{ value: String(value) }] });
  const now = 10 * HOUR;

  it.each(cases)('$what', ({ labels, interval, node }) => {
    expect(isNodeGroup(labels, interval)).toBe(node);
    const group = { labels, push_time_seconds: gauge(now - HOUR), ...(interval === undefined ? {} : { persia_node_push_interval_seconds: gauge(interval) }) };
    // status: a node is listed and stale; any other group is listed apart, never stale.
    const status = readJobGroups([group], { job: 'j', nowSeconds: now, staleAfterIntervals: 6, gateway: 'g' });
    expect(status.nodes.map((n) => n.stale)).toEqual(node ? [true] : []);
    expect(status.otherGroups.map((g) => g.groupingKey)).toEqual(node ? [] : [labels]);
    // expire: a node expires, another group is kept as another pusher's.
    expect(decideExpiry(group, { afterSeconds: 60, missedPushes: 12, includeOtherPushers: false }, now).verdict).toBe(node ? 'expired' : 'other-pusher');
    // the view: the same split.
    const sample = (value: number): InstantSample => ({ metric: labels, value: [0, String(value)] });
    const rows = groupRows({ age: [sample(HOUR)], ...(interval === undefined ? {} : { interval: [sample(interval)] }) }, nodeHealthRule());
    expect(rows.nodes.map((row) => row.stale)).toEqual(node ? [true] : []);
    expect(rows.others.length).toBe(node ? 0 : 1);
  });

  it('the stale alert reads the same definition: an instance asked of the groups that publish no interval', () => {
    expect(pushAgeVersusThreshold(DEFAULT_MONITORING_OPTIONS, '>')).toContain(`push_time_seconds{${NODE_KEY_LABEL}!=""}`);
  });
});
