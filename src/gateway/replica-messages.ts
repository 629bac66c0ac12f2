/**
 * What a node says on its logger when it moves between gateway replicas or cannot delete the copy of its
 * group left on one (replicated-transport.ts decides; node-metrics.ts logs). Each line says what happens next.
 */
import type { LeaveFailure } from './left-copies.js';
import type { ReplicaMove } from './replicated-transport.js';

/** One log line per move, saying what happens next. */
export function describeMove(move: ReplicaMove): string {
  const from = move.from.baseUrl;
  const to = move.to.baseUrl;
  switch (move.reason) {
    case 'failed':
      return `gateway replica ${from} failed (${move.error?.message ?? 'push failed'}): pushing to ${to}, this node's next rendezvous choice, until ${from} answers again`;
    case 'recovered':
      return `gateway replica ${to} answers again: pushing to it instead of ${from}, and deleting this node's group from ${from}`;
    case 'replicas_changed':
      return `the gateway's replicas changed (DNS): pushing to ${to} instead of ${from}, and deleting this node's group from ${from}`;
  }
}

export function describeLeaveFailure(failure: LeaveFailure): string {
  const where = failure.replica.baseUrl;
  if (failure.atShutdown === true) {
    return (
      `could not delete this node's group from gateway replica ${where} it left, at shutdown (${failure.error.message}): ` +
      'that copy of its last values stays there until somebody deletes it (`persia-metrics status` shows it LEFT while this node ' +
      'pushes elsewhere, STALE once it misses its pushes; `persia-metrics expire` deletes it)'
    );
  }
  const next = failure.stillTrying
    ? `trying again every interval: this node moves back to ${where} once it answers`
    : "given up: if it holds this node's group, queries summing over the replicas count this node twice until that group is deleted";
  return `could not delete this node's group from gateway replica ${where} it left (${failure.attempts} attempts, last: ${failure.error.message}); ${next}`;
}
