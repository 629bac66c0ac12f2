/** The container engine, from DOCKER_HOST (unix:// or tcp://) or the default socket: dockerode's own rules. */
import type { DockerEngine } from './gateway-discovery.js';

/**
 * Loaded on first use: dockerode (with ssh2 behind it) adds ~100 ms to every start of the CLI, and the
 * simulated nodes and most commands never talk to an engine.
 */
export async function connectDockerEngine(): Promise<DockerEngine> {
  const { default: Docker } = await import('dockerode');
  const docker = new Docker();
  return {
    listContainers: (options) => docker.listContainers(options),
    listServices: (options) => docker.listServices(options),
  };
}
