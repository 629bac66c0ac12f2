/**
 * Rendezvous (highest-random-weight) hashing: each node picks the gateway replica with the highest
 * hash(replica, grouping key). Every node decides alone, the load spreads evenly, and when a replica is added
 * or removed only the nodes that scored it highest move. The whole ranking is the node's order of failover:
 * when its first choice fails it pushes to its second, so a dead replica's nodes spread over the others.
 */
import type { GatewayAddress } from './address.js';

/** Every replica, best first: the node's first choice, then where it goes when that one fails, and so on. */
export function rankReplicas(replicas: readonly GatewayAddress[], key: string): GatewayAddress[] {
  if (replicas.length === 0) throw new RangeError('rankReplicas needs at least one gateway address');
  return replicas
    .map((replica) => ({ replica, score: score(replica, key) }))
    .sort((a, b) => b.score - a.score || (a.replica.baseUrl < b.replica.baseUrl ? -1 : a.replica.baseUrl > b.replica.baseUrl ? 1 : 0))
    .map(({ replica }) => replica);
}

/** The node's first choice. */
export function pickReplica(replicas: readonly GatewayAddress[], key: string): GatewayAddress {
  const [best] = rankReplicas(replicas, key);
  if (best === undefined) throw new RangeError('pickReplica needs at least one gateway address');
  return best;
}

function score(replica: GatewayAddress, key: string): number {
  return fnv1a32(`${replica.baseUrl}\u0000${key}`);
}

/** 32-bit FNV-1a, with a final avalanche so similar keys spread over the whole range. */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index += 1) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  return hash >>> 0;
}
