/**
 * The deployment files shipped in compose/ and config/ are the rendering of src/deploy for the default job,
 * so `persia-metrics init` and the repository can never drift apart. After changing a renderer, regenerate:
 *   UPDATE_GOLDEN=1 npx vitest run test/unit/deploy-golden.test.ts
 */
import { describe, expect, it } from 'vitest';
import { renderRepositoryDeployment } from '../../src/deploy/render-deployment.js';
import { resolveDeployOptions } from '../../src/deploy/deploy-options.js';
import { renderPrometheusConfig } from '../../src/deploy/prometheus/prometheus-config.js';
import { expectGoldenFile } from '../helpers/golden-files.js';

describe('shipped deployment files', () => {
  const rendered = renderRepositoryDeployment();

  it.each([...rendered.keys()])('%s is the rendering of src/deploy', (path) => {
    expectGoldenFile(path, rendered.get(path) ?? '', 'test/unit/deploy-golden.test.ts');
  });
});

// Not shipped, so a golden file of its own: the default rendering plus the remote_write block (init --remote-write-url).
describe('prometheus.yml with a long-term store', () => {
  const options = resolveDeployOptions({ jobName: 'persia_demo', remoteWriteUrl: 'http://victoria-metrics:8428/api/v1/write' });

  it('is the default rendering with remote_write appended', () => {
    const text = renderPrometheusConfig(options, 'single-host');
    expectGoldenFile('test/unit/golden/prometheus-remote-write.yml', text, 'test/unit/deploy-golden.test.ts');
    expect(text.startsWith(renderPrometheusConfig(resolveDeployOptions({ jobName: 'persia_demo' }), 'single-host'))).toBe(true);
  });
});
