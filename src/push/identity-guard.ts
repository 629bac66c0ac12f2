/**
 * What one node does about its identity (job, role, instance), using the three guards of node-identity.ts:
 * it claims the identity in its thread when it starts, reads its group back during its first intervals from
 * the replica its last push landed on, and when another writer shows up (another process found by the
 * read-back, another thread by the claim) it says so once, flags every later push
 * (persia_node_duplicate_identity) and pushes at random points of each interval as well (see
 * pushAtRandomPoints), so `status` and Prometheus see the flagged pushes.
 */
import { gatewayEndpoint, type EndpointOptions } from '../gateway/endpoint.js';
import { groupingPath, type GroupingKey } from './grouping-key.js';
import { describeOtherProcess, describeOtherThread } from './identity-messages.js';
import { claimIdentity, IdentityWatch, readStoredIncarnation } from './node-identity.js';
import type { PushLogger } from './push-contract.js';

export interface IdentityGuardOptions {
  readonly key: GroupingKey;
  /** This start's persia_node_incarnation. */
  readonly incarnation: number;
  readonly intervalSeconds: number;
  readonly logger: PushLogger;
  /** Flags every push from now on (persia_node_duplicate_identity). */
  readonly flag: () => void;
  /** One push now, outside the interval (the node's Pusher.pushSoon). */
  readonly pushSoon: () => void;
}

export class IdentityGuard {
  private watch: IdentityWatch | undefined;
  private randomPushes: NodeJS.Timeout | undefined;
  private reported = false;
  private stopped = false;
  private releaseClaim: (() => void) | undefined;
  /** The gateway that took the last push (a replica, after a failover): where the identity is read back. */
  private landedOn: string | undefined;

  constructor(private readonly options: IdentityGuardOptions) {}

  /**
   * Before anything starts: a second start of a live identity in this thread is refused (DuplicateIdentityError),
   * since the two would overwrite each other's group; another thread on it is reported.
   */
  claim(): void {
    const { key } = this.options;
    this.releaseClaim = claimIdentity(groupingPath(key), (otherThread) => this.reportDuplicate(describeOtherThread(key, otherThread)));
  }

  /** Reads the node's group back during its first intervals; `firstGateway` until a push landed somewhere. */
  watchGateway(endpoint: EndpointOptions, firstGateway: string): void {
    const { key, incarnation, intervalSeconds, logger } = this.options;
    this.watch = new IdentityWatch({
      incarnation,
      intervalSeconds,
      // A read follows a successful push (afterPush), so landedOn is set; the first gateway is only a fallback.
      read: () => readStoredIncarnation(gatewayEndpoint(this.landedOn ?? firstGateway, endpoint), key),
      onDuplicate: (stored) => this.reportDuplicate(describeOtherProcess(key, stored, incarnation)),
      onTooLarge: () =>
        logger.info(
          'the gateway holds over 1 MiB of metrics: this node does not read it back to look for another process on its identity (the PersiaDuplicateNodeIdentity alert does)',
        ),
    });
  }

  /** After each successful push: `baseUrl` is the gateway that took it. */
  afterPush(baseUrl: string): void {
    this.landedOn = baseUrl;
    this.watch?.afterPush();
  }

  /** At shutdown: no more reads, reports or random pushes. */
  stop(): void {
    this.stopped = true;
    this.watch?.stop();
    clearTimeout(this.randomPushes);
  }

  /** Frees the identity for the next start in this thread (after shutdown, or a start that failed half-way). */
  release(): void {
    this.releaseClaim?.();
  }

  /** Another writer on this node's identity: said once, and flagged on every push from now on. */
  private reportDuplicate(message: string): void {
    if (this.reported || this.stopped) return;
    this.reported = true;
    this.watch?.stop(); // another thread's incarnation in the group says nothing more
    this.options.flag();
    this.options.logger.warn(message);
    this.pushAtRandomPoints();
  }

  /**
   * Two writers started together push in near lock-step, so the gateway keeps nearly always the same one's
   * push, and it may be the one that never sees the other. Once this node has seen it, it also pushes at a
   * random point of every interval: its pushes, flagged persia_node_duplicate_identity, are then the stored
   * ones about half the time, for `status` and Prometheus to see. Background pushes: unref'd, never holding
   * the process.
   */
  private pushAtRandomPoints(): void {
    const next = (): void => {
      const delay = this.options.intervalSeconds * 1000 * (0.1 + 0.8 * Math.random());
      this.randomPushes = setTimeout(() => {
        if (this.stopped) return;
        this.options.pushSoon();
        next();
      }, delay);
      this.randomPushes.unref();
    };
    next();
  }
}
