/**
 * The grouping key: which group of the gateway a node's push replaces. `job` / `role` / `instance`, so no
 * two nodes of a job overwrite each other whatever their roles (PersiaML's key has no role: a trainer and a
 * server with the same replica index on one host overwrite each other's metrics).
 */
import { hostname } from 'node:os';
import { isMainThread, threadId } from 'node:worker_threads';
import type { MetricsOptions } from '../config/options.js';
import { MetricDefinitionError } from '../errors.js';
import { hasLoneSurrogate } from '../metrics/exposition-format.js';

export interface GroupingKey {
  readonly job: string;
  readonly role: string;
  readonly instance: string;
}

export function groupingKeyFor(options: Pick<MetricsOptions, 'jobName' | 'role' | 'replicaIndex' | 'instance'>): GroupingKey {
  return { job: options.jobName, role: options.role, instance: defaultInstance(options) };
}

/**
 * rep_<replica_index> (PersiaML's form) when the index is known, else <hostname>_<pid>, and in a worker
 * thread <hostname>_<pid>_t<thread id>: unique on any host, and for every thread of a process, which all
 * share its pid (an instance that names the node, option or environment, is the same in every thread:
 * src/push/thread-claims.ts reports two threads on one).
 */
export function defaultInstance(options: Pick<MetricsOptions, 'replicaIndex' | 'instance'>): string {
  if (options.instance !== undefined) return options.instance;
  if (options.replicaIndex !== undefined) return `rep_${options.replicaIndex}`;
  return isMainThread ? `${hostname()}_${process.pid}` : `${hostname()}_${process.pid}_t${threadId}`;
}

/**
 * `/metrics/job/<job>/role/<role>/instance/<instance>`. A value with `/` cannot be percent-encoded (the
 * gateway decodes %2F before routing), an empty value would collapse the path, and a value `.` or `..` is a
 * dot segment that URL normalisation removes (`.` was stored as instance="", `..` answered 400; `%2E` is
 * decoded back to a dot first): all are sent in the gateway's `<label>@base64/<url-safe base64>` form.
 * Other characters are ordinarily percent-encoded.
 */
export function groupingPath(key: GroupingKey): string {
  return encodeGroupingPath([
    ['job', key.job],
    ['role', key.role],
    ['instance', key.instance],
  ]);
}

/** The path of any group: `job` must come first (the gateway's rule); other labels follow in order. */
export function encodeGroupingPath(labels: readonly (readonly [string, string])[]): string {
  let path = '/metrics';
  for (const [label, value] of labels) path += `/${encodePathSegment(label, value)}`;
  return path;
}

function encodePathSegment(label: string, value: string): string {
  if (value === '') return `${label}@base64/=`;
  // A lone surrogate has no UTF-8 form: encodeURIComponent throws a URIError, base64 would send U+FFFD.
  if (hasLoneSurrogate(value)) throw new MetricDefinitionError(`grouping label ${label}: the value holds a lone UTF-16 surrogate, which has no UTF-8 form`);
  if (value.includes('/') || value === '.' || value === '..') return `${label}@base64/${Buffer.from(value, 'utf8').toString('base64url')}`;
  return `${label}/${encodeURIComponent(value)}`;
}
