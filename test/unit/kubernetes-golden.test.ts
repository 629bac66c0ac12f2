/**
 * The Kubernetes files shipped in kubernetes/ are the rendering of src/deploy for the default job (as
 * test/unit/deploy-golden.test.ts does for compose/ and config/). After changing a renderer, regenerate:
 *   UPDATE_GOLDEN=1 npx vitest run test/unit/kubernetes-golden.test.ts
 */
import { describe, it } from 'vitest';
import { DEFAULT_DEPLOY_OPTIONS } from '../../src/deploy/deploy-options.js';
import { DEFAULT_KUBERNETES_OPTIONS } from '../../src/deploy/kubernetes/manifests.js';
import { renderKubernetesDeployment } from '../../src/deploy/kubernetes/render.js';
import { expectGoldenFile } from '../helpers/golden-files.js';

describe('shipped Kubernetes files', () => {
  const rendered = renderKubernetesDeployment(DEFAULT_DEPLOY_OPTIONS, DEFAULT_KUBERNETES_OPTIONS);

  it.each([...rendered.keys()])('%s is the rendering of src/deploy', (path) => {
    expectGoldenFile(path, rendered.get(path) ?? '', 'test/unit/kubernetes-golden.test.ts');
  });
});
