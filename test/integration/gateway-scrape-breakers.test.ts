/**
 * Issue 19 part 1 on the real Pushgateway and Prometheus: one bad push must not blind a whole gateway
 * unnoticed. Two nodes of a job (users' programs importing `persia-metrics`) define one family with two
 * types; a foreign pusher leaves a group whose grouping value is not valid UTF-8. With the consistency check
 * off (the shipped flag), the gateway's /metrics answers 500 and Prometheus scrapes nothing of any job:
 * the built CLI's `status` names the gateway and the groups within a scrape interval, and `repair` deletes
 * exactly those groups so Prometheus scrapes again. With the check on, the clash costs the clashing family
 * only. `end-job` and `expire` delete a non-UTF-8 group for real (by its exact bytes) and say so only once a
 * re-read confirms it.
 *
 * Needs `npm run build` first (the programs and the CLI run dist/).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { staticGatewayScrapeJobYaml } from '../../src/deploy/prometheus/gateway-series.js';
import { resolveDeployOptions } from '../../src/deploy/deploy-options.js';
import { renderAlertRules } from '../../src/deploy/prometheus/rule-files.js';
import { GATEWAY_SCRAPE_JOB_PREFIX } from '../../src/monitoring/health.js';
import { startPrometheus, type RunningPrometheus } from '../../src/local-stack/prometheus-process.js';
import { startPushgateway, type RunningPushgateway } from '../../src/local-stack/pushgateway-process.js';
import { waitFor } from '../../src/local-stack/wait-for.js';
import { requireBinary } from '../helpers/binaries.js';
import { clashingNode } from '../helpers/clashing-node.js';
import { runCli } from '../helpers/cli-runner.js';
import { killUserPrograms, runUserProgram } from '../helpers/user-program.js';

const rulesDir = mkdtempSync(join(tmpdir(), 'persia-scrape-breakers-'));
const servers = requireBinary('prometheus-pushgateway') !== undefined && requireBinary('prometheus') !== undefined;
afterAll(() => {
  killUserPrograms();
  rmSync(rulesDir, { recursive: true, force: true });
});

/** The neighbour every test expects Prometheus to keep scraping: a job-only group of another job. */
async function pushNeighbour(gateway: RunningPushgateway): Promise<void> {
  const answer = await fetch(`${gateway.url}/metrics/job/neighbour`, { method: 'PUT', body: '# TYPE neighbour_value gauge\nneighbour_value 7\n' });
  expect(answer.ok).toBe(true);
}

/** A foreign pusher's group whose `label` (instance unless told) is the single byte 0xFF (`_w` in url-safe base64): not UTF-8. */
async function pushNotUtf8(gateway: RunningPushgateway, job: string, base64 = '_w', label = 'instance'): Promise<void> {
  const answer = await fetch(`${gateway.url}/metrics/job/${job}/${label}@base64/${base64}`, { method: 'PUT', body: 'bytes_value 1\n' });
  expect([200, 202, 400]).toContain(answer.status); // with the check on the push is refused, but the group stays
}

async function scraped(prometheus: RunningPrometheus, promql: string, what: string): Promise<void> {
  await prometheus
    .queryUntil(promql, (samples) => samples.length > 0, 15_000)
    .catch((error: unknown) => {
      throw new Error(`${what}: ${String(error)}`);
    });
}

describe.skipIf(!servers)('a push that breaks the gateway page: check off (as shipped)', () => {
  let gateway: RunningPushgateway | undefined;
  let prometheus: RunningPrometheus | undefined;
  afterEach(async () => {
    await prometheus?.stop();
    await gateway?.stop();
  });

  it('two nodes defining one family with two types: status names the gateway and the group within a scrape, repair restores scraping', async () => {
    gateway = await startPushgateway({ extraArgs: ['--push.disable-consistency-check'] });
    // Scraped as a deployment scrapes it (a persia_gateway_* job), with the shipped alert rules.
    const rules = join(rulesDir, 'persia-alerts.yml');
    writeFileSync(rules, renderAlertRules(resolveDeployOptions({ jobName: 'clash' })));
    const scrapeJob = `${GATEWAY_SCRAPE_JOB_PREFIX}clash`;
    prometheus = await startPrometheus({
      scrapeIntervalSeconds: 1,
      ruleFiles: [rules],
      // A gateway several jobs share (clash, a neighbour): no job label, so each job's groups are kept.
      extraScrapeConfigsYaml: staticGatewayScrapeJobYaml(scrapeJob, [gateway.address]),
    });
    await pushNeighbour(gateway);
    await scraped(prometheus, 'neighbour_value', 'the neighbour is scraped before the clash');

    // Both nodes see their pushes accepted: nothing on the node side can tell.
    const [gauge, counter] = await Promise.all([runUserProgram(clashingNode(gateway.address, 0, 'gauge')), runUserProgram(clashingNode(gateway.address, 1, 'counter'))]);
    expect([gauge.code, gauge.stdout.trim()], gauge.stderr).toEqual([0, 'flushed']);
    expect([counter.code, counter.stdout.trim()], counter.stderr).toEqual([0, 'flushed']);

    // The whole page fails: Prometheus's target is down with the gateway's 500, the neighbour included.
    const target = await waitFor(async () => (await prometheus?.targets())?.find((t) => t.health === 'down' && t.lastError.includes('500')), {
      timeoutMs: 10_000,
      intervalMs: 200,
      what: 'Prometheus to see the gateway scrape fail with 500',
    });
    expect(target.lastError).toMatch(/500/);
    await prometheus.queryUntil(`up{job="${scrapeJob}"} == 0 and on() scrape_samples_scraped{job="${scrapeJob}"} == 0`, (samples) => samples.length === 1);
    // The gateway alert is pending within seconds (it fires after its `for`), the 500 as its target's error.
    await scraped(prometheus, `ALERTS{alertname="PersiaGatewayDown", job="${scrapeJob}"}`, 'PersiaGatewayDown pending for the blinded gateway');

    const status = await runCli(['status', '--job', 'clash', '--gateway', gateway.address]);
    expect(status.code, status.stderr).toBe(1);
    expect(status.stdout).toContain('NOT SCRAPABLE');
    expect(status.stderr).toContain(`gateway ${gateway.address} answers 500 on /metrics`);
    expect(status.stderr).toMatch(/broken by group job="clash" role="trainer" instance="rep_[01]": epoch_loss pushed as (GAUGE|COUNTER)/);

    const dryRun = await runCli(['repair', '--gateway', gateway.address, '--dry-run']);
    expect(dryRun.code, dryRun.stderr).toBe(0);
    expect((await gateway.groups()).filter((g) => g.labels['job'] === 'clash')).toHaveLength(2);

    const repair = await runCli(['repair', '--gateway', gateway.address]);
    expect(repair.code, `${repair.stdout}\n${repair.stderr}`).toBe(0);
    expect(repair.stdout).toContain('1 of 1 group deleted; /metrics now answers 200');
    // Only one of the two clashing groups went; the neighbour and the other node stay and are scraped again.
    const left = (await gateway.groups()).map((g) => g.labels['instance'] ?? '').sort();
    expect(left.filter((instance) => instance.startsWith('rep_'))).toHaveLength(1);
    await scraped(prometheus, `up{job="${scrapeJob}"} == 1 and on() neighbour_value == 7`, 'the gateway scraped again after repair');
    await scraped(prometheus, 'samples_seen{job="clash"}', "the remaining node's metrics scraped again");
    const after = await runCli(['status', '--job', 'clash', '--gateway', gateway.address]);
    expect(after.code, after.stderr).toBe(0);
  }, 60_000);

  it('a group that is not UTF-8: end-job deletes it by its exact bytes and confirms it; the page works again', async () => {
    gateway = await startPushgateway({ extraArgs: ['--push.disable-consistency-check'] });
    await pushNeighbour(gateway);
    await pushNotUtf8(gateway, 'bytes_job');
    await expect(gateway.metricsText()).rejects.toMatchObject({ statusCode: 500 });
    // The JSON API shows the value as U+FFFD, a spelling a DELETE cannot reach.
    expect((await gateway.groups()).find((g) => g.labels['job'] === 'bytes_job')?.labels['instance']).toBe('\uFFFD');

    const status = await runCli(['status', '--job', 'neighbour', '--gateway', gateway.address]);
    expect(status.code).toBe(1);
    expect(status.stderr).toContain('broken by group job="bytes_job" instance="\\xff": a grouping value is not valid UTF-8');

    const ended = await runCli(['end-job', '--job', 'bytes_job', '--gateway', gateway.address]);
    expect(ended.code, `${ended.stdout}\n${ended.stderr}`).toBe(0);
    expect(ended.stdout).toContain('1 of 1 group deleted');
    expect((await gateway.groups()).map((g) => g.labels['job'])).toEqual(['neighbour']);
    expect(await gateway.metricsText()).toContain('neighbour_value{instance="",job="neighbour"} 7');
  }, 30_000);
});

describe.skipIf(!servers)('a push that breaks the gateway page: check on', () => {
  let gateway: RunningPushgateway | undefined;
  let prometheus: RunningPrometheus | undefined;
  afterEach(async () => {
    await prometheus?.stop();
    await gateway?.stop();
  });

  it('two nodes defining one family with two types: only that family of one node is lost, the job is scraped', async () => {
    gateway = await startPushgateway();
    prometheus = await startPrometheus({ scrapeTargets: [gateway.address], scrapeIntervalSeconds: 1 });
    await pushNeighbour(gateway);
    const first = await runUserProgram(clashingNode(gateway.address, 0, 'gauge'));
    expect(first.stdout.trim(), first.stderr).toBe('flushed');
    const second = await runUserProgram(clashingNode(gateway.address, 1, 'counter'));
    // The second node is told: its explicit flush rejects with the gateway's reason, and it warned once.
    // The gateway names whichever of the two series it gathered first (Go's map order): either type.
    expect(second.stdout).toMatch(/flush failed: .*epoch_loss.*is not a (GAUGE|COUNTER)/s);
    // The node says which family the gateway refused and that it keeps pushing the rest.
    expect(second.stderr).toMatch(/warning: gateway refused metric epoch_loss; pushing the node's other metrics without it/);
    await scraped(prometheus, 'samples_seen{job="clash",instance="rep_1"} == 101', "the refused node's other family");
    await scraped(prometheus, 'samples_seen{job="clash",instance="rep_0"} == 100 and on() neighbour_value == 7', 'the rest of the gateway');
    expect(await prometheus.query('epoch_loss{job="clash"}')).toHaveLength(1);
    const status = await runCli(['status', '--job', 'clash', '--gateway', gateway.address]);
    expect(status.stderr).not.toContain('/metrics');
    expect(status.code, status.stderr).toBe(0);
  }, 60_000);

  it('a group that is not UTF-8 still breaks the page (the push is refused, the group stays): expire deletes it for real', async () => {
    gateway = await startPushgateway();
    await pushNeighbour(gateway);
    // Keyed by a label other than instance: not a node (which expire would judge by the stated 10 s interval),
    // so --include-other-pushers applies --after alone.
    await pushNotUtf8(gateway, 'bytes_job', '_w', 'shard');
    await pushNotUtf8(gateway, 'bytes_job', '_g', 'shard'); // 0xFE: shown as the same U+FFFD
    await expect(gateway.metricsText()).rejects.toMatchObject({ statusCode: 500 });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const expired = await runCli(['expire', '--gateway', gateway.address, '--after', '1s', '--include-other-pushers', '--job', 'bytes_job']);
    expect(expired.code, `${expired.stdout}\n${expired.stderr}`).toBe(0);
    expect(expired.stdout.match(/ deleted job="bytes_job"/g)).toHaveLength(2);
    expect((await gateway.groups()).map((g) => g.labels['job'])).toEqual(['neighbour']);
    expect(await gateway.metricsText()).toContain('neighbour_value');
  }, 30_000);
});
