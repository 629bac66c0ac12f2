/**
 * Finding the job gateways a container engine runs: containers (and swarm services) carrying the label
 * `persia.metrics.gateway=true`, with the job name from `persia.metrics.job`. The engine is anything with
 * dockerode's `listContainers` / `listServices`, so tests pass a fake and the CLI passes dockerode, which
 * honours DOCKER_HOST (Podman's socket works the same).
 */
import type Docker from 'dockerode';
import { DiscoveryError, errorText } from '../errors.js';
import { DEFAULT_GATEWAY_PORT as GATEWAY_PORT } from '../gateway/address.js';

export const GATEWAY_LABEL = 'persia.metrics.gateway';
export const JOB_LABEL = 'persia.metrics.job';
/** Set by docker-compose on every container it starts: the service name, which is also its DNS name. */
export const COMPOSE_SERVICE_LABEL = 'com.docker.compose.service';

/** The fields of a swarm service that discovery reads. */
export interface SwarmService {
  readonly Spec?: { readonly Name?: string | undefined; readonly Labels?: Record<string, string> | undefined } | undefined;
  readonly Endpoint?: { readonly Ports?: ReadonlyArray<{ readonly TargetPort?: number | undefined; readonly PublishedPort?: number | undefined }> | undefined } | undefined;
}

/** The slice of dockerode that discovery uses. */
export interface DockerEngine {
  listContainers(options: { all?: boolean; filters: Record<string, string[]> }): Promise<Docker.ContainerInfo[]>;
  listServices?(options: { filters: Record<string, string[]> }): Promise<SwarmService[]>;
}

export interface GatewayEndpoint {
  /** Training job the gateway serves (label persia.metrics.job; "unknown" when missing). Untrusted text. */
  readonly job: string;
  /** Container name (without the leading slash) or swarm service name. */
  readonly name: string;
  readonly kind: 'container' | 'service';
  /** host:port reachable from the engine's host (published port), if the gateway publishes one. */
  readonly published: string | undefined;
  /** container-ip:9091 on each network: reachable from containers on the same network. */
  readonly internal: readonly string[];
  /** The network of each `internal` address, in the same order (empty for a swarm service). */
  readonly networks: readonly string[];
  /** Compose (or swarm) service name: the name DNS resolves to this gateway on its networks. */
  readonly service: string | undefined;
}

/** A published port bound to every interface is reached on `host` (default 127.0.0.1) from this machine. */
function publishedAddress(ports: readonly Docker.Port[], host: string): string | undefined {
  const port = ports.find((p) => p.PrivatePort === GATEWAY_PORT && p.PublicPort !== undefined && p.PublicPort > 0);
  if (port === undefined) return undefined;
  const ip = port.IP === undefined || port.IP === '' || port.IP === '0.0.0.0' || port.IP === '::' ? host : port.IP;
  return ip.includes(':') ? `[${ip}]:${port.PublicPort}` : `${ip}:${port.PublicPort}`;
}

export function gatewayFromContainer(info: Docker.ContainerInfo, host = '127.0.0.1'): GatewayEndpoint {
  const networks = Object.entries(info.NetworkSettings?.Networks ?? {}).filter(([, n]) => n.IPAddress !== undefined && n.IPAddress !== '');
  return {
    job: info.Labels?.[JOB_LABEL] ?? 'unknown',
    name: (info.Names?.[0] ?? info.Id.slice(0, 12)).replace(/^\//, ''),
    kind: 'container',
    published: publishedAddress(info.Ports ?? [], host),
    internal: networks.map(([, n]) => `${n.IPAddress}:${GATEWAY_PORT}`),
    networks: networks.map(([name]) => name),
    service: info.Labels?.[COMPOSE_SERVICE_LABEL],
  };
}

/** 404/503 from /services: the engine is no swarm manager (or Podman, which has no swarm). Not an error. */
function isNoSwarm(error: unknown): boolean {
  const status = (error as { statusCode?: number }).statusCode;
  return status === 404 || status === 503 || /swarm|not found/i.test(errorText(error));
}

export interface FindOptions {
  /** Host to put in front of ports published on all interfaces. @default '127.0.0.1' */
  readonly host?: string;
  /** Only gateways of this job. */
  readonly job?: string;
}

/**
 * Running gateway containers, plus swarm services when the engine is a swarm manager (their published
 * ports are reached on `host`, since the swarm's routing mesh answers on every node).
 */
export async function findGateways(engine: DockerEngine, options: FindOptions = {}): Promise<GatewayEndpoint[]> {
  const host = options.host ?? '127.0.0.1';
  const label = [`${GATEWAY_LABEL}=true`, ...(options.job === undefined ? [] : [`${JOB_LABEL}=${options.job}`])];
  let containers: Docker.ContainerInfo[];
  try {
    containers = await engine.listContainers({ filters: { label, status: ['running'] } });
  } catch (error) {
    throw new DiscoveryError(`cannot list containers (${errorText(error)}); is the engine running and DOCKER_HOST right?`, error);
  }
  const found = containers.map((info) => gatewayFromContainer(info, host));
  if (engine.listServices !== undefined) {
    try {
      const services = await engine.listServices({ filters: { label } });
      for (const service of services) {
        const name = service.Spec?.Name ?? 'unknown';
        const port = service.Endpoint?.Ports?.find((p) => p.TargetPort === GATEWAY_PORT && p.PublishedPort !== undefined);
        found.push({
          job: service.Spec?.Labels?.[JOB_LABEL] ?? 'unknown',
          name,
          kind: 'service',
          published: port?.PublishedPort === undefined ? undefined : `${host}:${port.PublishedPort}`,
          internal: [`tasks.${name}:${GATEWAY_PORT}`],
          networks: [],
          service: name,
        });
      }
    } catch (error) {
      if (!isNoSwarm(error)) throw new DiscoveryError(`cannot list swarm services (${errorText(error)})`, error);
    }
  }
  return found.sort((a, b) => a.job.localeCompare(b.job) || a.name.localeCompare(b.name));
}
