/** The view draws the dashboards' own panels, and builds its node table from Prometheus's answers. */
import { describe, expect, it } from 'vitest';
import { NODE_ROLES } from '../../../src/config/node-roles.js';
import { alertSpecs } from '../../../src/monitoring/alert-rules.js';
import { dashboardDefs } from '../../../src/monitoring/dashboards.js';
import { FALLBACK_STALE_SECONDS } from '../../../src/monitoring/health.js';
import { DEFAULT_MONITORING_OPTIONS } from '../../../src/monitoring/options.js';
import { DUPLICATE_IDENTITY_ALERT, FAST_STRAGGLER_ALERT, HUNG_ALERT, STRAGGLER_ALERT } from '../../../src/monitoring/view-contract.js';
import { nodeQueries, nodeRows, type InstantSample } from '../../../src/view/page/node-rows.js';
import { formatValue, legendText } from '../../../src/view/page/format.js';
import { nodeHealthRule, viewPanels } from '../../../src/view/view-panels.js';

describe('viewPanels', () => {
  it('has every time series and stat panel of the dashboards, with title, unit and PromQL, variables substituted', () => {
    const answer = viewPanels('dlrm_v1.0', '15m', 2);
    const drawn = answer.sections.flatMap((section) => section.panels);
    const defined = dashboardDefs({ ...DEFAULT_MONITORING_OPTIONS, pushIntervalSeconds: 2 }).flatMap(([, dashboard]) =>
      dashboard.rows.flatMap((row) => row.panels.filter((panel) => panel.type !== 'heatmap')),
    );
    expect(drawn.map((panel) => [panel.title, panel.unit])).toEqual(defined.map((panel) => [panel.title, panel.unit ?? 'short']));
    for (const panel of drawn) {
      for (const target of panel.targets) {
        expect(target.expr).not.toContain('$');
        expect(target.expr).toContain('dlrm_v1.0');
      }
    }
    expect(drawn.map((panel) => panel.title)).toEqual(expect.arrayContaining(['lookup_rpc_time_cost P50 / P99', 'Index miss ratio', 'Staleness (batches)']));
    // The health panels judge each node by its own push interval, as the stale alert does.
    expect(drawn.find((panel) => panel.title === 'Stale nodes')?.targets[0]?.expr).toContain('> 6 * persia_node_push_interval_seconds{job="dlrm_v1.0"');
    expect(drawn.find((panel) => panel.title === 'lookup_rpc_time_cost P50 / P99')?.targets[0]?.expr).toContain('[60s]');
  });

  it('keeps a job name with quotes or backslashes inside its PromQL string', () => {
    const expr = viewPanels('a"b\\c', '5m').sections[0]?.panels[0]?.targets[0]?.expr ?? '';
    expect(expr).toContain('job="a\\"b\\\\c"');
  });
});

const sample = (metric: Record<string, string>, value: number | string): InstantSample => ({ metric, value: [1700000000, String(value)] });

describe('nodeRows', () => {
  it('judges each node by its own push interval and reads the flags from Prometheus', () => {
    const fast = { job: 'j', role: 'trainer', instance: 'rep_0' };
    const slow = { job: 'j', role: 'server', instance: 'rep_0' };
    const dead = { job: 'j', role: 'trainer', instance: 'rep_1' };
    const rows = nodeRows(
      {
        age: [sample(slow, 50), sample(dead, 13), sample(fast, 0.5)],
        interval: [sample(fast, 2), sample(slow, 10), sample(dead, 2)],
        state: [sample({ ...fast, state: 'running' }, 1), sample({ ...dead, state: 'running' }, 1)],
        failures: [sample(fast, 3)],
        rejected: [sample(slow, 1)],
        duplicate: [sample(fast, 1)],
        straggler: [sample({ ...slow, alertname: 'PersiaStragglerNode', alertstate: 'firing', metric: 'lookup_rpc_time_cost' }, 1)],
      },
      nodeHealthRule(),
    );
    expect(rows.map((row) => `${row.role}/${row.instance}`)).toEqual(['trainer/rep_0', 'trainer/rep_1', 'server/rep_0']);
    expect(rows.map((row) => row.stale)).toEqual([false, true, false]); // 13 s > 6 × 2 s; 50 s < 6 × 10 s
    expect(rows[0]).toMatchObject({ state: 'running', pushFailures: 3, duplicateIdentity: true, straggler: undefined });
    expect(rows[1]).toMatchObject({ missedPushes: 5 });
    expect(rows[2]).toMatchObject({ lastPushRejected: true, straggler: 'firing', stragglerDetail: 'metric=lookup_rpc_time_cost', state: undefined });
  });

  it('marks a node hung as status and PersiaNodeHung judge it: live, running, no progress for a whole push interval', () => {
    const node = (instance: string) => ({ job: 'j', role: 'middleware', instance });
    const names = ['hung', 'busy', 'starting', 'stopped', 'dead', 'paused'];
    const rows = nodeRows(
      {
        age: names.map((name) => sample(node(name), name === 'dead' ? 60 : 1)),
        interval: names.map((name) => sample(node(name), 2)),
        state: names.map((name) => sample({ ...node(name), state: name === 'stopped' ? 'stopping' : 'running' }, 1)),
        // Seconds without progress as of the last push: hung a whole interval, busy never, `paused` half of one.
        progress: names.map((name) => sample(node(name), { hung: 2, busy: 0, starting: 0, stopped: 40, dead: 40, paused: 1 }[name] ?? 0)),
      },
      nodeHealthRule(),
    );
    expect(rows.filter((row) => row.hung).map((row) => row.instance)).toEqual(['hung']);
    expect(rows.find((row) => row.instance === 'hung')).toMatchObject({ condition: 'live', progressAgeSeconds: 2 });
  });

  it('flags a straggler while either straggler alert fires, and says which: the fast one alone is enough (docs/view.md)', () => {
    const node = (instance: string) => ({ job: 'j', role: 'middleware', instance });
    const alert = (instance: string, alertname: string, alertstate: string) => sample({ ...node(instance), alertname, alertstate }, 1);
    const rows = nodeRows(
      {
        age: ['fast', 'both', 'pending'].map((name) => sample(node(name), 1)),
        straggler: [
          alert('fast', FAST_STRAGGLER_ALERT, 'firing'),
          alert('fast', STRAGGLER_ALERT, 'pending'),
          alert('both', FAST_STRAGGLER_ALERT, 'firing'),
          alert('both', STRAGGLER_ALERT, 'firing'),
          alert('pending', STRAGGLER_ALERT, 'pending'),
        ],
      },
      nodeHealthRule(),
    );
    const byName = Object.fromEntries(rows.map((row) => [row.instance, row]));
    expect(byName['fast']).toMatchObject({ straggler: 'firing', stragglerAlerts: [`${STRAGGLER_ALERT} pending`, `${FAST_STRAGGLER_ALERT} firing`] });
    expect(byName['both']).toMatchObject({ straggler: 'firing', stragglerAlerts: [`${STRAGGLER_ALERT} firing`, `${FAST_STRAGGLER_ALERT} firing`] });
    expect(byName['pending']).toMatchObject({ straggler: 'pending', stragglerAlerts: [`${STRAGGLER_ALERT} pending`] });
  });

  it('asks Prometheus about the job only, the straggler flag from the PersiaStragglerNode alert and its fast path', () => {
    const queries = nodeQueries('j');
    expect(queries.straggler).toBe('ALERTS{alertname=~"PersiaStragglerNode|PersiaStragglerNodeFast", job="j"}');
    expect(Object.values(queries).every((query) => query.includes('job="j"'))).toBe(true);
  });
});

describe('what the page shares with the server', () => {
  it('reads the alerts the rules define, and judges nodes by the rule status applies, in the roles order', () => {
    const alerts = alertSpecs(DEFAULT_MONITORING_OPTIONS).map((spec) => spec.alert);
    expect(alerts).toEqual(expect.arrayContaining([STRAGGLER_ALERT, FAST_STRAGGLER_ALERT, HUNG_ALERT, DUPLICATE_IDENTITY_ALERT]));
    expect(nodeQueries('j').duplicate).toContain(`alertname="${DUPLICATE_IDENTITY_ALERT}"`);
    const health = viewPanels('j', '15m').health;
    expect(health).toEqual({
      staleAfterIntervals: DEFAULT_MONITORING_OPTIONS.staleAfterIntervals,
      fallbackStaleSeconds: FALLBACK_STALE_SECONDS,
      statedPushIntervalSeconds: DEFAULT_MONITORING_OPTIONS.pushIntervalSeconds,
      roles: NODE_ROLES,
      hangAfterIntervals: DEFAULT_MONITORING_OPTIONS.hangAfterIntervals,
    });
    // A group without a published interval is stale after the fallback, as `status` marks it.
    const quiet = (instance: string, age: number): InstantSample => sample({ job: 'j', role: 'server', instance }, age);
    const rows = nodeRows({ age: [quiet('old', FALLBACK_STALE_SECONDS + 1), quiet('new', FALLBACK_STALE_SECONDS - 1)] }, health);
    expect(rows.map((row) => [row.instance, row.stale])).toEqual([
      ['new', false],
      ['old', true],
    ]);
  });
});

describe('format', () => {
  it('writes values in the panels’ Grafana units and legends from label values', () => {
    expect([formatValue(0.0042, 's'), formatValue(0.25, 'percentunit'), formatValue(3 * 1024 * 1024, 'bytes'), formatValue(1500, 'ops'), formatValue(Number.NaN, 's')]).toEqual([
      '4.2 ms',
      '25%',
      '3 MiB',
      '1500/s',
      '–',
    ]);
    expect(legendText('P99 {{role}}', { role: 'middleware' })).toBe('P99 middleware');
    expect(legendText('{{feature}}', { job: 'j' })).toBe('job=j');
  });
});

describe('nodeRows: GPUs', () => {
  it("gives a node the GPUs dcgm-exporter reports with it (their own labels are not the node's), by GPU index; a node without has none", () => {
    const gpuNode = { job: 'j', role: 'trainer', instance: 'rep_0' };
    const plain = { job: 'j', role: 'trainer', instance: 'rep_1' };
    const gpu = (index: string) => ({
      ...gpuNode,
      gpu: index,
      UUID: `GPU-${index}`,
      pci_bus_id: '00000000:3B:00.0',
      device: `nvidia${index}`,
      modelName: 'NVIDIA A100',
      Hostname: 'h',
    });
    const rows = nodeRows({ age: [sample(gpuNode, 1), sample(plain, 1)], gpus: [sample(gpu('10'), 20), sample(gpu('2'), 90.5)] }, nodeHealthRule());
    expect(rows.map((row) => row.gpus)).toEqual([
      [
        { gpu: '2', utilisation: 90.5 },
        { gpu: '10', utilisation: 20 },
      ],
      [],
    ]);
    expect(nodeQueries('j').gpus).toBe('DCGM_FI_DEV_GPU_UTIL{job="j"}');
    expect(formatValue(73.5, 'percent')).toBe('73.5%');
  });
});
