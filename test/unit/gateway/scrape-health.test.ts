/**
 * Reading the gateway's 500 on /metrics (text recorded from prometheus-pushgateway 1.5.1) back to the groups
 * that cause it, addressed by their exact bytes. The real gateway is driven end to end in
 * test/integration/gateway-scrape-breakers.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { ApiGroup } from '../../../src/gateway/api.js';
import { asJsonShowsIt } from '../../../src/gateway/label-bytes.js';
import { groupsBreakingScrape, parseScrapeErrors } from '../../../src/gateway/scrape-health.js';
import { exactGroupingPaths, groupIdentities } from '../../../src/gateway/group-identity.js';

const RECORDED = `An error has occurred while serving metrics:

3 error(s) occurred:
* collected metric "bad_utf" { label:<name:"instance" value:"\\377" > label:<name:"job" value:"d" > untyped:<value:1 > } has a label named "instance" whose value is not utf8: "\\xff"
* collected metric "epoch_loss" { label:<name:"instance" value:"y" > label:<name:"job" value:"a" > counter:<value:2 > } is not a GAUGE
* collected metric "persia_node_state" { label:<name:"instance" value:"w" > label:<name:"job" value:"c" > label:<name:"state" value:"running" > gauge:<value:1 > } is not a UNTYPED
`;

const group = (labels: Record<string, string>, families: Record<string, string>): ApiGroup => ({
  labels,
  ...Object.fromEntries(Object.entries(families).map(([name, type]) => [name, { type, metrics: [] }])),
});

const GROUPS: ApiGroup[] = [
  group({ job: 'a', instance: 'x' }, { epoch_loss: 'GAUGE' }),
  group({ job: 'a', instance: 'y' }, { epoch_loss: 'COUNTER' }),
  group({ job: 'a', instance: 'z' }, { epoch_loss: 'COUNTER' }),
  group({ job: 'c', instance: 'z' }, { persia_node_state: 'UNTYPED' }),
  group({ job: 'c', instance: 'w' }, { persia_node_state: 'GAUGE' }),
  group({ job: 'd', instance: '\uFFFD' }, { bad_utf: 'UNTYPED' }),
  group({ job: 'd' }, { bad_utf: 'UNTYPED' }),
];

describe('the groups that break a gateway scrape', () => {
  it('reads each series the 500 names, with its label bytes and why', () => {
    const problems = parseScrapeErrors(RECORDED);
    expect(problems.map((p) => [p.metric, p.kind])).toEqual([
      ['bad_utf', 'invalid-utf8'],
      ['epoch_loss', 'type-clash'],
      ['persia_node_state', 'type-clash'],
    ]);
    expect([...(problems[0]?.labels.get('instance') ?? [])]).toEqual([0xff]);
  });

  it('blames the type most groups do not use, or the one the catalog does not say, never the group the gateway happened to name', () => {
    const broken = groupsBreakingScrape(GROUPS, parseScrapeErrors(RECORDED), (family) => (family === 'persia_node_state' ? 'gauge' : undefined));
    expect(broken.map((b) => [b.labels, b.reasons])).toEqual([
      [{ job: 'd', instance: '\uFFFD' }, ['a grouping value is not valid UTF-8']],
      [{ job: 'a', instance: 'x' }, ['epoch_loss pushed as GAUGE; expected COUNTER, the type its other groups use']],
      [{ job: 'c', instance: 'z' }, ["persia_node_state pushed as UNTYPED; expected GAUGE, the catalog's type"]],
    ]);
    // The group that is not UTF-8 is addressed by its byte (0xFF is `_w` in url-safe base64), never by U+FFFD.
    const exactPathsOf = (labels: Record<string, string>) => broken.filter((b) => JSON.stringify(b.labels) === JSON.stringify(labels)).map((b) => b.exactPath);
    expect(exactPathsOf({ job: 'd', instance: '\uFFFD' })).toEqual(['/metrics/job@base64/ZA/instance@base64/_w']);
    expect(exactPathsOf({ job: 'e', instance: '\uFFFD' })).toEqual([]);
  });

  it('shows bytes as the JSON API does: one U+FFFD per byte that starts no valid UTF-8 sequence', () => {
    expect(asJsonShowsIt(Uint8Array.from([0x61, 0xff, 0xe2, 0x82, 0x62]))).toBe('a\uFFFD\uFFFD\uFFFDb');
    expect(asJsonShowsIt(Buffer.from('résumé €', 'utf8'))).toBe('résumé €');
    expect(asJsonShowsIt(Uint8Array.from([0xed, 0xa0, 0x80]))).toBe('\uFFFD\uFFFD\uFFFD'); // a UTF-16 surrogate is not UTF-8
  });
});

describe('groups the JSON API shows alike (bytes that are not UTF-8 as U+FFFD)', () => {
  // As prometheus-pushgateway 1.5.1 answered for three groups pushed under instance x\xff, x\xfe, x\xc0.
  const line = (metric: string, octal: string, value: string, hex: string): string =>
    `* collected metric "${metric}" { label:<name:"instance" value:"x\\${octal}" > label:<name:"job" value:"hj2" > label:<name:"role" value:"server" > gauge:<value:${value} > } has a label named "instance" whose value is not utf8: "x\\x${hex}"`;
  const body = [
    line('push_time_seconds', '300', '0', 'c0'),
    line('push_time_seconds', '377', '0', 'ff'),
    line('push_failure_time_seconds', '300', '1.7965562194202616e+09', 'c0'),
    line('push_failure_time_seconds', '377', '1.7965562187218454e+09', 'ff'),
  ].join('\n');
  const timed = (failure: string): ApiGroup => ({
    labels: { job: 'hj2', role: 'server', instance: 'x\uFFFD' },
    push_time_seconds: { type: 'GAUGE', metrics: [{ value: '0' }] },
    push_failure_time_seconds: { type: 'GAUGE', metrics: [{ value: failure }] },
  });

  it('gives each group the exact path whose push times are its own', () => {
    const [ff, c0] = [timed('1796556218.7218454'), timed('1796556219.4202616')];
    const paths = exactGroupingPaths([ff, c0], parseScrapeErrors(body));
    expect(paths.get(ff)).toBe('/metrics/job@base64/aGoy/instance@base64/eP8/role@base64/c2VydmVy');
    expect(paths.get(c0)).toBe('/metrics/job@base64/aGoy/instance@base64/eMA/role@base64/c2VydmVy');
  });

  it('takes the one group more than the 500 names for the real U+FFFD, and says which identities the gateway holds', () => {
    const [ff, c0, real] = [timed('1796556218.7218454'), timed('1796556219.4202616'), timed('1796556300')];
    const ffPath = '/metrics/job@base64/aGoy/instance@base64/eP8/role@base64/c2VydmVy';
    const realPath = `/metrics/job@base64/aGoy/instance@base64/${Buffer.from('x\uFFFD').toString('base64url')}/role@base64/c2VydmVy`;
    const failing = { ok: false, statusCode: 500, detail: '', problems: parseScrapeErrors(body) };
    const identities = groupIdentities([ff, c0, real], failing);
    expect([ff, c0, real].map(identities.pathOf)).toEqual([ffPath, '/metrics/job@base64/aGoy/instance@base64/eMA/role@base64/c2VydmVy', realPath]);
    // Once the real U+FFFD is gone, the 0xFF group is still told apart from it.
    expect(groupIdentities([ff, c0], failing).holds(realPath)).toBe(false);
    expect(groupIdentities([real], { ok: true, statusCode: 200, detail: '', problems: [] }).holds(realPath)).toBe(true);
    // Not probed: a group shown with U+FFFD is no known identity, and nothing spelt like it can be said gone.
    const unprobed = groupIdentities([real], undefined);
    expect(unprobed.pathOf(real)).toBeUndefined();
    expect(unprobed.holds(ffPath)).toBeUndefined();
    expect(unprobed.holds('/metrics/job@base64/aGoy')).toBe(false);
  });

  it('leaves out a group no push time tells apart, and one that matches none', () => {
    const never = timed('0');
    const other = timed('1796556300');
    const paths = exactGroupingPaths([never, other], parseScrapeErrors(body));
    expect(paths.size).toBe(0);
  });
});
