/**
 * What a node says on its logger when another writer pushes its identity (node-identity.ts and
 * thread-claims.ts find it; node-metrics.ts logs). Each line names who the other writer is and what tells
 * the two apart, since threads and processes are separated differently.
 */
import type { GroupingKey } from './grouping-key.js';
import { currentThread, describeThread } from './thread-claims.js';

const OVERWRITES = "each push overwrites the other's metrics, so counters jump and rate() is wrong";

/** The gateway's read-back found another incarnation in this node's group. */
export function describeOtherProcess(key: GroupingKey, stored: number, own: number): string {
  return (
    `another process pushes as job ${key.job}, role ${key.role}, instance ${key.instance} (the gateway holds its incarnation ${stored}, ` +
    `this node's is ${own}): ${OVERWRITES}. Give every node its own PERSIA_METRICS_INSTANCE or REPLICA_INDEX; the node keeps running.`
  );
}

/** Another worker thread of this process started a node on this node's identity. */
export function describeOtherThread(key: GroupingKey, otherThread: number): string {
  return (
    `another thread of this process (${describeThread(otherThread)}; this node runs in ${currentThread()}) pushes as job ${key.job}, ` +
    `role ${key.role}, instance ${key.instance}: ${OVERWRITES}. The threads of a process share its REPLICA_INDEX and ` +
    'PERSIA_METRICS_INSTANCE: start the node in one thread only, or give each thread its own instance (the `instance` option of ' +
    'startNodeMetrics, or PERSIA_METRICS_INSTANCE in the `env` option of new Worker()); the node keeps running.'
  );
}
