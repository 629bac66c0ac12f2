/**
 * Every alert names its node one way (NODE_NAME of src/monitoring/rule-model.ts): role (`node` for PersiaML's
 * own nodes, which push none), instance, `ip_addr` when set, job. Before, summaries read "{{ $labels.role }}
 * {{ $labels.instance }}", so two PersiaML nodes of one replica index on two hosts read alike, with an empty
 * role. promtool proves Prometheus expands the template as expandAnnotation does (persia-alerts.test.yml's
 * expected annotations come from it; test/integration/deploy-assets-tools.test.ts runs them).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { resolveDeployOptions } from '../../src/deploy/deploy-options.js';
import { alertSpecs } from '../../src/monitoring/alert-rules.js';
import { expandAnnotation, NODE_NAME } from '../../src/monitoring/rule-model.js';

const specs = alertSpecs(resolveDeployOptions({ jobName: 'dlrm' }));
/** The one alert about a gateway, not a node. */
const GATEWAY_ALERTS = new Set(['PersiaGatewayDown']);

describe('alert summaries name a node', () => {
  it('the same way in every alert about a node, from one definition', () => {
    const nodeAlerts = specs.filter((spec) => !GATEWAY_ALERTS.has(spec.alert));
    expect(nodeAlerts.length).toBeGreaterThan(10);
    for (const spec of nodeAlerts) expect(spec.summary, spec.alert).toContain(NODE_NAME);
    for (const spec of specs) expect(`${spec.summary} ${spec.description}`, spec.alert).not.toMatch(/\{\{ \$labels\.role \}\}/);
  });

  it('tells apart two PersiaML nodes that differ only by host, and says `node` for a missing role', () => {
    const a = expandAnnotation(NODE_NAME, { job: 'dlrm', instance: 'rep_0', ip_addr: '10.0.0.1' });
    const b = expandAnnotation(NODE_NAME, { job: 'dlrm', instance: 'rep_0', ip_addr: '10.0.0.2' });
    expect(a).toBe('node rep_0 at 10.0.0.1 of job dlrm');
    expect(b).not.toBe(a);
    expect(expandAnnotation(NODE_NAME, { job: 'dlrm', role: 'server', instance: 's0' })).toBe('server s0 of job dlrm');
    expect(expandAnnotation(NODE_NAME, { job: 'dlrm', role: '', instance: 's0', ip_addr: '' })).toBe('node s0 of job dlrm');
  });

  it('in every shipped rule file (Prometheus and Kubernetes)', () => {
    for (const file of ['config/prometheus/rules/persia-alerts.yml', 'kubernetes/prometheus-rules.yaml', 'kubernetes/prometheus-operator/prometheus-rule.yaml']) {
      const text = readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8');
      const summaries = text.split('\n').filter((line) => /^\s*summary:/.test(line) && !line.includes('Pushgateway'));
      expect(summaries.length, file).toBe(specs.length - GATEWAY_ALERTS.size);
      for (const line of summaries) expect(line, file).toContain(NODE_NAME);
    }
  });
});
