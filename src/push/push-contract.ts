/**
 * What the push loop (pusher.ts) takes and reports: its options, the logger and observer it tells, how one
 * push ended, and its running stats. The node (src/node-metrics.ts) wires the observer into its registry.
 */
import type { GatewayTransport } from '../gateway/transport.js';
import type { FailureReason } from './failure-report.js';
import type { BodySource } from './push-body.js';

export interface PushLogger {
  warn(message: string): void;
  info(message: string): void;
}

/** How one push ended: tagged by `ok`, so a failure always carries its error (`throw outcome.error` never throws undefined). */
export type PushOutcome =
  | {
      readonly ok: true;
      readonly durationSeconds: number;
      /** The gateway that took it (the replica the node pushes to now). */
      readonly baseUrl: string;
      /** The push went through, but without families the gateway refused earlier or without a bad extra source: why. */
      readonly heldBack?: Error;
    }
  | { readonly ok: false; readonly durationSeconds: number; readonly error: Error };

/** What the pusher reports about itself; the node wires these into its registry. */
export interface PushObserver {
  /** `baseUrl`: the gateway that took the push (the replica the node pushes to now). */
  onSuccess(durationSeconds: number, baseUrl: string): void;
  onFailure(reason: FailureReason, durationSeconds: number): void;
  /** A push went through without part of the node's metrics (a refused family, a bad extra source): count it. */
  onHeldBack?(reason: FailureReason): void;
}

export interface PusherOptions {
  /** The group's path (`/metrics/job/...`) on whatever gateway the transport sends to now. */
  readonly path: string;
  readonly transport: GatewayTransport;
  readonly intervalSeconds: number;
  readonly retries: number;
  readonly deleteOnShutdown: boolean;
  readonly shutdownTimeoutSeconds: number;
  /**
   * The body of each push: the node's whole exposition, without the families the gateway refused (passed
   * in by name). A plain string is taken as text exposition, and those families are filtered out of it.
   */
  readonly body: BodySource;
  readonly observer?: PushObserver;
  readonly logger: PushLogger;
}

export interface PusherStats {
  /** Requests started (PUT or DELETE); one without an outcome yet is still in flight. */
  attempts: number;
  pushes: number;
  failures: number;
  skippedIntervals: number;
  /** Failed attempts since the last success: > 0 means the node is currently failing to push. */
  consecutiveFailures: number;
  lastSuccessTime: number | undefined;
  lastError: Error | undefined;
}
