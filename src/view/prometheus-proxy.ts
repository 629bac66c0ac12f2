/**
 * The view's window on Prometheus: the few read-only query endpoints the page uses, forwarded from the
 * view's own origin (no CORS, and the browser never learns where Prometheus is, nor its credentials). When
 * Prometheus does not answer, or answers as something that is not Prometheus's query API would (404, 401),
 * the page gets a 502 in Prometheus's own error shape (plus a short `reason`) that names no address.
 */
import type { ServerResponse } from 'node:http';
import { REFUSED_ERROR_TYPE, UNREACHABLE_ERROR_TYPE, VIEW_PATHS } from '../monitoring/view-contract.js';
import { urlCredentials } from '../gateway/url-credentials.js';
import { ViewBusy, type BudgetShare } from './view-budget.js';

/** The errorType of a 503 from the view itself (view-budget.ts), not from Prometheus. */
export const VIEW_BUSY_ERROR_TYPE = 'view_busy';

/** The Prometheus HTTP API paths the page may reach through the view. */
export const PROXIED_PATHS: ReadonlySet<string> = new Set([VIEW_PATHS.query, VIEW_PATHS.queryRange, VIEW_PATHS.jobValues]);

/** A bigger answer is refused (the proxy holds at most this much per request; the page never needs that much). */
export const MAX_ANSWER_BYTES = 20 * 1024 * 1024;

export interface PrometheusUpstream {
  /** `http(s)://host:port[/prefix]` without a trailing slash, and without credentials. */
  readonly baseUrl: string;
  /** Until Prometheus starts answering (headers); the body then gets BODY_TIMEOUT_FACTOR times as long. */
  readonly timeoutMs: number;
  /** `Basic …` from the user:password of --prometheus; sent to Prometheus only, never to the browser. */
  readonly authorization?: string | undefined;
}

const BODY_TIMEOUT_FACTOR = 6;

/** The longest one request to Prometheus may take, headers and body. */
export function upstreamDeadlineMs(upstream: PrometheusUpstream): number {
  return upstream.timeoutMs * (1 + BODY_TIMEOUT_FACTOR);
}

/**
 * Splits `http://user:pass@host:port/prefix` into the URL fetch may use and a basic-auth header (the one
 * reading of a URL's credentials: src/gateway/url-credentials.ts). `password`, when given, is the password
 * itself (from a file or the environment, never in the URL), taken as it is.
 */
export function prometheusUpstream(url: string, timeoutMs: number, password?: string): PrometheusUpstream {
  const { url: bare, authorization } = urlCredentials(url, password);
  const parsed = new URL(bare);
  return { baseUrl: `${parsed.origin}${parsed.pathname.replace(/\/+$/, '')}`, timeoutMs, authorization };
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

/**
 * A 4xx that Prometheus's query API never gives for a well-formed query (it answers 400/422 with JSON for a
 * bad one): the URL or the credentials are wrong, and every panel would otherwise look healthy and empty.
 */
export function refusedReason(status: number, contentType: string, path: string): string | undefined {
  // Never followed: the credentials and the queries would go wherever the answer points.
  if (status >= 300 && status < 400)
    return `Prometheus at the configured address answered ${status} (a redirect) for ${path}: the view does not follow redirects; give --prometheus the address Prometheus answers on`;
  if (status < 400 || status >= 500) return undefined;
  if (status === 401 || status === 403)
    return `Prometheus at the configured address answered ${status} for ${path}: it wants credentials (give them in --prometheus as http://user:password@host:port)`;
  if (status === 404 || status === 405 || !contentType.includes('json'))
    return `Prometheus at the configured address answered ${status} for ${path}: is --prometheus the Prometheus that scrapes the gateway (its address, and its path prefix if any)?`;
  return undefined;
}

export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  response.end(text);
}

class AnswerTooLarge extends Error {}

/** The body as read, at most `limit` bytes (AnswerTooLarge beyond), each byte counted in `share` (ViewBusy past its bound). */
async function readCapped(answer: Response, limit: number, share: BudgetShare): Promise<Buffer[]> {
  const declared = Number(answer.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > limit) throw new AnswerTooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  if (answer.body === null) return chunks;
  for await (const chunk of answer.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > limit) throw new AnswerTooLarge();
    if (!share.take(chunk.byteLength)) throw new ViewBusy();
    chunks.push(Buffer.from(chunk));
  }
  share.done();
  return chunks;
}

interface UpstreamAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly body: readonly Buffer[];
}

/**
 * One GET to Prometheus: `timeoutMs` until its headers arrive (a hung Prometheus is an outage soon), then a
 * longer while for the body (a big answer on a slow link is not). A redirect is not followed (refusedReason).
 */
async function fetchUpstream(upstream: PrometheusUpstream, pathAndQuery: string, limit: number, share: BudgetShare): Promise<UpstreamAnswer> {
  const controller = new AbortController();
  const giveUp = (): void => controller.abort(new ViewBusy());
  share.signal.addEventListener('abort', giveUp, { once: true });
  let timer = setTimeout(() => controller.abort(new DOMException('no answer in time', 'TimeoutError')), upstream.timeoutMs);
  try {
    const answer = await fetch(`${upstream.baseUrl}${pathAndQuery}`, {
      signal: controller.signal,
      redirect: 'manual',
      headers: upstream.authorization === undefined ? {} : { authorization: upstream.authorization },
    });
    clearTimeout(timer);
    timer = setTimeout(() => controller.abort(new DOMException('no answer in time', 'TimeoutError')), upstream.timeoutMs * BODY_TIMEOUT_FACTOR);
    const body = await readCapped(answer, limit, share).finally(() => {
      if (!controller.signal.aborted) controller.abort();
    });
    return { status: answer.status, contentType: answer.headers.get('content-type') ?? 'application/json', body };
  } catch (error) {
    throw share.signal.aborted ? new ViewBusy() : error;
  } finally {
    clearTimeout(timer);
    share.signal.removeEventListener('abort', giveUp);
  }
}

/** The answer past the view's bounds (view-budget.ts): the page retries at its next refresh. */
export function sendBusy(response: ServerResponse): void {
  response.setHeader('retry-after', '1');
  sendJson(response, 503, {
    status: 'error',
    errorType: VIEW_BUSY_ERROR_TYPE,
    error: 'the view is answering too many requests, or holding too much of their answers, at once: try again shortly',
  });
}

/** Forwards `pathAndQuery` (one of PROXIED_PATHS plus its query string) and copies status and body back. */
export async function proxyQuery(upstream: PrometheusUpstream, pathAndQuery: string, response: ServerResponse, share: BudgetShare, limit = MAX_ANSWER_BYTES): Promise<void> {
  let answer: UpstreamAnswer;
  try {
    answer = await fetchUpstream(upstream, pathAndQuery, limit, share);
  } catch (error) {
    if (error instanceof ViewBusy) {
      sendBusy(response);
      return;
    }
    if (error instanceof AnswerTooLarge) {
      const size = limit >= 1024 * 1024 ? `${Math.round(limit / 1024 / 1024)} MB` : `${Math.round(limit / 1024)} KB`;
      sendJson(response, 502, {
        status: 'error',
        errorType: 'answer_too_large',
        error: `Prometheus's answer is larger than ${size}: the view does not forward it (ask for fewer series or a coarser step)`,
      });
      return;
    }
    const reason = unreachableReason(error);
    sendJson(response, 502, { status: 'error', errorType: UNREACHABLE_ERROR_TYPE, error: `Prometheus is not answering (${reason})`, reason });
    return;
  }
  const { status, contentType, body } = answer;
  const refused = refusedReason(status, contentType, pathAndQuery.split('?')[0] ?? pathAndQuery);
  if (refused !== undefined) {
    sendJson(response, 502, { status: 'error', errorType: REFUSED_ERROR_TYPE, error: refused, reason: refused });
    return;
  }
  // A proxy or load balancer in front of Prometheus may answer 5xx with HTML: the page must still see an outage.
  if (status >= 500 && !contentType.includes('json')) {
    sendJson(response, 502, { status: 'error', errorType: UNREACHABLE_ERROR_TYPE, error: `Prometheus answered HTTP ${status}`, reason: `HTTP ${status}` });
    return;
  }
  response.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
  // The chunks as read: one concatenated copy would hold the answer twice.
  for (const chunk of body) response.write(chunk);
  response.end();
}

/** One instant query made by the view server itself (never proxied); `undefined` when Prometheus does not answer. */
export async function queryScalar(upstream: PrometheusUpstream, promql: string, share: BudgetShare): Promise<number | undefined> {
  const value = Number((await queryVector(upstream, promql, share))?.[0]?.value?.[1]);
  return Number.isFinite(value) && value > 0 ? value : undefined;
}

/** The series of one instant query made by the view server itself; `undefined` when Prometheus does not answer. */
export async function queryVector(
  upstream: PrometheusUpstream,
  promql: string,
  share: BudgetShare,
): Promise<Array<{ metric?: Record<string, string>; value?: [number, string] }> | undefined> {
  try {
    const answer = await fetchUpstream(upstream, `/api/v1/query?${new URLSearchParams({ query: promql }).toString()}`, 1024 * 1024, share);
    const body = JSON.parse(Buffer.concat(answer.body).toString('utf8')) as { data?: { result?: unknown } };
    return Array.isArray(body.data?.result) ? (body.data.result as Array<{ metric?: Record<string, string>; value?: [number, string] }>) : undefined;
  } catch {
    return undefined;
  }
}
