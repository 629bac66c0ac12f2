/**
 * A GatewayTransport that sends each request to the replica the node currently owns a slot on, and cleans
 * up behind a node that moves: after the first successful push to the new replica, it DELETEs the node's
 * group from the replica it left. Otherwise the old replica would keep serving the node's last values
 * forever (the gateway has no TTL) and every query would count the node twice, once frozen.
 *
 * It is a subclass so the Pusher needs no change: the Pusher keeps sending to the URL it was given, and
 * only the origin is swapped here; the path (the grouping key) stays.
 */
import type { GatewayAddress } from '../config/gateway-address.js';
import { GatewayReplicas, needsResolution, type ReplicaMove, type ReplicaResolver } from './gateway-replicas.js';
import { GatewayTransport, type ExchangeResult, type TransportOptions } from './transport.js';

/** DELETEs of a left replica are retried on this many later pushes, then given up (the replica is gone). */
const LEAVE_ATTEMPTS = 3;

export interface ShardedTransportOptions {
  readonly replicas: GatewayReplicas;
  /** Told about each move and each clean-up, e.g. to log it. */
  readonly onMove?: (move: ReplicaMove) => void;
  readonly onLeaveFailed?: (replica: GatewayAddress, error: Error) => void;
}

export class ShardedTransport extends GatewayTransport {
  /** Replicas the node left whose copy of the group is not deleted yet, with attempts left. */
  private readonly toLeave = new Map<string, { replica: GatewayAddress; attemptsLeft: number }>();
  readonly stats = { moves: 0, leftGroupsDeleted: 0 };

  constructor(
    transportOptions: TransportOptions,
    private readonly sharding: ShardedTransportOptions,
  ) {
    super(transportOptions);
  }

  get currentReplica(): GatewayAddress {
    return this.sharding.replicas.current;
  }

  override async send(method: 'PUT' | 'POST' | 'DELETE', url: string, body?: string | Uint8Array, contentType?: string): Promise<ExchangeResult> {
    const move = await this.sharding.replicas.refreshIfDue();
    if (move !== undefined) this.noteMove(move);
    const path = pathOf(url);
    const result = await super.send(method, `${this.currentReplica.baseUrl}${path}`, body, contentType);
    // Delete from the old replica only once the new one holds the group, so the node never vanishes.
    if (this.toLeave.size > 0) await this.leave(path);
    return result;
  }

  private noteMove(move: ReplicaMove): void {
    this.stats.moves += 1;
    this.toLeave.delete(move.to.baseUrl); // moving back: that copy is the live one again
    this.toLeave.set(move.from.baseUrl, { replica: move.from, attemptsLeft: LEAVE_ATTEMPTS });
    this.sharding.onMove?.(move);
  }

  private async leave(path: string): Promise<void> {
    for (const [baseUrl, entry] of [...this.toLeave]) {
      try {
        await super.send('DELETE', `${baseUrl}${path}`);
        this.toLeave.delete(baseUrl);
        this.stats.leftGroupsDeleted += 1;
      } catch (error) {
        entry.attemptsLeft -= 1;
        if (entry.attemptsLeft <= 0) {
          this.toLeave.delete(baseUrl);
          this.sharding.onLeaveFailed?.(entry.replica, error instanceof Error ? error : new Error(String(error)));
        }
      }
    }
  }
}

/**
 * The transport a node needs for its configured addresses: a plain one for a single IP or https address,
 * a sharded one when there are several replicas or a name DNS may expand into several.
 */
export function createGatewayTransport(
  addresses: readonly GatewayAddress[],
  groupingPath: string,
  transportOptions: TransportOptions,
  refreshSeconds: number,
  resolve?: ReplicaResolver,
): GatewayTransport {
  if (addresses.length < 2 && !needsResolution(addresses)) return new GatewayTransport(transportOptions);
  const replicas = new GatewayReplicas({ addresses, key: groupingPath, refreshSeconds, ...(resolve === undefined ? {} : { resolve }) });
  return new ShardedTransport(transportOptions, { replicas });
}

/** The path exactly as the Pusher built it (no URL normalisation touches its @base64 segments). */
function pathOf(url: string): string {
  return url.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, '');
}
