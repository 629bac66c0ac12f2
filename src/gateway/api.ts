/**
 * The Pushgateway's JSON API (`GET /api/v1/metrics`, 1.5.1): every group with its labels, the
 * `last_push_successful` flag and one key per metric family beside them, each family
 * `{type, help, metrics: [{labels, value: "<number as text>"}]}`. The shape and its reading; the request is
 * GatewayClient.groups() (client.ts).
 */
import { StatusError } from '../errors.js';

export interface ApiMetric {
  readonly labels?: Record<string, string>;
  readonly value?: string;
}
export interface ApiFamily {
  readonly metrics?: readonly ApiMetric[];
}
/** One element of `data` in the gateway's /api/v1/metrics answer: the group's labels, flags and families. */
export type ApiGroup = { readonly labels?: Record<string, string>; readonly last_push_successful?: boolean } & Record<string, unknown>;

/** Keys of a group object that are not metric families. */
const GROUP_META_KEYS = new Set(['labels', 'last_push_successful']);

/** Families pushed into the group, sorted; `withGatewayOwn: false` leaves out push_time_seconds and push_failure_time_seconds. */
export function familyNames(group: ApiGroup, withGatewayOwn = true): string[] {
  return Object.keys(group)
    .filter((key) => !GROUP_META_KEYS.has(key) && (withGatewayOwn || (key !== 'push_time_seconds' && key !== 'push_failure_time_seconds')))
    .sort();
}

export function family(group: ApiGroup, name: string): ApiFamily | undefined {
  const value = group[name];
  return typeof value === 'object' && value !== null ? value : undefined;
}

export function firstValue(group: ApiGroup, name: string): number | undefined {
  const raw = family(group, name)?.metrics?.[0]?.value;
  const value = raw === undefined ? NaN : Number(raw);
  return Number.isFinite(value) ? value : undefined;
}

/** The answer of `GET <base>/api/v1/metrics` as groups; StatusError when it is not a Pushgateway's answer. */
export function parseGroups(text: string, url: string): ApiGroup[] {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw new StatusError(`cannot read ${url}: ${error instanceof Error ? error.message : String(error)}`, error);
  }
  const data = (body as { status?: string; data?: unknown } | null)?.data;
  if (!Array.isArray(data)) throw new StatusError(`GET ${url}: not a Pushgateway API answer (no data array)`);
  // A proxy or another program on that port may answer JSON of another shape: it is that replica's
  // failure, not a crash of the command reading several (found by a new-user session).
  const notGroup = data.findIndex((group: unknown) => typeof group !== 'object' || group === null || Array.isArray(group));
  if (notGroup !== -1) throw new StatusError(`GET ${url}: not a Pushgateway API answer (data[${notGroup}] is ${JSON.stringify(data[notGroup])}, not a group)`);
  return data as ApiGroup[];
}
