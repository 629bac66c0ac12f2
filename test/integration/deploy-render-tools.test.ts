/**
 * The render functions for a job other than the shipped default: the rendered files pass promtool and
 * docker-compose too, not only the golden ones. (Moved from test/unit/deploy-render.test.ts: it runs the real tools.)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveDeployOptions } from '../../src/deploy/deploy-options.js';
import { renderInitDeployment } from '../../src/deploy/render-deployment.js';
import { writeDeployment } from '../../src/deploy/write-deployment.js';
import { requireBinary } from '../helpers/binaries.js';

// With a long-term store, so promtool also checks the remote_write block (the default rendering is checked in deploy-assets-tools).
const options = resolveDeployOptions({
  jobName: 'dlrm_v1.0',
  pushIntervalSeconds: 30,
  indexMissRatioThreshold: 0.5,
  stalenessThreshold: 4,
  remoteWriteUrl: 'https://vm.example:8428/api/v1/write',
});
const files = renderInitDeployment(options, 'ctr.b');

describe('rendered files pass the real tools', () => {
  const dir = mkdtempSync(join(tmpdir(), 'persia-deploy-render-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  writeDeployment(dir, files, false);
  const promtool = requireBinary('promtool');

  const ok = (bin: string, args: string[], cwd: string): void => {
    const result = spawnSync(bin, args, { cwd, encoding: 'utf8', timeout: 30_000 });
    expect(result.status, `${bin} ${args.join(' ')}\n${result.stdout}${result.stderr}`).toBe(0);
  };

  it.skipIf(promtool === undefined)('promtool check config (with remote_write) + test rules', () => {
    expect(files.get('config/prometheus/prometheus.yml')).toContain('remote_write:');
    ok(promtool ?? '', ['check', 'config', 'prometheus.yml'], join(dir, 'config/prometheus'));
    ok(promtool ?? '', ['check', 'config', 'prometheus-swarm.yml'], join(dir, 'config/prometheus'));
    ok(promtool ?? '', ['test', 'rules', 'persia-alerts.test.yml'], join(dir, 'config/prometheus/rules'));
  });

  // Every form --remote-write-url accepts is one Prometheus reads too (a query, an escape, IPv6, upper-case scheme).
  it.skipIf(promtool === undefined)('promtool check config accepts every remote-write URL form init accepts', () => {
    const accepted = [
      'http://victoria-metrics:8428/api/v1/write',
      'HTTPS://mimir.example/api/v1/push?tenant=a%2Fb',
      'http://[::1]:8428/api/v1/write',
      'http://vm/prom%20write/api/v1/write',
    ];
    for (const [index, url] of accepted.entries()) {
      const sub = join(dir, `rw-${index}`);
      writeDeployment(sub, renderInitDeployment(resolveDeployOptions({ jobName: 'lts', remoteWriteUrl: url })), false);
      ok(promtool ?? '', ['check', 'config', 'prometheus.yml'], join(sub, 'config/prometheus'));
    }
  });

  const compose = spawnSync('docker-compose', ['version'], { encoding: 'utf8' }).status === 0;
  if (!compose && process.env['CI'] === 'true') throw new Error('CI=true and docker-compose is missing: apt-get install --no-install-recommends docker-compose');

  it.skipIf(!compose)('docker-compose config -q', () => {
    ok('docker-compose', ['-f', 'docker-compose.yml', '-f', 'docker-compose.second-job.yml', 'config', '-q'], dir);
    ok('docker-compose', ['-f', 'docker-compose.swarm.yml', 'config', '-q'], dir);
  });
});
