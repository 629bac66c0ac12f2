/**
 * The render functions for a job other than the shipped default: the rendered files pass promtool and
 * docker-compose too, not only the golden ones. (Moved from test/unit/deploy-render.test.ts: it runs the real tools.)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dump } from 'js-yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveDeployOptions } from '../../src/deploy/deploy-options.js';
import { DEFAULT_KUBERNETES_OPTIONS } from '../../src/deploy/kubernetes/manifests.js';
import { kubernetesObjectsByFile } from '../../src/deploy/kubernetes/render.js';
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

  // --target kubernetes: the rule files in the ConfigMap, and the PrometheusRule's groups written out as a rule file.
  it.skipIf(promtool === undefined)('promtool check rules on the Kubernetes rules ConfigMap and PrometheusRule', () => {
    const objects = kubernetesObjectsByFile(options, DEFAULT_KUBERNETES_OPTIONS);
    const sub = mkdtempSync(join(dir, 'k8s-rules-'));
    const data = (objects.get('kubernetes/prometheus-rules.yaml')?.[0] as unknown as { data: Record<string, string> }).data;
    for (const [file, text] of Object.entries(data)) writeFileSync(join(sub, file), text);
    const rule = objects.get('kubernetes/prometheus-operator/prometheus-rule.yaml')?.[0] as unknown as { spec: { groups: unknown[] } };
    writeFileSync(join(sub, 'operator-rules.yml'), dump({ groups: rule.spec.groups }, { lineWidth: -1 }));
    ok(promtool ?? '', ['check', 'rules', ...Object.keys(data), 'operator-rules.yml'], sub);
  });

  const compose = spawnSync('docker-compose', ['version'], { encoding: 'utf8' }).status === 0;
  if (!compose && process.env['CI'] === 'true') throw new Error('CI=true and docker-compose is missing: apt-get install --no-install-recommends docker-compose');

  it.skipIf(!compose)('docker-compose config -q', () => {
    ok('docker-compose', ['-f', 'docker-compose.yml', '-f', 'docker-compose.second-job.yml', 'config', '-q'], dir);
    ok('docker-compose', ['-f', 'docker-compose.swarm.yml', 'config', '-q'], dir);
  });
});
