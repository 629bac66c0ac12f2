/**
 * How a push reaches a gateway. The Pusher knows the group's path and a `GatewayTransport`: the one below
 * talks to one gateway (HttpGatewayTransport), and replicated-transport.ts composes several of them behind
 * the same interface (a replica list, failover, clean-up behind a node that moved).
 *
 * One HTTP exchange: undici with a keep-alive agent (a node pushes every few seconds for days; reconnecting
 * each time costs more than the push), a hard deadline per request, optional gzip, and every failure turned
 * into a typed error with the reason a user can act on. Bodies are text (a string) or protobuf-delimited
 * bytes, each with its content type.
 */
import type { Socket } from 'node:net';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import { Agent, buildConnector, request } from 'undici';
import { PushHttpError, PushNetworkError, PushTimeoutError } from '../errors.js';
import { TEXT_CONTENT_TYPE } from '../metrics/exposition-format.js';

const gzip = promisify(gzipCallback);

/** PUT replaces the node's group, DELETE drops it: the only two requests a node makes. */
export type GatewayMethod = 'PUT' | 'DELETE';

export interface TransportOptions {
  readonly timeoutSeconds: number;
  readonly gzip: boolean;
  /** Extra headers on every request (e.g. Authorization). */
  readonly headers?: Readonly<Record<string, string>>;
  /** undici connect options, e.g. TLS `ca` / `rejectUnauthorized`. */
  readonly connect?: Readonly<Record<string, unknown>>;
}

export interface ExchangeResult {
  readonly statusCode: number;
  readonly durationSeconds: number;
}

export interface GatewayTransport {
  /** `scheme://host:port` of the gateway the next request goes to. */
  readonly currentBaseUrl: string;
  /** 200 and 202 are success; anything else rejects with a PushHttpError, PushTimeoutError or PushNetworkError. */
  send(method: GatewayMethod, path: string, body?: string | Uint8Array, contentType?: string): Promise<ExchangeResult>;
  /**
   * At shutdown, before close: the clean-up this transport still owes (a replicated transport deletes the
   * copies of the group left on replicas it moved away from). Never rejects; reports what it could not do.
   */
  deleteLeftCopies?(): Promise<void>;
  /** Graceful: lets requests in flight finish first. */
  close(): Promise<void>;
  /** At once: aborts any request in flight (a shutdown whose deadline passed must not wait for a hung socket). */
  destroy(): Promise<void>;
}

/** One gateway. Each request goes to `baseUrl` + path. */
export class HttpGatewayTransport implements GatewayTransport {
  private readonly agent: Agent;

  constructor(
    private readonly options: TransportOptions,
    readonly currentBaseUrl: string,
  ) {
    this.agent = new Agent({
      keepAliveTimeout: 60_000,
      // One connection per gateway: when a push times out, undici rejects before the abandoned socket is torn
      // down, and a second connection would carry the next push while the gateway may still be applying the
      // old one (two pushes of the group in flight, possibly applied out of order). With one, the next push
      // waits for that socket to close.
      connections: 1,
      connect: unrefConnector({ timeout: wholeMilliseconds(options.timeoutSeconds), ...options.connect }),
    });
  }

  /** `contentType` defaults to the text exposition's. */
  async send(method: GatewayMethod, path: string, body?: string | Uint8Array, contentType = TEXT_CONTENT_TYPE): Promise<ExchangeResult> {
    const url = `${this.currentBaseUrl}${path}`;
    const started = performance.now();
    const headers: Record<string, string> = { ...this.options.headers };
    let payload: string | Uint8Array | undefined = body;
    if (body !== undefined) {
      headers['content-type'] = contentType;
      if (this.options.gzip) {
        payload = await gzip(body);
        headers['content-encoding'] = 'gzip';
      }
    }
    const timeoutMs = wholeMilliseconds(this.options.timeoutSeconds);
    try {
      const response = await request(url, {
        method,
        headers,
        // One write, not pieces: writing a 255 KB body in 16 or 64 KB pieces a turn apart changed neither
        // the wall time nor the event-loop block measured by the bench (the write is ~2 ms of syscall).
        body: payload ?? null,
        dispatcher: this.agent,
        signal: AbortSignal.timeout(timeoutMs),
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      const text = await response.body.text();
      if (response.statusCode !== 200 && response.statusCode !== 202) {
        throw new PushHttpError(method, url, response.statusCode, text);
      }
      return { statusCode: response.statusCode, durationSeconds: (performance.now() - started) / 1000 };
    } catch (error) {
      throw classify(error, method, url, this.options.timeoutSeconds);
    }
  }

  async close(): Promise<void> {
    await this.agent.close().catch(() => this.agent.destroy());
  }

  async destroy(): Promise<void> {
    await this.agent.destroy().catch(() => {});
  }
}

/**
 * undici's default connector, with sockets that never keep the process alive. undici refs its socket while
 * a request is pending, so a background push to a gateway that hangs (or a connect that never completes)
 * would keep a finished training program alive for the push timeout, once more for each push that starts
 * meanwhile (measured: 10 s after the program's end with a 5 s timeout). Explicit calls (flush(),
 * shutdown()) hold the process themselves while they are pending (see keep-alive.ts), so no socket needs to.
 */
export function unrefConnector(options: buildConnector.BuildOptions): buildConnector.connector {
  const connect = buildConnector(options);
  return (connectOptions, callback) => {
    // The connector returns its socket (undici's types say void): unref it already while it connects.
    const socket = connect(connectOptions, callback) as unknown as Socket | undefined;
    if (socket !== undefined) neverRef(socket);
  };
}

function neverRef(socket: Socket): void {
  socket.unref();
  socket.ref = () => socket; // undici calls ref() whenever a request is queued on the socket (client-h1 resume)
}

/**
 * undici's timers and AbortSignal.timeout take whole milliseconds: 0.1234 s as 123.4 ms made every request
 * fail with ERR_OUT_OF_RANGE, so a node configured so never delivered anything (found by a new-user session).
 */
function wholeMilliseconds(seconds: number): number {
  return Math.max(1, Math.ceil(seconds * 1000));
}

function classify(error: unknown, method: string, url: string, timeoutSeconds: number): Error {
  if (error instanceof PushHttpError) return error;
  const name = (error as { name?: string }).name;
  const code = (error as { code?: string }).code;
  if (name === 'TimeoutError' || name === 'AbortError' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') {
    return new PushTimeoutError(method, url, timeoutSeconds);
  }
  return new PushNetworkError(method, url, error);
}
