import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { missingBinaryMessage, requireBinary } from '../helpers/binaries.js';
import { startPrometheus, type RunningPrometheus } from '../../src/local-stack/prometheus-process.js';
import { startPushgateway, type RunningPushgateway } from '../../src/local-stack/pushgateway-process.js';

// Under CI=true a missing binary throws here (a failure, never a silent skip).
const missing = (['prometheus-pushgateway', 'prometheus'] as const).filter((name) => requireBinary(name) === undefined);
const title = missing.length === 0 ? 'test harness: real pushgateway + prometheus' : `test harness (SKIPPED: ${missing.map(missingBinaryMessage).join('; ')})`;

describe.skipIf(missing.length > 0)(title, () => {
  let gateway: RunningPushgateway | undefined;
  let prometheus: RunningPrometheus | undefined;

  beforeAll(async () => {
    gateway = await startPushgateway();
  });

  afterAll(async () => {
    await prometheus?.stop();
    await gateway?.stop();
  });

  it('stores a PUT group and reports it in groups()', async () => {
    const gw = gateway!;
    const res = await fetch(`${gw.url}/metrics/job/x/instance/y`, {
      method: 'PUT',
      body: '# TYPE harness_metric gauge\nharness_metric{kind="demo"} 42\n',
    });
    expect(res.status).toBe(200);

    const groups = await gw.groups();
    expect(groups).toHaveLength(1);
    const [group] = groups;
    expect(group?.labels).toEqual({ job: 'x', instance: 'y' });
    expect(group?.metricNames).toEqual(['harness_metric']);
    expect(group?.pushTimeSeconds).toBeGreaterThan(Date.now() / 1000 - 60);
    expect(group?.pushFailureTimeSeconds).toBe(0);
    expect(await gw.metricsText()).toMatch(/^harness_metric\{.*job="x".*\} 42$/m);
  });

  it('is scraped by Prometheus with honor_labels, keeping job="x"', async () => {
    const gw = gateway!;
    prometheus = await startPrometheus({ scrapeTargets: [gw.address] });

    const samples = await prometheus.queryUntil('harness_metric{job="x"}', (s) => s.length === 1);
    expect(samples[0]?.metric).toMatchObject({ job: 'x', instance: 'y', kind: 'demo' });
    expect(samples[0]?.metric).not.toHaveProperty('exported_job');
    expect(samples[0]?.value).toBe(42);

    const targets = await prometheus.targets();
    expect(targets.map((t) => t.health)).toEqual(['up']);
  });

  it('pause() resolves once the gateway is stopped (a request right after gets no answer) and resume() once it answers again', async () => {
    const running = gateway!;
    const ask = (): Promise<number | string> =>
      fetch(`${running.url}/metrics`, { signal: AbortSignal.timeout(1_000) }).then(
        (response) => response.status,
        (error: Error) => error.name,
      );
    for (let round = 0; round < 3; round += 1) {
      await running.pause();
      expect(await ask()).toBe('TimeoutError');
      await running.resume();
      expect(await ask()).toBe(200);
    }
  });

  it('wipe() and restart() leave an empty gateway on the same port', async () => {
    const gw = gateway!;
    await gw.wipe();
    expect(await gw.groups()).toEqual([]);

    await fetch(`${gw.url}/metrics/job/x`, { method: 'PUT', body: 'harness_metric 1\n' });
    const port = gw.port;
    await gw.restart();
    expect(gw.port).toBe(port);
    expect(await gw.groups()).toEqual([]);
  });
});
