/**
 * The deployment files shipped in compose/ and config/ are the rendering of src/deploy for the default job,
 * so `persia-metrics init` and the repository can never drift apart. After changing a renderer, regenerate:
 *   UPDATE_GOLDEN=1 npx vitest run test/unit/deploy-golden.test.ts
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { renderRepositoryDeployment } from '../../src/deploy/render-deployment.js';
import { resolveDeployOptions } from '../../src/deploy/deploy-options.js';
import { renderPrometheusConfig } from '../../src/deploy/prometheus-config.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const update = process.env['UPDATE_GOLDEN'] === '1';

describe('shipped deployment files', () => {
  const rendered = renderRepositoryDeployment();

  it.each([...rendered.keys()])('%s is the rendering of src/deploy', (path) => {
    const file = join(ROOT, path);
    const text = rendered.get(path) ?? '';
    if (update) {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, text);
    }
    let onDisk: string;
    try {
      onDisk = readFileSync(file, 'utf8');
    } catch {
      throw new Error(`${path} is missing; run UPDATE_GOLDEN=1 npx vitest run test/unit/deploy-golden.test.ts`);
    }
    expect(onDisk, `${path} differs from its rendering; regenerate with UPDATE_GOLDEN=1`).toBe(text);
  });
});

// Not shipped, so a golden file of its own: the default rendering plus the remote_write block (init --remote-write-url).
describe('prometheus.yml with a long-term store', () => {
  const options = resolveDeployOptions({ jobName: 'persia_demo', remoteWriteUrl: 'http://victoria-metrics:8428/api/v1/write' });

  it('is the default rendering with remote_write appended', () => {
    const file = join(ROOT, 'test/unit/golden/prometheus-remote-write.yml');
    const text = renderPrometheusConfig(options, 'single-host');
    if (update) {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, text);
    }
    expect(readFileSync(file, 'utf8'), 'regenerate with UPDATE_GOLDEN=1').toBe(text);
    expect(text.startsWith(renderPrometheusConfig(resolveDeployOptions({ jobName: 'persia_demo' }), 'single-host'))).toBe(true);
  });
});
