/**
 * `persia-metrics init --nodes N --series-per-node M` in-process through commander: it prints the sizing
 * model's suggestion after the files it writes, says whether Kubernetes' --gateways are enough, and exits 2
 * naming the option, writing nothing, for a bad value or for one of the two options alone.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runInProcess, type InProcessResult } from '../helpers/in-process-cli.js';
import { capacityFigures, suggestGatewayShards } from '../../src/monitoring/capacity.js';

const CAPACITY_FIGURES = capacityFigures();

const dir = mkdtempSync(join(tmpdir(), 'persia-capacity-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `persia-metrics <args>` in-process; returns exit code and what it printed. */
function cli(...args: string[]): Promise<InProcessResult> {
  return runInProcess(args);
}

describe('init --nodes --series-per-node', () => {
  it('prints the sizing for the job after writing its files', async () => {
    const target = join(dir, 'compose');
    const result = await cli('init', '--job', 'dlrm', '--dir', target, '--nodes', '512', '--series-per-node', '2000');
    expect(result.code, result.err).toBe(0);
    const s = suggestGatewayShards({ nodes: 512, seriesPerNode: 2_000, intervalSeconds: 10 });
    expect(result.out).toMatch(/^wrote \d+ files for job "dlrm"/);
    expect(result.out).toContain(`sizing for 512 nodes × 2,000 series every 10 s (1,024,000 series; model measured ${CAPACITY_FIGURES.measuredAt}, see docs/capacity.md):\n`);
    expect(result.out).toContain(`  gateways: ${s.shards} (${s.limitedBy}), consistency check off\n`);
    expect(result.out).toContain('  consistency check: off (the job needs more than one gateway): a type clash breaks the gateway');
    expect(result.out).toContain(`  gateway cores: ${s.gatewayCores.toFixed(1)} · gateway memory: ${s.gatewayGiB.toFixed(1)} GiB (all gateways together)\n`);
    expect(result.out).toContain(`  Prometheus: ${s.prometheusCores.toFixed(1)} cores for 68,267 samples/s (15 s scrapes)\n`);
    expect(result.out).toContain(s.shards > 1 ? `one compose gateway is not enough: run ${s.shards} gateway services` : 'the one compose gateway is enough');
  });

  it('follows --push-interval, and a small job needs one gateway', async () => {
    const result = await cli('init', '--job', 'small', '--dir', join(dir, 'small'), '--nodes', '4', '--series-per-node', '100', '--push-interval', '30');
    expect(result.code, result.err).toBe(0);
    expect(result.out).toContain('sizing for 4 nodes × 100 series every 30 s (400 series;');
    expect(result.out).toContain('  gateways: 1 (one gateway is enough)');
    expect(result.out).toContain('  the one compose gateway is enough\n');
    // A job this small can afford the gateway's own consistency check: a type clash then costs one family.
    expect(result.out).toContain('  gateways: 1 (one gateway is enough), consistency check on\n');
    expect(result.out).toMatch(
      / {2}consistency check: on, as the model allows \(it adds [\d.]+ ms to a push and [\d.]+ gateway cores\).*the compose files run the gateway without --push\.disable-consistency-check/,
    );
    // And the compose files written do so: every gateway (single-host, swarm) runs with its check on.
    for (const file of ['docker-compose.yml', 'docker-compose.swarm.yml']) {
      const text = readFileSync(join(dir, 'small', file), 'utf8');
      expect(text).toContain('--persistence.file=');
      expect(text, file).not.toContain('--push.disable-consistency-check');
    }
    // A job too big for it (the first test's 512 nodes) keeps the flag.
    expect(readFileSync(join(dir, 'compose', 'docker-compose.yml'), 'utf8')).toContain('--push.disable-consistency-check');
  });

  it('says whether the Kubernetes --gateways are enough', async () => {
    // The smallest job of 2,000 series per node that needs more than one gateway with the committed figures.
    let big = { nodes: 1, seriesPerNode: 2_000 };
    while (suggestGatewayShards({ ...big, intervalSeconds: 10 }).shards < 2) big = { ...big, nodes: big.nodes * 2 };
    const needed = suggestGatewayShards({ ...big, intervalSeconds: 10 }).shards;
    expect(needed).toBeLessThanOrEqual(64);
    const args = ['init', '--target', 'kubernetes', '--job', 'big', '--nodes', String(big.nodes), '--series-per-node', String(big.seriesPerNode)];
    const few = await cli(...args, '--dir', join(dir, 'k8s-few'), '--gateways', '1');
    expect(few.code, few.err).toBe(0);
    expect(few.out).toContain(`  --gateways 1 is not enough: use --gateways ${needed}\n`);
    const enough = await cli(...args, '--dir', join(dir, 'k8s-enough'), '--gateways', String(Math.min(64, needed)));
    expect(enough.out).toContain(`  --gateways ${needed} is enough\n`);
    const huge = await cli('init', '--target', 'kubernetes', '--job', 'huge', '--nodes', '100000', '--series-per-node', '100000', '--dir', join(dir, 'k8s-huge'));
    expect(huge.out).toMatch(/ {2}--gateways 1 is not enough: this job needs \d+ gateways, more than the 64 init renders: split its nodes into several jobs\n/);
  });

  it.each([
    [['--nodes', '0', '--series-per-node', '10'], "option '--nodes <n>' argument '0' is invalid. expected a whole number of at least 1"],
    [['--nodes', '2.5', '--series-per-node', '10'], 'expected a whole number of at least 1, found "2.5"'],
    [['--nodes', '8', '--series-per-node', 'many'], "option '--series-per-node <n>' argument 'many' is invalid"],
    [['--nodes', '8', '--series-per-node', ''], "option '--series-per-node <n>' argument '' is invalid"],
    [['--nodes', '8'], '--nodes needs --series-per-node'],
    [['--series-per-node', '8'], '--series-per-node needs --nodes'],
  ])('%j exits 2: %s, and writes nothing', async (args, message) => {
    const target = join(dir, 'bad');
    const result = await cli('init', '--job', 'ok', '--dir', target, ...args);
    expect(result.code).toBe(2);
    expect(result.err).toContain(message);
    expect(existsSync(target)).toBe(false);
  });

  it('lists both options in --help', async () => {
    const result = await cli('init', '--help');
    expect(result.out).toMatch(/--nodes <n> .*--series-per-node/s);
  });
});
