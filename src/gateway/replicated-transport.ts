/**
 * A node's pushes over the replicas of a job's gateway, composed around one single-gateway transport per
 * replica (transport.ts). The node pushes to the best replica of its rendezvous ranking
 * (gateway-replicas.ts) that is not marked failed (replica-health.ts says which are, and when each is tried
 * again):
 *
 * - a PUT that fails for the gateway's sake marks its replica failed: the next attempt (the Pusher's retry,
 *   or the next interval) goes to the next choice, so a dead replica's nodes spread over the others instead
 *   of pushing nothing until it is back;
 * - a failed replica ranked above the current one is tried again once per `probeSeconds` with a DELETE of
 *   the node's group: that removes the copy it may still hold and, once answered, proves it healthy; the
 *   next push then moves back;
 * - after each successful PUT, the copies on replicas the node left are DELETEd in the background
 *   (left-copies.ts), and once more at shutdown.
 *
 * A request to a replica waits for that replica's background DELETE, so the two are never reordered. A
 * result names the replica that answered; a failure that moved the node names the move (`failover`), so
 * the Pusher retries there at once without asking the transport where it is.
 */
import { GatewayRequestError } from '../errors.js';
import type { GatewayAddress } from './address.js';
import { failureReason } from './failures.js';
import { LeftCopies, type LeaveFailure } from './left-copies.js';
import { ReplicaHealth } from './replica-health.js';
import type { GatewayReplicas } from './replicas.js';
import type { ExchangeResult, GatewayMethod, GatewayTransport } from './transport.js';

export type { LeaveFailure };

/** `failed`: the replica failed a push; `recovered`: a better-ranked one answers again; `replicas_changed`: DNS. */
export type MoveReason = 'failed' | 'recovered' | 'replicas_changed';

export interface ReplicaMove {
  readonly from: GatewayAddress;
  readonly to: GatewayAddress;
  readonly reason: MoveReason;
  /** The push failure that moved the node (reason `failed`). */
  readonly error?: Error;
}

export interface ReplicatedTransportOptions {
  readonly replicas: GatewayReplicas;
  /** The transport of one replica: a GatewayClient in a node, a fake in unit tests. */
  readonly connect: (replica: GatewayAddress) => GatewayTransport;
  /** How often a failed replica ranked above the current one is tried again (the push interval). */
  readonly probeSeconds: number;
  /** Told about each move, e.g. to log it. */
  readonly onMove?: (move: ReplicaMove) => void;
  /** Told once per left replica whose copy of the group could not be deleted. */
  readonly onLeaveFailed?: (failure: LeaveFailure) => void;
  readonly now?: () => number;
}

export class ReplicatedTransport implements GatewayTransport {
  readonly stats = { moves: 0, leftGroupsDeleted: 0 };
  private current: GatewayAddress;
  private readonly transports = new Map<string, GatewayTransport>();
  /** Which replicas are marked failed, and when each is probed again. */
  private readonly health: ReplicaHealth;
  /** The copies of the group on replicas the node left. */
  private readonly copies: LeftCopies;
  /**
   * Replicas that may hold the node's group: a PUT there succeeded, or timed out (a hung gateway applies it
   * later). Only leaving one of those is a move with a copy to delete; a replica that refused or answered
   * 5xx holds nothing (and an unexpanded name before the first DNS answer is no replica).
   */
  private readonly written = new Set<string>();
  /** Moves away from a failed replica since the last successful PUT (see reconsider). */
  private failedMovesSinceSuccess = 0;

  constructor(private readonly options: ReplicatedTransportOptions) {
    this.current = options.replicas.first;
    this.health = new ReplicaHealth(options.probeSeconds, options.now ?? Date.now);
    this.copies = new LeftCopies({
      health: this.health,
      transportFor: (replica) => this.transportFor(replica),
      ranksAboveCurrent: (replica) => this.ranksAboveCurrent(replica),
      deleted: (replica) => {
        this.stats.leftGroupsDeleted += 1;
        this.closeIfUnused(replica);
      },
      onLeaveFailed: options.onLeaveFailed,
    });
  }

  get currentBaseUrl(): string {
    return this.current.baseUrl;
  }

  get currentReplica(): GatewayAddress {
    return this.current;
  }

  async send(method: GatewayMethod, path: string, body?: string | Uint8Array, contentType?: string): Promise<ExchangeResult> {
    const version = this.options.replicas.version;
    await this.options.replicas.refreshIfDue();
    const changed = this.options.replicas.version !== version;
    if (changed) this.forgetGoneReplicas();
    this.reconsider(changed ? 'replicas_changed' : 'recovered');
    const target = this.current;
    await this.copies.inFlight(target.baseUrl);
    try {
      const result = await this.transportFor(target).send(method, path, body, contentType);
      if (method === 'PUT') this.afterPush(target, path);
      return result;
    } catch (error) {
      if (method === 'PUT' && error instanceof Error) this.onPushFailed(target, error);
      if (error instanceof GatewayRequestError && this.current.baseUrl !== target.baseUrl) error.failover = { from: target.baseUrl, to: this.current.baseUrl };
      throw error;
    }
  }

  /** Resolves once no background DELETE is in flight (for close() and tests). */
  settled(): Promise<void> {
    return this.copies.settled();
  }

  /**
   * Shutdown's clean-up (the Pusher calls it within the shutdown deadline, after the final push): one
   * DELETE of the group on every replica the node left that may still hold it, a failed (down or hung)
   * one included: once it recovers it would otherwise serve the node's old values as a live node forever.
   * What fails, or is aborted by the deadline (destroy()), is reported through onLeaveFailed.
   */
  deleteLeftCopies(): Promise<void> {
    return this.copies.deleteAll();
  }

  /**
   * Graceful: waits for the clean-up DELETEs in flight (each under the push timeout), but aborts a probe of
   * a failed replica, which must not hold up a shutdown.
   */
  async close(): Promise<void> {
    await Promise.all(
      [...this.transports].map(async ([baseUrl, transport]) => {
        if (this.health.isFailed(baseUrl)) return transport.destroy();
        await this.copies.inFlight(baseUrl);
        return transport.close();
      }),
    );
  }

  async destroy(): Promise<void> {
    await Promise.all([...this.transports.values()].map((transport) => transport.destroy()));
  }

  /** The best-ranked replica not marked failed; when every replica is marked, the current one if still known. */
  private choose(): GatewayAddress {
    const ranked = this.options.replicas.ranked;
    const healthy = ranked.find((replica) => !this.health.isFailed(replica.baseUrl));
    if (healthy !== undefined) return healthy;
    return ranked.find((replica) => replica.baseUrl === this.current.baseUrl) ?? this.options.replicas.first;
  }

  private reconsider(reason: MoveReason, error?: Error): void {
    const next = this.choose();
    const from = this.current;
    if (next.baseUrl === from.baseUrl) return;
    this.current = next;
    // Back on a replica because it answered a probe (a DELETE): on probation until a PUT there succeeds.
    this.health.movedTo(next.baseUrl, reason === 'recovered' && this.written.has(next.baseUrl));
    this.copies.returnedTo(next.baseUrl);
    if (!this.written.has(from.baseUrl)) return; // e.g. the unexpanded name before the first DNS answer
    this.stats.moves += 1;
    this.copies.leave(from);
    // The first failure of an outage is told; while no push succeeds anywhere (every replica down), the
    // node cycling through its replicas is one outage, which the Pusher reports once per streak.
    const outageGoesOn = reason === 'failed' && this.failedMovesSinceSuccess > 0;
    if (reason === 'failed') this.failedMovesSinceSuccess += 1;
    if (outageGoesOn) return;
    this.options.onMove?.(error === undefined ? { from, to: next, reason } : { from, to: next, reason, error });
  }

  private onPushFailed(replica: GatewayAddress, error: Error): void {
    const reason = failureReason(error);
    if (reason === 'timeout') {
      this.copies.putUnanswered(replica.baseUrl);
      this.written.add(replica.baseUrl);
    }
    if (this.health.pushFailed(replica.baseUrl, reason, this.options.replicas.ranked)) this.reconsider('failed', error);
  }

  /** The pushed replica holds the group: it is healthy, and the copies elsewhere can go. */
  private afterPush(replica: GatewayAddress, path: string): void {
    this.written.add(replica.baseUrl);
    this.failedMovesSinceSuccess = 0;
    this.health.pushed(replica.baseUrl);
    this.copies.pushed(replica, path);
  }

  private ranksAboveCurrent(replica: GatewayAddress): boolean {
    const ranked = this.options.replicas.ranked.map((candidate) => candidate.baseUrl);
    const index = ranked.indexOf(replica.baseUrl);
    return index !== -1 && index < ranked.indexOf(this.current.baseUrl);
  }

  /** After a DNS change: failure marks of replicas that are gone mean nothing any more. */
  private forgetGoneReplicas(): void {
    this.health.forgetAllBut(new Set(this.options.replicas.all.map((replica) => replica.baseUrl)));
  }

  /** A replica that left the DNS answer and holds nothing of ours any more: close its connection. */
  private closeIfUnused(replica: GatewayAddress): void {
    const { baseUrl } = replica;
    if (this.options.replicas.all.some((candidate) => candidate.baseUrl === baseUrl) || baseUrl === this.current.baseUrl) return;
    const transport = this.transports.get(baseUrl);
    this.transports.delete(baseUrl);
    void transport?.close();
  }

  private transportFor(replica: GatewayAddress): GatewayTransport {
    let transport = this.transports.get(replica.baseUrl);
    if (transport === undefined) {
      transport = this.options.connect(replica);
      this.transports.set(replica.baseUrl, transport);
    }
    return transport;
  }
}
