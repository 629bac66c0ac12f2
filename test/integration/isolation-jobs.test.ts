/**
 * Jobs and nodes never mix: two jobs with their own gateways and two jobs sharing one, nodes of every role
 * with the same replica index; and label values that usually break something (`/`, empty, unicode, quotes,
 * backslashes, newlines), as metric labels and as grouping-key values, arrive intact in the real gateway and
 * in Prometheus.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPrometheus, type RunningPrometheus } from '../../src/local-stack/prometheus-process.js';
import { startPushgateway, type RunningPushgateway } from '../../src/local-stack/pushgateway-process.js';
import { NODE_ROLES } from '../../src/metrics/catalog.js';
import { startNodeMetrics, type NodeMetrics } from '../../src/node-metrics.js';
import { requireBinary } from '../helpers/binaries.js';
import { parseExposition, seriesKey } from '../helpers/parse-exposition.js';

const servers = requireBinary('prometheus-pushgateway') !== undefined && requireBinary('prometheus') !== undefined;
const quiet = { warn: () => {}, info: () => {} };
const NASTY = ['a/b', '', 'ünïcødé 日本 🚀', 'say "hi"', 'back\\slash', 'two\nlines', ' spaced ', '/', '@base64'];

describe.skipIf(!servers)('isolation and label values, through the real gateway and Prometheus', () => {
  let own: RunningPushgateway[];
  let shared: RunningPushgateway;
  let prometheus: RunningPrometheus;
  const nodes: NodeMetrics[] = [];

  beforeAll(async () => {
    own = await Promise.all([startPushgateway(), startPushgateway()]);
    shared = await startPushgateway();
    prometheus = await startPrometheus({ scrapeTargets: [...own, shared].map((gateway) => gateway.address), scrapeIntervalSeconds: 1 });
  });
  afterAll(async () => {
    await Promise.all(nodes.map((node) => node.shutdown(1).catch(() => {})));
    await prometheus?.stop();
    await Promise.all([...(own ?? []), shared].map((gateway) => gateway?.stop()));
  });

  function node(gateway: RunningPushgateway, jobName: string, role: (typeof NODE_ROLES)[number], extra: Record<string, unknown> = {}): NodeMetrics {
    const created = startNodeMetrics({
      env: {},
      logger: quiet,
      options: { jobName, role, replicaIndex: 0, gatewayAddr: gateway.address, pushIntervalSeconds: 60, collectRuntimeMetrics: false, ...extra },
    });
    nodes.push(created);
    return created;
  }

  it('two jobs with their own gateways and two sharing one never mix series; roles with one replica index never overwrite', async () => {
    const placements = [
      ['iso_own_a', own[0]],
      ['iso_own_b', own[1]],
      ['iso_shared_a', shared],
      ['iso_shared_b', shared],
    ] as const;
    const expected: string[] = [];
    for (const [job, gateway] of placements) {
      for (const role of NODE_ROLES) {
        for (const replica of [0, 1]) {
          const one = node(gateway!, job, role, { replicaIndex: replica });
          // A value unique to this job/role/replica: any overwrite or mix shows as a wrong number.
          one.gauge('num_pending_batches').set(job.length * 100 + NODE_ROLES.indexOf(role) * 10 + replica);
          expected.push(`${job}/${role}/rep_${replica}=${job.length * 100 + NODE_ROLES.indexOf(role) * 10 + replica}`);
        }
      }
    }
    await Promise.all(nodes.map((one) => one.flush()));
    const samples = await prometheus.queryUntil('num_pending_batches{job=~"iso_.*"}', (found) => found.length === expected.length);
    const seen = samples.map((sample) => `${sample.metric['job']}/${sample.metric['role']}/${sample.metric['instance']}=${sample.value}`);
    expect(seen.sort()).toEqual(expected.sort());
    // Each job's series sit on its own gateway only (own gateways hold exactly one job each).
    for (const [index, gateway] of own.entries()) {
      const jobs = new Set((await gateway.groups()).map((group) => group.labels['job']));
      expect([...jobs]).toEqual([`iso_own_${'ab'[index]}`]);
    }
    expect(new Set((await shared.groups()).filter((group) => group.labels['job']?.startsWith('iso_')).map((group) => group.labels['job']))).toEqual(
      new Set(['iso_shared_a', 'iso_shared_b']),
    );
  });

  it('awkward label values round-trip intact as metric labels', async () => {
    const one = node(shared, 'iso_label_values', 'trainer');
    NASTY.forEach((value, index) =>
      one
        .counter('nan_count')
        .labels(value)
        .inc(index + 1),
    );
    await one.flush();
    const key = { instance: 'rep_0', job: 'iso_label_values', role: 'trainer' };
    const inGateway = parseExposition(await shared.metricsText()).samples;
    NASTY.forEach((value, index) => {
      expect(inGateway.get(seriesKey('nan_count', { ...key, feature: value })), JSON.stringify(value)).toBe(index + 1);
    });
    // Prometheus has no empty label values: feature="" becomes the series without the label.
    const inPrometheus = await prometheus.queryUntil('nan_count{job="iso_label_values"}', (found) => found.length === NASTY.length);
    expect(new Map(inPrometheus.map((sample) => [sample.metric['feature'] ?? '', sample.value]))).toEqual(new Map(NASTY.map((value, index) => [value, index + 1])));
  });

  it('awkward job and instance names (/, spaces, unicode, quotes, newlines) are separate groups, read back intact', async () => {
    const names = [
      ['team/a b', 'rep 0'],
      ['team', 'a b/rep 0'], // must not collide with the one above: same characters, other split
      ['dlrm v1.0', 'ü "q" \\ \n x'],
      ['job@base64', '@base64'],
    ] as const;
    names.forEach(([job, instance], index) =>
      node(shared, job, 'server', { instance })
        .gauge('index_miss_ratio')
        .set(index / 10),
    );
    await Promise.all(nodes.slice(-names.length).map((one) => one.flush()));
    const groups = await shared.groups();
    for (const [job, instance] of names) {
      expect(
        groups.some((group) => group.labels['job'] === job && group.labels['instance'] === instance),
        `${job} / ${instance}`,
      ).toBe(true);
    }
    const selector = `index_miss_ratio{job=~"team.*|dlrm v1.0|job@base64"}`;
    const samples = await prometheus.queryUntil(selector, (found) => found.length === names.length);
    expect(samples.map((sample) => [sample.metric['job'], sample.metric['instance'], sample.value]).sort()).toEqual(
      names.map(([job, instance], index) => [job, instance, index / 10]).sort(),
    );
  });
});
