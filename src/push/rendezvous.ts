/**
 * Rendezvous (highest-random-weight) hashing: each node picks the gateway replica with the highest
 * hash(replica, grouping key). Every node decides alone, the load spreads evenly, and when a replica is added
 * or removed only the nodes that scored it highest move.
 */
import type { GatewayAddress } from '../config/gateway-address.js';

export function pickReplica(replicas: readonly GatewayAddress[], key: string): GatewayAddress {
  let best: GatewayAddress | undefined;
  let bestScore = -1;
  for (const replica of replicas) {
    const score = fnv1a32(`${replica.baseUrl}\u0000${key}`);
    if (score > bestScore) {
      best = replica;
      bestScore = score;
    }
  }
  if (best === undefined) throw new RangeError('pickReplica needs at least one gateway address');
  return best;
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
