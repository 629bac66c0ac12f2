/**
 * Which replicas of a job's gateway a node treats as failed, and when it tries each again: the health half of
 * the replicated transport (replicated-transport.ts decides the moves and deletes the copies left behind).
 *
 * - a connection error marks the replica failed at once; a timeout or a 5xx the second time in a row, since
 *   one slow answer of a busy gateway is not a dead gateway;
 * - a failed replica is tried again once per probe interval (the push interval); any answer from it (a push,
 *   or the DELETE that probes it) clears its mark;
 * - a replica the node moved back to after it answered a probe is on probation until a push there succeeds:
 *   one failure marks it again, and each such false recovery doubles its probe interval (at most
 *   MAX_PROBE_BACKOFF times), so a gateway that answers DELETEs but fails every PUT does not win the node
 *   back at every probe.
 */
import type { GatewayFailureReason } from './failures.js';

/** Timeouts or 5xx in a row that mark a replica failed. */
const SLOW_STRIKES = 2;
/** A replica whose recovery proved false again and again is probed at most this many probe intervals apart. */
const MAX_PROBE_BACKOFF = 32;

export class ReplicaHealth {
  /** Replicas that failed a push, by baseUrl, with when to try them again. */
  private readonly failed = new Map<string, number>();
  /** Timeouts and 5xx of the current replica since its last success. */
  private strikes = 0;
  /** The replica the node moved back to after it answered a probe, until a PUT there succeeds. */
  private probation: string | undefined;
  /** Probe interval multiplier per replica, by baseUrl (1 when absent). */
  private readonly probeBackoff = new Map<string, number>();

  constructor(
    private readonly probeSeconds: number,
    private readonly now: () => number,
  ) {}

  isFailed(baseUrl: string): boolean {
    return this.failed.has(baseUrl);
  }

  /** A failed replica whose next probe is not due yet. */
  waitsForProbe(baseUrl: string): boolean {
    const retryAt = this.failed.get(baseUrl);
    return retryAt !== undefined && retryAt > this.now();
  }

  /** The node now pushes to `baseUrl`; `onProbation` when it went back there because it answered a probe. */
  movedTo(baseUrl: string, onProbation: boolean): void {
    this.strikes = 0;
    this.probation = onProbation ? baseUrl : undefined;
  }

  /**
   * A push to the current replica failed for `reason`: true when that marked it failed (`ranked`: every
   * replica in the node's order, to start over when all of them failed in turn).
   */
  pushFailed(baseUrl: string, reason: GatewayFailureReason, ranked: readonly { readonly baseUrl: string }[]): boolean {
    if (reason === 'connection') return this.markFailed(baseUrl, ranked);
    if (reason !== 'timeout' && reason !== 'http_5xx') return false; // a refused body (4xx) would fail anywhere
    this.strikes += 1;
    if (this.probation === baseUrl) {
      this.probeBackoff.set(baseUrl, Math.min(MAX_PROBE_BACKOFF, 2 * (this.probeBackoff.get(baseUrl) ?? 1)));
      return this.markFailed(baseUrl, ranked);
    }
    return this.strikes >= SLOW_STRIKES && this.markFailed(baseUrl, ranked);
  }

  /** A push to `baseUrl` succeeded: healthy, off probation, its probe interval back to one. */
  pushed(baseUrl: string): void {
    this.strikes = 0;
    if (this.probation === baseUrl) {
      this.probation = undefined;
      this.probeBackoff.delete(baseUrl);
    }
    this.failed.delete(baseUrl);
  }

  /** `baseUrl` answered a request (the DELETE that probes it): healthy again. */
  answered(baseUrl: string): void {
    this.failed.delete(baseUrl);
  }

  /** A probe of a failed replica went unanswered: the next one waits a whole probe interval again. */
  probeFailed(baseUrl: string): void {
    if (this.failed.has(baseUrl)) this.failed.set(baseUrl, this.now() + this.probeMs(baseUrl));
  }

  /** After a DNS change: failure marks of replicas that are gone mean nothing any more. */
  forgetAllBut(known: ReadonlySet<string>): void {
    for (const baseUrl of [...this.failed.keys()]) if (!known.has(baseUrl)) this.failed.delete(baseUrl);
  }

  private probeMs(baseUrl: string): number {
    return this.probeSeconds * 1000 * (this.probeBackoff.get(baseUrl) ?? 1);
  }

  private markFailed(baseUrl: string, ranked: readonly { readonly baseUrl: string }[]): true {
    if (this.probation === baseUrl) this.probation = undefined;
    this.failed.set(baseUrl, this.now() + this.probeMs(baseUrl));
    if (ranked.every((candidate) => this.failed.has(candidate.baseUrl))) {
      // Every replica failed in turn: start over with the others, so the node keeps cycling through them
      // in its rendezvous order and stays on whichever answers first.
      for (const candidate of ranked) if (candidate.baseUrl !== baseUrl) this.failed.delete(candidate.baseUrl);
    }
    return true;
  }
}
