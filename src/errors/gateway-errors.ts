/**
 * Errors of a request to a gateway (src/gateway): one class per way it fails, each with the method and URL.
 */
import { formatBytes } from './error-text.js';
import { PersiaMetricsError, type PersiaErrorCode } from './persia-error.js';

/**
 * A request to a gateway failed (src/gateway/failures.ts classifies every failure into one of the classes
 * below). `failover` is set by the replicated transport when this failure moved the node from one replica
 * (base URL) to another: the next request goes there, so a caller may retry at once.
 */
export abstract class GatewayRequestError extends PersiaMetricsError {
  readonly method: string;
  readonly url: string;
  failover: { readonly from: string; readonly to: string } | undefined;

  constructor(code: PersiaErrorCode, method: string, url: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.method = method;
    this.url = url;
  }
}

/** The gateway answered with a status other than 200/202. `body` holds the gateway's reason. */
export class PushHttpError extends GatewayRequestError {
  readonly statusCode: number;
  readonly body: string;

  constructor(method: string, url: string, statusCode: number, body: string) {
    super('PERSIA_PUSH_HTTP', method, url, `${method} ${url} answered ${statusCode}: ${body.trim() || '(empty body)'}`);
    this.statusCode = statusCode;
    this.body = body;
  }
}

export class PushTimeoutError extends GatewayRequestError {
  readonly timeoutSeconds: number;

  constructor(method: string, url: string, timeoutSeconds: number) {
    super('PERSIA_PUSH_TIMEOUT', method, url, `${method} ${url} did not answer within ${timeoutSeconds} s`);
    this.timeoutSeconds = timeoutSeconds;
  }
}

/** DNS failure, refused connection, reset: anything below HTTP. */
export class PushNetworkError extends GatewayRequestError {
  /** What went wrong below HTTP (`ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:1`). */
  readonly detail: string;

  constructor(method: string, url: string, cause: unknown) {
    const detail = cause instanceof Error ? describeNetworkCause(cause) : String(cause);
    super('PERSIA_PUSH_NETWORK', method, url, `${method} ${url} failed: ${detail}`, { cause });
    this.detail = detail;
  }
}

/**
 * The answer was longer than a Pushgateway ever sends for that request: the rest was dropped unread and the
 * connection closed. Whatever answers there (a proxy, another program) is not a gateway that works.
 */
export class GatewayAnswerTooLargeError extends GatewayRequestError {
  readonly limitBytes: number;

  constructor(method: string, url: string, statusCode: number, limitBytes: number) {
    super(
      'PERSIA_GATEWAY_ANSWER_TOO_LARGE',
      method,
      url,
      `${method} ${url} answered ${statusCode} with more than ${formatBytes(limitBytes)}, more than a Pushgateway ever sends for it: the rest was not read`,
    );
    this.limitBytes = limitBytes;
  }
}

/** undici wraps the useful part (ECONNREFUSED, ENOTFOUND) in `cause`; surface it. */
function describeNetworkCause(error: Error): string {
  const inner = error.cause instanceof Error ? error.cause : undefined;
  const code = (inner as NodeJS.ErrnoException | undefined)?.code ?? (error as NodeJS.ErrnoException).code;
  const message = inner?.message ?? error.message;
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}
