/**
 * The view's window on Prometheus: the few read-only query endpoints the page uses, forwarded from the
 * view's own origin (no CORS, and the browser never learns where Prometheus is). When Prometheus does not
 * answer, the page gets a 502 in Prometheus's own error shape (plus a short `reason`) that names no address.
 */
import type { ServerResponse } from 'node:http';

/** The Prometheus HTTP API paths the page may reach through the view. */
export const PROXIED_PATHS: ReadonlySet<string> = new Set(['/api/v1/query', '/api/v1/query_range', '/api/v1/label/job/values']);

/** errorType of a 502 from the view: Prometheus itself did not answer (the page says so and keeps its data). */
export const UNREACHABLE_ERROR_TYPE = 'prometheus_unreachable';

export interface PrometheusUpstream {
  /** `http(s)://host:port[/prefix]` without a trailing slash. */
  readonly baseUrl: string;
  readonly timeoutMs: number;
}

/** Why a request to Prometheus failed, without the URL (fetch's messages carry `host:port`). */
export function unreachableReason(error: unknown): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return 'no answer in time';
  const cause = error instanceof Error ? (error.cause as NodeJS.ErrnoException | undefined) : undefined;
  const code = cause?.code;
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return 'connection reset';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'host name not found';
  return typeof code === 'string' ? code : 'request failed';
}

export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  response.end(text);
}

/** Forwards `pathAndQuery` (one of PROXIED_PATHS plus its query string) and copies status and body back. */
export async function proxyQuery(upstream: PrometheusUpstream, pathAndQuery: string, response: ServerResponse): Promise<void> {
  let status: number;
  let body: string;
  let contentType: string;
  try {
    const answer = await fetch(`${upstream.baseUrl}${pathAndQuery}`, { signal: AbortSignal.timeout(upstream.timeoutMs) });
    status = answer.status;
    contentType = answer.headers.get('content-type') ?? 'application/json';
    body = await answer.text();
  } catch (error) {
    const reason = unreachableReason(error);
    sendJson(response, 502, { status: 'error', errorType: UNREACHABLE_ERROR_TYPE, error: `Prometheus is not answering (${reason})`, reason });
    return;
  }
  // A proxy or load balancer in front of Prometheus may answer 5xx with HTML: the page must still see an outage.
  if (status >= 500 && !contentType.includes('json')) {
    sendJson(response, 502, { status: 'error', errorType: UNREACHABLE_ERROR_TYPE, error: `Prometheus answered HTTP ${status}`, reason: `HTTP ${status}` });
    return;
  }
  response.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
  response.end(body);
}

/** One instant query made by the view server itself (never proxied); `undefined` when Prometheus does not answer. */
export async function queryScalar(upstream: PrometheusUpstream, promql: string): Promise<number | undefined> {
  try {
    const answer = await fetch(`${upstream.baseUrl}/api/v1/query?${new URLSearchParams({ query: promql }).toString()}`, { signal: AbortSignal.timeout(upstream.timeoutMs) });
    const body = (await answer.json()) as { data?: { result?: Array<{ value?: [number, string] }> } };
    const value = Number(body.data?.result?.[0]?.value?.[1]);
    return Number.isFinite(value) && value > 0 ? value : undefined;
  } catch {
    return undefined;
  }
}
