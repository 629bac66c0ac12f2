import { describe, expect, it } from 'vitest';
import { MetricDefinitionError } from '../../../src/errors.js';
import { defaultInstance, encodeGroupingPath, groupingPath } from '../../../src/push/grouping-key.js';
import { parseGatewayAddress, parseGatewayList } from '../../../src/gateway/address.js';
import { pickReplica } from '../../../src/gateway/rendezvous.js';

describe('grouping key', () => {
  it('puts job, role and instance in the path', () => {
    expect(groupingPath({ job: 'dlrm_v1.0', role: 'server', instance: 'rep_3' })).toBe('/metrics/job/dlrm_v1.0/role/server/instance/rep_3');
  });

  it('sends values with a slash and empty values in the @base64 form', () => {
    expect(groupingPath({ job: 'team/dlrm', role: 'trainer', instance: '' })).toBe(
      `/metrics/job@base64/${Buffer.from('team/dlrm').toString('base64url')}/role/trainer/instance@base64/=`,
    );
  });

  it('sends the dot segments "." and ".." in the @base64 form (URL normalisation would drop or climb them)', () => {
    expect(groupingPath({ job: '..', role: 'trainer', instance: '.' })).toBe('/metrics/job@base64/Li4/role/trainer/instance@base64/Lg');
    expect(Buffer.from('Li4', 'base64url').toString()).toBe('..');
    // Only whole segments are dot segments: dots inside a value travel as they are.
    expect(groupingPath({ job: '...', role: 'trainer', instance: 'rep.0' })).toBe('/metrics/job/.../role/trainer/instance/rep.0');
    expect(
      encodeGroupingPath([
        ['job', 'j'],
        ['zone', '.'],
      ]),
    ).toBe('/metrics/job/j/zone@base64/Lg');
  });

  it('refuses a value with a lone surrogate with a typed error (no UTF-8 form; encodeURIComponent threw a URIError)', () => {
    expect(() => groupingPath({ job: 'j', role: 'trainer', instance: 'rep\uD800' })).toThrow(MetricDefinitionError);
    expect(() => groupingPath({ job: 'a/\uDC00', role: 'trainer', instance: 'x' })).toThrow(/lone UTF-16 surrogate/);
    expect(groupingPath({ job: 'j', role: 'trainer', instance: '\uD83D\uDE80' })).toBe('/metrics/job/j/role/trainer/instance/%F0%9F%9A%80');
  });

  it('percent-encodes other characters', () => {
    expect(groupingPath({ job: 'my job ✓', role: 'trainer', instance: 'a?b#c' })).toBe('/metrics/job/my%20job%20%E2%9C%93/role/trainer/instance/a%3Fb%23c');
  });

  it('derives the instance from the replica index, else from host and pid', () => {
    expect(defaultInstance({ replicaIndex: 7, instance: undefined })).toBe('rep_7');
    expect(defaultInstance({ replicaIndex: 7, instance: 'custom' })).toBe('custom');
    expect(defaultInstance({ replicaIndex: undefined, instance: undefined })).toMatch(new RegExp(`_${process.pid}$`));
  });
});

describe('gateway address', () => {
  it.each([
    ['metrics_gateway:9091', 'http://metrics_gateway:9091'],
    ['metrics_gateway', 'http://metrics_gateway:9091'],
    ['http://10.0.0.1:9091/', 'http://10.0.0.1:9091'],
    ['https://gw.example', 'https://gw.example:443'],
    ['[::1]:9091', 'http://[::1]:9091'],
  ])('%s → %s', (text, baseUrl) => {
    expect(parseGatewayAddress(text).address?.baseUrl).toBe(baseUrl);
  });

  it.each([
    ['gw:9091/metrics', /path/],
    ['ftp://gw:21', /scheme "ftp"/],
    ['http://user:secret@gw:9091', /credentials/],
    ['', /empty/],
    ['gw:99999', /not host:port/],
  ])('refuses %s', (text, reason) => {
    expect(parseGatewayAddress(text).error).toMatch(reason);
  });

  it('never repeats a secret from the address in its error', () => {
    expect(parseGatewayAddress('http://user:secret@gw:9091').error).not.toContain('secret');
  });

  it('reads a comma-separated list of replicas', () => {
    expect(parseGatewayList('a:1, b:2').addresses?.map((address) => address.baseUrl)).toEqual(['http://a:1', 'http://b:2']);
  });

  it('spreads nodes over replicas, and moves only the nodes of a removed replica', () => {
    const replicas = parseGatewayList('g0:9091,g1:9091,g2:9091,g3:9091').addresses ?? [];
    const keys = Array.from({ length: 400 }, (_, index) => `/metrics/job/j/role/trainer/instance/rep_${index}`);
    const before = keys.map((key) => pickReplica(replicas, key).host);
    const perReplica = new Map<string, number>();
    for (const host of before) perReplica.set(host, (perReplica.get(host) ?? 0) + 1);
    for (const count of perReplica.values()) expect(count).toBeGreaterThan(60);
    const after = keys.map((key) => pickReplica(replicas.slice(1), key).host);
    keys.forEach((_, index) => {
      if (before[index] !== 'g0') expect(after[index]).toBe(before[index]);
    });
  });
});
