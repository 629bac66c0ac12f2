/**
 * What the view makes of --prometheus and of Prometheus's answers before the page sees them: credentials go
 * to Prometheus as basic auth and are never printed; a 401 / 404 is named, not shown as an empty page; a node
 * that looks stale only because Prometheus was away is not flagged; demo's PromQL escapes the job.
 */
import { describe, expect, it } from 'vitest';
import { demoQueries } from '../../../src/cli/demo-command.js';
import { parsePrometheusUrl } from '../../../src/cli/view-command.js';
import { nodeRows, staleByOutage, type InstantSample } from '../../../src/view/page/node-rows.js';
import { counted } from '../../../src/view/page/format.js';
import { redactedUrl } from '../../../src/gateway/url-credentials.js';
import { prometheusUpstream, refusedReason } from '../../../src/view/prometheus-proxy.js';
import { nodeHealthRule } from '../../../src/view/view-panels.js';
import { nodeKey } from '../../../src/monitoring/health.js';

describe('--prometheus with credentials', () => {
  it('keeps user:password for Prometheus as basic auth, out of the URL fetch uses and of what is printed', () => {
    const url = parsePrometheusUrl('http://alice:s3cret@127.0.0.1:9090/prometheus/');
    expect(url).toBe('http://alice:s3cret@127.0.0.1:9090/prometheus');
    const upstream = prometheusUpstream(url, 1000);
    expect(upstream.baseUrl).toBe('http://127.0.0.1:9090/prometheus');
    expect(upstream.authorization).toBe(`Basic ${Buffer.from('alice:s3cret').toString('base64')}`);
    expect(redactedUrl(url)).toBe('http://alice:***@127.0.0.1:9090/prometheus');
    expect(prometheusUpstream(parsePrometheusUrl('http://127.0.0.1:9090'), 1000).authorization).toBeUndefined();
  });

  it('decodes a percent-encoded password (an @ or : in it)', () => {
    const upstream = prometheusUpstream(parsePrometheusUrl('http://bob:p%40ss%3Aword@localhost:9090'), 1000);
    expect(Buffer.from(upstream.authorization?.slice('Basic '.length) ?? '', 'base64').toString()).toBe('bob:p@ss:word');
  });

  it('takes a lone % and bytes that are not UTF-8 as they are (no "URI malformed"), and a password given apart verbatim', () => {
    const credentials = (url: string, password?: string): Buffer =>
      Buffer.from(prometheusUpstream(parsePrometheusUrl(url), 1000, password).authorization?.slice('Basic '.length) ?? '', 'base64');
    expect(credentials('http://bob:100%@localhost:9090').toString()).toBe('bob:100%');
    expect(credentials('http://bob:%FF%zz@localhost:9090')).toEqual(Buffer.concat([Buffer.from('bob:'), Buffer.from([0xff]), Buffer.from('%zz')]));
    expect(credentials('http://bob@localhost:9090', '50% "@/ü').toString()).toBe('bob:50% "@/ü');
  });
});

describe("answers that are not from Prometheus's query API", () => {
  it('names a 404 (the gateway, a path prefix Prometheus does not serve) and a 401 without the address', () => {
    expect(refusedReason(404, 'text/plain', '/api/v1/query')).toBe(
      'Prometheus at the configured address answered 404 for /api/v1/query: is --prometheus the Prometheus that scrapes the gateway (its address, and its path prefix if any)?',
    );
    expect(refusedReason(401, 'text/plain', '/api/v1/query')).toContain(
      'answered 401 for /api/v1/query: it wants credentials (give them in --prometheus as http://user:password@host:port)',
    );
  });

  it("passes Prometheus's own errors for a bad query (400/422 with JSON) and every 2xx / 5xx on", () => {
    expect(refusedReason(400, 'application/json', '/api/v1/query')).toBeUndefined();
    expect(refusedReason(422, 'application/json', '/api/v1/query_range')).toBeUndefined();
    expect(refusedReason(200, 'application/json', '/api/v1/query')).toBeUndefined();
    expect(refusedReason(503, 'text/html', '/api/v1/query')).toBeUndefined();
  });
});

describe('staleness right after an outage of Prometheus', () => {
  const sample = (instance: string, value: number): InstantSample => ({ metric: { role: 'trainer', instance }, value: [0, String(value)] });
  // Prometheus away from t=1000 to t=1030; now t=1031, stale after 6 intervals of 1 s.
  const recent = { now: 1031, outage: { from: 1000, to: 1030 } };
  const HEALTH = nodeHealthRule();

  it('does not flag a node that was pushing when the outage began; flags one that was dead before it', () => {
    const answers = { age: [sample('live', 32), sample('dead', 60)], interval: [sample('live', 1), sample('dead', 1)] };
    const rows = nodeRows(answers, HEALTH, recent);
    expect(rows.map((row) => [row.instance, row.stale, row.ageUnsure])).toEqual([
      ['dead', true, false],
      ['live', false, true],
    ]);
    // A node already flagged before the outage stays flagged, however close to the threshold it died.
    expect(
      nodeRows({ age: [sample('dead', 31)], interval: [sample('dead', 1)] }, HEALTH, { ...recent, staleBefore: new Set([nodeKey({ role: 'trainer', instance: 'dead' })]) })[0]
        ?.stale,
    ).toBe(true);
    // Without an outage the same ages are both stale.
    expect(nodeRows(answers, HEALTH).map((row) => row.stale)).toEqual([true, true]);
  });

  it('judges again once Prometheus has been back for a stale threshold', () => {
    expect(staleByOutage(32, 6, 1031, recent.outage)).toBe(true);
    expect(staleByOutage(40, 6, 1037, recent.outage)).toBe(false);
    expect(staleByOutage(32, 6, 1031, undefined)).toBe(false);
  });
});

describe('wording', () => {
  it('counts in the singular for one', () => {
    expect(counted(1, 'node')).toBe('1 node');
    expect(counted(3, 'node')).toBe('3 nodes');
    expect(counted(1, 'duplicate identity', 'duplicate identities')).toBe('1 duplicate identity');
    expect(counted(0, 'duplicate identity', 'duplicate identities')).toBe('0 duplicate identities');
  });
});

describe('demo', () => {
  it('escapes the job in its PromQL (a quote or a backslash in the name)', () => {
    for (const { promql } of demoQueries('a"b\\c')) expect(promql).toContain('job="a\\"b\\\\c"');
  });
});
