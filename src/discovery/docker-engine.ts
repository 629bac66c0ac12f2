/** The container engine, from DOCKER_HOST (unix:// or tcp://) or the default socket: dockerode's own rules. */
import type Dockerode from 'dockerode';
import { MissingDependencyError } from '../errors.js';
import type { DockerEngine } from './gateway-discovery.js';

/**
 * Loaded on first use, and only here: dockerode (with ssh2 and the native cpu-features behind it) is an
 * optional dependency (package.json), left out of a training node's library-only install, and it adds
 * ~100 ms to every start of the CLI while most commands never talk to an engine.
 */
export async function connectDockerEngine(): Promise<DockerEngine> {
  const Docker = await importDockerode();
  const docker = new Docker();
  return {
    listContainers: (options) => docker.listContainers(options),
    listServices: (options) => docker.listServices(options),
  };
}

async function importDockerode(): Promise<typeof Dockerode> {
  try {
    // Resolved first, so that only dockerode itself being absent reads as "not installed"; a broken
    // install of it (a dependency of its own missing) still fails with its own error.
    import.meta.resolve('dockerode');
  } catch (error) {
    throw new MissingDependencyError('dockerode', 'finding gateways through the container engine (discover, status without --gateway)', error);
  }
  const { default: Docker } = await import('dockerode');
  return Docker;
}
