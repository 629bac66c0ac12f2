/**
 * The Kubernetes files shipped in kubernetes/ are the rendering of src/deploy for the default job (as
 * test/unit/deploy-golden.test.ts does for compose/ and config/). After changing a renderer, regenerate:
 *   UPDATE_GOLDEN=1 npx vitest run test/unit/kubernetes-golden.test.ts
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEFAULT_DEPLOY_OPTIONS } from '../../src/deploy/deploy-options.js';
import { DEFAULT_KUBERNETES_OPTIONS } from '../../src/deploy/kubernetes-manifests.js';
import { renderKubernetesDeployment } from '../../src/deploy/kubernetes-render.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const update = process.env['UPDATE_GOLDEN'] === '1';

describe('shipped Kubernetes files', () => {
  const rendered = renderKubernetesDeployment(DEFAULT_DEPLOY_OPTIONS, DEFAULT_KUBERNETES_OPTIONS);

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
      throw new Error(`${path} is missing; run UPDATE_GOLDEN=1 npx vitest run test/unit/kubernetes-golden.test.ts`);
    }
    expect(onDisk, `${path} differs from its rendering; regenerate with UPDATE_GOLDEN=1`).toBe(text);
  });
});
