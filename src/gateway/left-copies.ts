/**
 * The copies of a node's group on gateway replicas it left (replicated-transport.ts moves it): a gateway has
 * no TTL, so a copy left behind would serve the node's last values forever and every query summing over
 * replicas would count the node twice. After each successful PUT elsewhere they are DELETEd in the
 * background (one request per replica at a time, each under the push timeout, a few attempts), so the PUT's
 * latency never includes them and the node never vanishes (the new replica holds the group before the old
 * one drops it); shutdown tries each once more (deleteAll).
 */
import type { GatewayAddress } from './address.js';
import type { ReplicaHealth } from './replica-health.js';
import type { GatewayTransport } from './transport.js';

/** DELETEs of a left replica are tried on this many later pushes before the failure is reported. */
const LEAVE_ATTEMPTS = 3;
/** How long a recovered gateway is given to read the requests that waited while it hung. */
const REPLAYED_PUTS_MS = 200;

export interface LeaveFailure {
  readonly replica: GatewayAddress;
  readonly error: Error;
  readonly attempts: number;
  /** True while the replica is a failed better choice: the DELETE goes on as its health probe. */
  readonly stillTrying: boolean;
  /** The node's last attempt, at shutdown: nothing will delete that copy now but an operator. */
  readonly atShutdown?: boolean;
}

/** What the copies need of the transport that moves the node. */
export interface LeftCopiesContext {
  readonly health: ReplicaHealth;
  transportFor(replica: GatewayAddress): GatewayTransport;
  /** Whether the replica ranks above the one the node pushes to now. */
  ranksAboveCurrent(replica: GatewayAddress): boolean;
  /** The copy on this replica is gone. */
  deleted(replica: GatewayAddress): void;
  /** Told once per left replica whose copy of the group could not be deleted. */
  readonly onLeaveFailed?: ((failure: LeaveFailure) => void) | undefined;
}

interface LeftReplica {
  readonly replica: GatewayAddress;
  attempts: number;
  reported: boolean;
  /** Reported and no longer tried after pushes; shutdown still tries once (deleteAll). */
  givenUp: boolean;
}

export class LeftCopies {
  /** Replicas that may hold a stale copy of the group, by baseUrl. */
  private readonly left = new Map<string, LeftReplica>();
  /** The background DELETE in flight per replica. Never rejects. */
  private readonly background = new Map<string, Promise<void>>();
  /** The group's path, from the last PUT: what the DELETEs remove. */
  private path: string | undefined;
  /**
   * Replicas a PUT timed out on: a hung gateway that recovers still applies those PUTs, after it answers
   * later requests, so a DELETE there needs a second one behind them (deleteAll).
   */
  private readonly unansweredPuts = new Set<string>();

  constructor(private readonly context: LeftCopiesContext) {}

  /** The background DELETE in flight on that replica, if any: a request there waits for it, never overtakes it. */
  inFlight(baseUrl: string): Promise<void> | undefined {
    return this.background.get(baseUrl);
  }

  /** Resolves once no background DELETE is in flight. */
  async settled(): Promise<void> {
    while (this.background.size > 0) await Promise.all(this.background.values());
  }

  /** The node left a replica that holds its group. */
  leave(replica: GatewayAddress): void {
    this.left.set(replica.baseUrl, { replica, attempts: 0, reported: false, givenUp: false });
  }

  /** The node moved back to a replica: its copy is the live one again. */
  returnedTo(baseUrl: string): void {
    this.left.delete(baseUrl);
  }

  /** A PUT there timed out: the gateway may apply it once it recovers. */
  putUnanswered(baseUrl: string): void {
    this.unansweredPuts.add(baseUrl);
  }

  /** A PUT to `replica` succeeded: it holds the group, and the copies elsewhere can go. */
  pushed(replica: GatewayAddress, path: string): void {
    this.path = path;
    this.unansweredPuts.delete(replica.baseUrl); // answering a later PUT, it has applied the ones that waited
    this.left.delete(replica.baseUrl);
    for (const entry of this.left.values()) {
      if (this.context.health.waitsForProbe(entry.replica.baseUrl)) continue; // a failed replica is probed once per probeSeconds
      if (!entry.givenUp && !this.background.has(entry.replica.baseUrl)) this.leaveInBackground(entry);
    }
  }

  /**
   * Shutdown's clean-up: one DELETE of the group on every replica the node left that may still hold it, a
   * failed (down or hung) one included: once it recovers it would otherwise serve the node's old values as a
   * live node forever. What fails, or is aborted by the deadline (destroy()), is reported through onLeaveFailed.
   */
  async deleteAll(): Promise<void> {
    await this.settled();
    const path = this.path;
    if (path === undefined) return;
    await Promise.all(
      [...this.left.values()].map(async (entry) => {
        try {
          const transport = this.context.transportFor(entry.replica);
          await transport.send('DELETE', path);
          if (this.unansweredPuts.has(entry.replica.baseUrl)) {
            // Measured with a real Pushgateway stopped (SIGSTOP) then resumed: it answered this DELETE and
            // then applied a PUT that had timed out while it hung, so the group came back. Once it
            // answers, the requests that waited are being read; a second DELETE a moment later follows them.
            await new Promise((resolve) => setTimeout(resolve, REPLAYED_PUTS_MS));
            await transport.send('DELETE', path);
          }
          this.onLeft(entry);
        } catch (error) {
          entry.attempts += 1;
          this.left.delete(entry.replica.baseUrl);
          const failure = error instanceof Error ? error : new Error(String(error));
          this.context.onLeaveFailed?.({ replica: entry.replica, error: failure, attempts: entry.attempts, stillTrying: false, atShutdown: true });
        }
      }),
    );
  }

  private leaveInBackground(entry: LeftReplica): void {
    const { baseUrl } = entry.replica;
    const path = this.path;
    if (path === undefined) return;
    const done = this.context
      .transportFor(entry.replica)
      .send('DELETE', path)
      .then(
        () => this.onLeft(entry),
        (error: unknown) => this.onLeaveFailed(entry, error instanceof Error ? error : new Error(String(error))),
      )
      .finally(() => this.background.delete(baseUrl));
    this.background.set(baseUrl, done);
  }

  private onLeft(entry: LeftReplica): void {
    const { baseUrl } = entry.replica;
    // A failed replica that answers is healthy again: the next push moves back when it ranks higher.
    this.context.health.answered(baseUrl);
    if (this.left.get(baseUrl) !== entry) return; // the node moved back there meanwhile: nothing to count
    this.left.delete(baseUrl);
    this.context.deleted(entry.replica);
  }

  private onLeaveFailed(entry: LeftReplica, error: Error): void {
    const { baseUrl } = entry.replica;
    entry.attempts += 1;
    this.context.health.probeFailed(baseUrl);
    if (entry.attempts < LEAVE_ATTEMPTS || this.left.get(baseUrl) !== entry) return;
    const stillTrying = this.context.health.isFailed(baseUrl) && this.context.ranksAboveCurrent(entry.replica);
    if (!entry.reported) this.context.onLeaveFailed?.({ replica: entry.replica, error, attempts: entry.attempts, stillTrying });
    entry.reported = true;
    if (!stillTrying) entry.givenUp = true; // kept for shutdown's last attempt (deleteAll)
  }
}
