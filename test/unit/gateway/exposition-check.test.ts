/**
 * A gateway page that answers 200 yet does not parse as Prometheus reads it (lines recorded from
 * prometheus-pushgateway 1.5.1 after protobuf pushes it accepted with its consistency check on), and the
 * one blame rule for a name held two ways. The real gateway, CLI and Prometheus are driven in
 * test/integration/gateway-page-breakers.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { ApiGroup } from '../../../src/gateway/api.js';
import { ExpositionCheck } from '../../../src/gateway/exposition-check.js';
import { groupsBreakingScrape, parseScrapeErrors } from '../../../src/gateway/scrape-health.js';

const PAGE = `# TYPE a-b gauge
a-b{instance="bad_metric_name",job="jp",role="trainer"} 1
# TYPE g5 gauge
g5{a="",instance="empty_label_value",job="jp",role="trainer"} 1
# TYPE gé gauge
gé{instance="utf8_metric_name",job="jp",role="trainer"} 1
# TYPE h1 histogram
h1_bucket{instance="histogram_le_label",job="jp",le="x",role="trainer",le="1"} 1
h1_bucket{instance="histogram_le_label",job="jp",le="x",role="trainer",le="+Inf"} 1
h1_sum{instance="histogram_le_label",job="jp",le="x",role="trainer"} 1
h1_count{instance="histogram_le_label",job="jp",le="x",role="trainer"} 1
# TYPE h2 histogram
h2_bucket{instance="unsorted_buckets",job="jp",role="trainer",le="5"} 2
h2_bucket{instance="unsorted_buckets",job="jp",role="trainer",le="+Inf"} 3
# HELP push_time_seconds Last Unix time when changing this group in the Pushgateway succeeded.
# TYPE push_time_seconds gauge
push_time_seconds{instance="a \\"quoted\\", value",job="jp",role="trainer"} 1.7965686637685285e+09
`;

const group = (instance: string, families: Record<string, string>): ApiGroup => ({
  labels: { job: 'jp', role: 'trainer', instance },
  ...Object.fromEntries(Object.entries(families).map(([name, type]) => [name, { type, metrics: [] }])),
});

describe('a 200 page read as Prometheus reads it', () => {
  it('names each family whose name or labels Prometheus rejects, with the series labels, and nothing else', () => {
    const check = new ExpositionCheck();
    for (const line of PAGE.split('\n')) check.line(line);
    expect(check.problems.map((p) => [p.metric, p.text, p.labels.get('instance')?.toString()])).toEqual([
      ['a-b', 'invalid metric name "a-b"', 'bad_metric_name'],
      ['gé', 'invalid metric name "gé"', 'utf8_metric_name'],
      ['h1', 'label name "le" is not unique', 'histogram_le_label'],
      ['h1', 'label name "le" is not unique', 'histogram_le_label'],
    ]);
  });

  it("a TYPE line without a type the text format has (where the gateway stopped at a GAUGE_HISTOGRAM) is the family's, every group holding it", () => {
    const check = new ExpositionCheck();
    for (const line of ['# TYPE zz_gh', '']) check.line(line);
    expect(check.problems.map((p) => [p.metric, p.text, p.labels.size])).toEqual([['zz_gh', 'invalid metric type ""', 0]]);
    const groups = [group('a', { zz_gh: 'GAUGE_HISTOGRAM' }), group('b', { zz_gh: 'GAUGE_HISTOGRAM' }), group('c', { g5: 'GAUGE' })];
    expect(groupsBreakingScrape(groups, check.problems).map((b) => b.labels['instance'])).toEqual(['a', 'b']);
  });

  it('blames the groups holding those families, by their labels', () => {
    const check = new ExpositionCheck();
    for (const line of PAGE.split('\n')) check.line(line);
    const groups = [
      group('bad_metric_name', { 'a-b': 'GAUGE' }),
      group('utf8_metric_name', { gé: 'GAUGE' }),
      group('histogram_le_label', { h1: 'HISTOGRAM' }),
      group('ok', { g5: 'GAUGE' }),
    ];
    expect(groupsBreakingScrape(groups, check.problems).map((b) => [b.labels['instance'], b.reasons])).toEqual([
      ['bad_metric_name', ['a-b: invalid metric name "a-b", so Prometheus cannot parse the gateway\'s page']],
      ['utf8_metric_name', ['gé: invalid metric name "gé", so Prometheus cannot parse the gateway\'s page']],
      ['histogram_le_label', ['h1: label name "le" is not unique, so Prometheus cannot parse the gateway\'s page']],
    ]);
  });
});

describe('the one blame rule for a name held two ways', () => {
  it('a name collision: the side fewer groups hold is blamed, not the three nodes it meets', () => {
    const body = '* collected metric named "samples_count" collides with previously collected summary named "samples"\n';
    const groups = [1, 2, 3].map((n) => group(`n${n}`, { samples_count: 'COUNTER' }));
    const evil = group('evil', { samples: 'SUMMARY' });
    const broken = groupsBreakingScrape([...groups, evil], parseScrapeErrors(body));
    expect(broken.map((b) => [b.labels['instance'], b.reasons])).toEqual([
      ['evil', ['samples pushed as summary: its samples meet the counter samples_count, held by 3 groups to its 1']],
    ]);
  });

  it('a tie is said to be one', () => {
    const body =
      '* collected metric "epoch_loss" { label:<name:"instance" value:"b" > label:<name:"job" value:"jp" > label:<name:"role" value:"trainer" > counter:<value:2 > } is not a GAUGE\n';
    const broken = groupsBreakingScrape([group('a', { epoch_loss: 'GAUGE' }), group('b', { epoch_loss: 'COUNTER' })], parseScrapeErrors(body));
    expect(broken.map((b) => [b.labels['instance'], b.reasons])).toEqual([
      ['b', ['epoch_loss pushed as COUNTER; expected GAUGE, the type its other groups use, a tie (1 group each way): the gateway kept the one it gathered first']],
    ]);
  });

  it('a family every group holds with one type, one of whose series is of another: the group holding that series', () => {
    const body =
      '* collected metric "g7" { label:<name:"instance" value:"type_mismatch_body" > label:<name:"job" value:"jp" > label:<name:"role" value:"trainer" > counter:<value:1 > } is not a GAUGE\n';
    const broken = groupsBreakingScrape([group('type_mismatch_body', { g7: 'GAUGE' }), group('other', { g8: 'GAUGE' })], parseScrapeErrors(body));
    expect(broken.map((b) => [b.labels['instance'], b.reasons])).toEqual([['type_mismatch_body', ['g7 is typed GAUGE but holds a sample of another type']]]);
  });
});
