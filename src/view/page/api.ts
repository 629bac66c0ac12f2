/**
 * The page's requests, all to its own origin: the view server's answers and the Prometheus query endpoints
 * it forwards. Every call settles with a tagged result, so one failed query never stops a refresh.
 */
import { REFUSED_ERROR_TYPE, UNREACHABLE_ERROR_TYPE, VIEW_PATHS } from '../../monitoring/view-contract.js';

export type Down = 'prometheus' | 'view' | 'refused';

export type Fetched<T> =
  | { readonly ok: true; readonly data: T }
  /**
   * `prometheus`: Prometheus did not answer; `view`: the view server itself did not; `refused`: the configured
   * address answered, but not as Prometheus's query API; undefined: an answer, but an error.
   */
  | { readonly ok: false; readonly down: Down | undefined; readonly message: string };

let onDown: ((down: Down, message: string) => void) | undefined;

/** Called at the first failed request that means an outage, not at the end of a refresh of many queries. */
export function whenDown(listener: (down: Down, message: string) => void): void {
  onDown = listener;
}

const TIMEOUT_MS = 15_000;

export async function getJson<T>(path: string): Promise<Fetched<T>> {
  const result = await getJsonOnce<T>(path);
  if (!result.ok && result.down !== undefined) onDown?.(result.down, result.message);
  return result;
}

async function getJsonOnce<T>(path: string): Promise<Fetched<T>> {
  let response: Response | undefined;
  // Once more after a short pause: Chromium aborts requests in flight when the host's network interfaces
  // change (net::ERR_NETWORK_CHANGED), which is no outage of the view server.
  for (let attempt = 0; response === undefined && attempt < 2; attempt += 1) {
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 300));
    response = await fetch(path, { signal: AbortSignal.timeout(TIMEOUT_MS), cache: 'no-store' }).catch(() => undefined);
  }
  if (response === undefined) return { ok: false, down: 'view', message: 'the view server is not answering' };
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    return { ok: false, down: response.status >= 500 ? 'view' : undefined, message: `HTTP ${response.status}, not JSON` };
  }
  const record = body as { status?: string; errorType?: string; error?: string; reason?: string; data?: unknown };
  if (!response.ok || record.status === 'error') {
    if (record.errorType === REFUSED_ERROR_TYPE) return { ok: false, down: 'refused', message: record.reason ?? record.error ?? `HTTP ${response.status}` };
    if (record.errorType === UNREACHABLE_ERROR_TYPE) return { ok: false, down: 'prometheus', message: record.reason ?? record.error ?? `HTTP ${response.status}` };
    return { ok: false, down: undefined, message: record.error ?? `HTTP ${response.status}` };
  }
  return { ok: true, data: (record.status === 'success' ? record.data : body) as T };
}

export interface SeriesSample {
  readonly metric: Record<string, string>;
  readonly value: [number, string];
}

export interface SeriesRange {
  readonly metric: Record<string, string>;
  readonly values: Array<[number, string]>;
}

interface QueryData<R> {
  readonly resultType: string;
  readonly result: R;
}

export async function instantQuery(promql: string): Promise<Fetched<SeriesSample[]>> {
  const answer = await getJson<QueryData<unknown>>(`${VIEW_PATHS.query}?${new URLSearchParams({ query: promql }).toString()}`);
  if (!answer.ok) return answer;
  const { resultType, result } = answer.data;
  if (resultType === 'scalar') return { ok: true, data: [{ metric: {}, value: result as [number, string] }] };
  return { ok: true, data: Array.isArray(result) ? (result as SeriesSample[]) : [] };
}

export async function rangeQuery(promql: string, start: number, end: number, step: number): Promise<Fetched<SeriesRange[]>> {
  const params = new URLSearchParams({ query: promql, start: String(start), end: String(end), step: String(step) });
  const answer = await getJson<QueryData<SeriesRange[]>>(`${VIEW_PATHS.queryRange}?${params.toString()}`);
  if (!answer.ok) return answer;
  return { ok: true, data: Array.isArray(answer.data.result) ? answer.data.result : [] };
}

/** Runs `tasks` at most `limit` at a time (a browser opens six connections per origin anyway). */
export async function inBatches<T>(tasks: ReadonlyArray<() => Promise<T>>, limit = 6): Promise<T[]> {
  const results: T[] = new Array<T>(tasks.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks.length) {
      const index = next++;
      const task = tasks[index];
      if (task !== undefined) results[index] = await task();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return results;
}
