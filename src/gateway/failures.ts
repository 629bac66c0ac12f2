/**
 * The one classification of a gateway's failures: what undici throws becomes a typed error
 * (src/errors.ts), and a typed error becomes the reason a node counts it under
 * (persia_metrics_push_failures_total{reason}) and the replicated transport acts on.
 */
import { GatewayRequestError, PushHttpError, PushNetworkError, PushTimeoutError } from '../errors.js';

/** `encoding`: anything that is not the gateway's doing (a body that could not be built or sent). */
export type GatewayFailureReason = 'timeout' | 'connection' | 'http_4xx' | 'http_5xx' | 'encoding';

/** The one classification of a failed request into the typed errors of src/errors.ts. */
export function classify(error: unknown, method: string, url: string, timeoutSeconds: number): GatewayRequestError {
  if (error instanceof GatewayRequestError) return error;
  const name = (error as { name?: string }).name;
  const code = (error as { code?: string }).code;
  if (name === 'TimeoutError' || name === 'AbortError' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') {
    return new PushTimeoutError(method, url, timeoutSeconds);
  }
  return new PushNetworkError(method, url, error);
}

/**
 * `connection`: nothing that works answers there (refused, reset, DNS, or an answer longer than any a
 * Pushgateway sends: a proxy or another program on that port).
 */
export function failureReason(error: Error): GatewayFailureReason {
  if (error instanceof PushHttpError) return error.statusCode >= 500 ? 'http_5xx' : 'http_4xx';
  if (!(error instanceof GatewayRequestError)) return 'encoding';
  return error.code === 'PERSIA_PUSH_TIMEOUT' ? 'timeout' : 'connection';
}
