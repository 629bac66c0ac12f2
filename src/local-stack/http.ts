/**
 * Requests to the local Prometheus and VictoriaMetrics. The local Pushgateway is read through the gateway
 * client every other path uses (src/gateway/client.ts, in pushgateway-process.ts).
 */
import { errorText } from '../errors.js';

/** Per-request bound, so a hung server fails the test with a message instead of the test timeout. */
const REQUEST_TIMEOUT_MS = 10_000;

/** GET/PUT/... `url` and return the body; throws with status and body unless the status is 2xx. */
export async function httpText(url: string, init: RequestInit = {}): Promise<string> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS), ...init });
  } catch (err) {
    throw new Error(`${init.method ?? 'GET'} ${url} failed: ${errorText(err)}`, { cause: err });
  }
  const body = await res.text();
  if (!res.ok) {
    throw new Error(`${init.method ?? 'GET'} ${url} answered ${res.status}: ${body.slice(0, 2000)}`);
  }
  return body;
}

/** Like `httpText` but parses JSON (the caller narrows the `unknown`). */
export async function httpJson(url: string, init: RequestInit = {}): Promise<unknown> {
  const text = await httpText(url, init);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new Error(`${url} did not answer JSON: ${text.slice(0, 500)}`);
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
