/** The container engine, from DOCKER_HOST (unix:// or tcp://) or the default socket: dockerode's own rules. */
import Docker from 'dockerode';
import type { DockerEngine } from './gateway-discovery.js';

export function connectDockerEngine(): DockerEngine {
  const docker = new Docker();
  return {
    listContainers: (options) => docker.listContainers(options),
    listServices: (options) => docker.listServices(options),
  };
}
