/**
 * How a push failure is counted (the `reason` label of persia_metrics_push_failures_total) and worded. Each
 * message says what happens next, which depends on where the node is: running (the next interval pushes
 * again), or shutting down (nothing is retried any more).
 */
import { PushHttpError } from '../errors.js';
import type { GatewayFailureReason } from '../gateway/failures.js';

/** A failed request (classified in src/gateway/failures.ts), or `extra_source`: an extra exposition source was left out of a push (see extra-sources.ts). */
export type FailureReason = GatewayFailureReason | 'extra_source';

/** Every reason, each a series of persia_metrics_push_failures_total from the node's first push (push-health.ts). */
export const FAILURE_REASONS: readonly FailureReason[] = ['timeout', 'connection', 'http_4xx', 'http_5xx', 'encoding', 'extra_source'];

/**
 * `running`: the push loop goes on; `stopping`: a push that was in flight when shutdown began (not retried,
 * the final push follows); `final-push` / `final-delete`: shutdown's own requests, the last ones.
 */
export type FailurePhase = 'running' | 'stopping' | 'final-push' | 'final-delete';

export function failureMessage(error: Error, phase: FailurePhase, intervalSeconds: number): string {
  switch (phase) {
    case 'stopping':
      return `${error.message}; not retried: the node is shutting down (its final push follows)`;
    case 'final-push':
      return `final push failed: ${error.message}; giving up (shutdown): values recorded since the last successful push do not reach the gateway`;
    case 'final-delete':
      return `deleting the node's group failed: ${error.message}; giving up (shutdown): the group stays in the gateway until deleted`;
    case 'running':
      return error instanceof PushHttpError && error.statusCode < 500
        ? `gateway refused the push (reported once, counted in persia_metrics_push_failures_total): ${error.message}`
        : `${error.message}; retrying every ${intervalSeconds} s, the node keeps running`;
  }
}
