/** The transport a node pushes through, built from its configured gateway addresses. */
import type { GatewayAddress } from './address.js';
import { GatewayClient } from './client.js';
import { gatewayEndpoint, type EndpointOptions } from './endpoint.js';
import { GatewayReplicas, needsResolution, type ReplicaResolver } from './replicas.js';
import { ReplicatedTransport, type LeaveFailure, type ReplicaMove } from './replicated-transport.js';
import type { GatewayTransport } from './transport.js';

export interface GatewayTransportSetup {
  /** The parsed gateway addresses (ResolvedConfig.gateways). */
  readonly gateways: readonly GatewayAddress[];
  /** The rendezvous key: the node's grouping path. */
  readonly key: string;
  /** Timeout, credentials, TLS and gzip: the same for every replica. */
  readonly endpoint: EndpointOptions;
  /** How often names are re-resolved. */
  readonly refreshSeconds: number;
  /** How often a failed better replica is tried again. */
  readonly probeSeconds: number;
  readonly onMove?: (move: ReplicaMove) => void;
  readonly onLeaveFailed?: (failure: LeaveFailure) => void;
  readonly resolve?: ReplicaResolver;
}

/**
 * The transport a node needs for its configured addresses: a single-gateway one for one IP or https
 * address, a replicated one when there are several replicas or a name DNS may expand into several.
 */
export function createGatewayTransport(setup: GatewayTransportSetup): GatewayTransport {
  const [only] = setup.gateways;
  if (only === undefined) throw new RangeError('createGatewayTransport needs at least one gateway address');
  // A node's client: sockets that never hold the training program, one connection per gateway.
  const connect = (replica: GatewayAddress): GatewayClient => new GatewayClient(gatewayEndpoint(replica, setup.endpoint), { background: true, connections: 1 });
  if (setup.gateways.length === 1 && !needsResolution(setup.gateways) && setup.resolve === undefined) return connect(only);
  const replicas = new GatewayReplicas({
    addresses: setup.gateways,
    key: setup.key,
    refreshSeconds: setup.refreshSeconds,
    ...(setup.resolve === undefined ? {} : { resolve: setup.resolve }),
  });
  return new ReplicatedTransport({
    replicas,
    connect,
    probeSeconds: setup.probeSeconds,
    ...(setup.onMove === undefined ? {} : { onMove: setup.onMove }),
    ...(setup.onLeaveFailed === undefined ? {} : { onLeaveFailed: setup.onLeaveFailed }),
  });
}
