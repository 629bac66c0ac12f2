/**
 * The one HTTP client of a Pushgateway: a node's pushes and deletes, its identity read-back, `status`,
 * `expire`, `end-job` and the local stack all go through it. One undici agent per client, the endpoint's
 * deadline on every request (one milliseconds rule, endpoint.ts), every failure classified into a typed
 * error (src/errors.ts), and every answer read up to what a Pushgateway ever sends for that request:
 * beyond it the rest is dropped unread and the connection closed (an endless 200 body once grew a
 * training process to 738 MiB).
 */
import type { Socket } from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import { Agent, buildConnector, request, type Dispatcher } from 'undici';
import { GatewayAnswerTooLargeError, PushHttpError, PushNetworkError, PushTimeoutError, StatusError } from '../errors.js';
import { parseGroups, type ApiGroup } from './api.js';
import type { GatewayEndpoint } from './endpoint.js';
import { classify } from './failures.js';
import type { ExchangeResult, GatewayMethod, GatewayTransport } from './transport.js';

const gzip = promisify(gzipCallback);

/** A PUT or DELETE is answered by an empty 202, or a 400 with the parse error: a few hundred bytes. */
export const ANSWER_LIMIT_BYTES = 64 * 1024;
/**
 * `/api/v1/metrics` and `/metrics` are the whole gateway, about 200 bytes per series as JSON (less as
 * text): 256 MiB is over a million series, more than the capacity model puts on one gateway
 * (docs/capacity.md).
 */
export const WHOLE_GATEWAY_LIMIT_BYTES = 256 * 2 ** 20;
/** The 500 of `/metrics` lists each series it cannot expose (about 250 bytes each): 4 MiB names 16,000. */
export const SCRAPE_ERROR_LIMIT_BYTES = 4 * 2 ** 20;
/** A line of `/metrics` handed to a reader is cut here: a series line of a Pushgateway is a few hundred bytes. */
export const LINE_LIMIT_CHARS = 2 ** 20;

export interface ClientOptions {
  /**
   * Sockets that never keep the process alive: a node's background pushes and read-backs must not hold a
   * finished training program (its explicit calls hold it with keep-alive.ts). A command that awaits its
   * requests as its whole work leaves this off.
   */
  readonly background?: boolean;
  /**
   * A node's pushes use one connection: when a push times out, undici rejects before the abandoned socket
   * is torn down, and a second connection would carry the next push while the gateway may still apply the
   * old one (two pushes of the group in flight, possibly applied out of order). With one, it waits.
   */
  readonly connections?: number;
}

/** How a scan of `/metrics` ended: the visitor stopped it, the page ended, or it passed the limit. */
export type ScanEnd = 'stopped' | 'end' | 'too_large';

export class GatewayClient implements GatewayTransport {
  private readonly agent: Agent;

  constructor(
    readonly endpoint: GatewayEndpoint,
    options: ClientOptions = {},
  ) {
    const connect = { timeout: endpoint.timeoutMs, ...endpoint.connect };
    this.agent = new Agent({
      keepAliveTimeout: 60_000, // a node pushes every few seconds for days: reconnecting costs more than the push
      ...(options.connections === undefined ? {} : { connections: options.connections }),
      connect: options.background === true ? unrefConnector(connect) : connect,
    });
  }

  get currentBaseUrl(): string {
    return this.endpoint.baseUrl;
  }

  /** PUT (with a body and its content type) or DELETE of a group path; 200 and 202 are success. */
  async send(method: GatewayMethod, path: string, body?: string | Uint8Array, contentType?: string): Promise<ExchangeResult> {
    const url = `${this.endpoint.baseUrl}${path}`;
    const started = performance.now();
    const headers: Record<string, string> = { ...this.endpoint.headers };
    let payload: string | Uint8Array | undefined = body;
    if (body !== undefined) {
      if (contentType !== undefined) headers['content-type'] = contentType;
      if (this.endpoint.gzip) {
        payload = await gzip(body);
        headers['content-encoding'] = 'gzip';
      }
    }
    try {
      // One write, not pieces: writing a 255 KB body in 16 or 64 KB pieces a turn apart changed neither
      // the wall time nor the event-loop block measured by the bench (the write is ~2 ms of syscall).
      const response = await this.request(method, url, headers, payload);
      const text = await readBounded(response, ANSWER_LIMIT_BYTES, method, url);
      if (response.statusCode !== 200 && response.statusCode !== 202) throw new PushHttpError(method, url, response.statusCode, text);
      return { statusCode: response.statusCode, durationSeconds: (performance.now() - started) / 1000, baseUrl: this.endpoint.baseUrl };
    } catch (error) {
      throw classify(error, method, url, this.endpoint.timeoutSeconds);
    }
  }

  put(path: string, body: string | Uint8Array, contentType: string): Promise<ExchangeResult> {
    return this.send('PUT', path, body, contentType);
  }

  delete(path: string): Promise<ExchangeResult> {
    return this.send('DELETE', path);
  }

  /**
   * Every group on the gateway (all jobs), from `GET /api/v1/metrics`. Rejects with StatusError when the
   * gateway cannot be read or answers something else, GatewayAnswerTooLargeError past WHOLE_GATEWAY_LIMIT_BYTES.
   */
  async groups(): Promise<ApiGroup[]> {
    const url = `${this.endpoint.baseUrl}/api/v1/metrics`;
    let text: string;
    let statusCode: number;
    try {
      const response = await this.request('GET', url, { ...this.endpoint.headers });
      statusCode = response.statusCode;
      text = await readBounded(response, WHOLE_GATEWAY_LIMIT_BYTES, 'GET', url);
    } catch (error) {
      const failure = classify(error, 'GET', url, this.endpoint.timeoutSeconds);
      if (failure instanceof GatewayAnswerTooLargeError) throw failure;
      const reason =
        failure instanceof PushTimeoutError ? `no answer within ${this.endpoint.timeoutSeconds} s` : failure instanceof PushNetworkError ? failure.detail : failure.message;
      throw new StatusError(`cannot read ${url}: ${reason}`, failure);
    }
    if (statusCode !== 200) throw new StatusError(`GET ${url} answered ${statusCode}: ${text.trim().slice(0, 200)}`);
    return parseGroups(text, url);
  }

  /** `/metrics`, the page Prometheus scrapes, whole (up to WHOLE_GATEWAY_LIMIT_BYTES). Rejects with a GatewayRequestError. */
  async metricsText(): Promise<string> {
    const url = `${this.endpoint.baseUrl}/metrics`;
    try {
      const response = await this.request('GET', url, { ...this.endpoint.headers });
      const text = await readBounded(response, WHOLE_GATEWAY_LIMIT_BYTES, 'GET', url);
      if (response.statusCode !== 200) throw new PushHttpError('GET', url, response.statusCode, text);
      return text;
    } catch (error) {
      throw classify(error, 'GET', url, this.endpoint.timeoutSeconds);
    }
  }

  /**
   * `/metrics`'s status, and its body when it is not 200 (up to SCRAPE_ERROR_LIMIT_BYTES, the rest
   * dropped). A 200 page is handed to `visitPage` line by line as it streams, never held (up to
   * WHOLE_GATEWAY_LIMIT_BYTES, then `pageEnd` is 'too_large' and the rest is dropped unread); without a
   * visitor it is left unread. Rejects with a GatewayRequestError when nothing answers.
   */
  async scrapeStatus(visitPage?: (line: string) => void): Promise<{ statusCode: number; body: string; pageEnd?: ScanEnd }> {
    const url = `${this.endpoint.baseUrl}/metrics`;
    try {
      const response = await this.request('GET', url, { ...this.endpoint.headers });
      if (response.statusCode === 200) {
        if (visitPage === undefined) {
          response.body.on('error', () => {}); // destroying an unread body reports an abort: expected here
          response.body.destroy(); // the page itself is not needed
          return { statusCode: 200, body: '' };
        }
        return { statusCode: 200, body: '', pageEnd: await streamLines(response.body, visitPage, WHOLE_GATEWAY_LIMIT_BYTES) };
      }
      let body = '';
      for await (const chunk of response.body) {
        body += (chunk as Buffer).toString('utf8');
        if (body.length > SCRAPE_ERROR_LIMIT_BYTES) {
          body = body.slice(0, SCRAPE_ERROR_LIMIT_BYTES);
          break; // leaving the loop destroys the rest unread
        }
      }
      return { statusCode: response.statusCode, body };
    } catch (error) {
      throw classify(error, 'GET', url, this.endpoint.timeoutSeconds);
    }
  }

  /**
   * Reads `/metrics` line by line until `visit` returns true, the page ends, or
   * `limitBytes` were read (the rest is dropped unread). Rejects with a GatewayRequestError.
   */
  async scanMetrics(visit: (line: string) => boolean | void, limitBytes: number): Promise<ScanEnd> {
    const url = `${this.endpoint.baseUrl}/metrics`;
    try {
      const response = await this.request('GET', url, { ...this.endpoint.headers });
      if (response.statusCode !== 200) throw new PushHttpError('GET', url, response.statusCode, await readBounded(response, ANSWER_LIMIT_BYTES, 'GET', url));
      return await streamLines(response.body, visit, limitBytes);
    } catch (error) {
      throw classify(error, 'GET', url, this.endpoint.timeoutSeconds);
    }
  }

  async close(): Promise<void> {
    await this.agent.close().catch(() => this.agent.destroy());
  }

  async destroy(): Promise<void> {
    await this.agent.destroy().catch(() => {});
  }

  private request(method: Dispatcher.HttpMethod, url: string, headers: Record<string, string>, body?: string | Uint8Array): Promise<Dispatcher.ResponseData> {
    const timeoutMs = this.endpoint.timeoutMs;
    return request(url, {
      method,
      headers,
      body: body ?? null,
      dispatcher: this.agent,
      signal: AbortSignal.timeout(timeoutMs),
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
  }
}

/** The answer's body as text, or GatewayAnswerTooLargeError once it passes `limitBytes` (the rest unread). */
async function readBounded(response: Dispatcher.ResponseData, limitBytes: number, method: string, url: string): Promise<string> {
  const chunks: Buffer[] = [];
  let read = 0;
  for await (const chunk of response.body) {
    const buffer = chunk as Buffer;
    read += buffer.length;
    if (read > limitBytes) {
      response.body.destroy();
      throw new GatewayAnswerTooLargeError(method, url, response.statusCode, limitBytes);
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Hands a body to `visit` line by line (a character split across chunks kept whole) until it returns true,
 * the body ends, or `limitBytes` were read. Each chunk is searched once (a body without newlines costs
 * linear time, not quadratic), and a line is handed over cut at LINE_LIMIT_CHARS: memory stays bounded by a
 * line, whatever the page.
 */
async function streamLines(body: Dispatcher.ResponseData['body'], visit: (line: string) => boolean | void, limitBytes: number): Promise<ScanEnd> {
  const decoder = new StringDecoder('utf8');
  let read = 0;
  let pending: string[] = [];
  let pendingChars = 0;
  const keep = (part: string): void => {
    if (pendingChars >= LINE_LIMIT_CHARS) return;
    const kept = part.slice(0, LINE_LIMIT_CHARS - pendingChars);
    pending.push(kept);
    pendingChars += kept.length;
  };
  const take = (): string => {
    const line = pending.join('');
    pending = [];
    pendingChars = 0;
    return line;
  };
  for await (const chunk of body) {
    const buffer = chunk as Buffer;
    read += buffer.length;
    const text = decoder.write(buffer);
    let start = 0;
    for (let newline = text.indexOf('\n'); newline !== -1; newline = text.indexOf('\n', start)) {
      keep(text.slice(start, newline));
      start = newline + 1;
      if (visit(take()) === true) return stop(body, 'stopped');
    }
    keep(text.slice(start));
    if (read > limitBytes) return stop(body, 'too_large');
  }
  keep(decoder.end());
  const last = take();
  return last !== '' && visit(last) === true ? 'stopped' : 'end';
}

function stop(body: { destroy(): unknown }, end: ScanEnd): ScanEnd {
  body.destroy(); // the rest of the page is not needed
  return end;
}

/**
 * undici's default connector, with sockets that never keep the process alive. undici refs its socket while
 * a request is pending, so a background push to a gateway that hangs (or a connect that never completes)
 * would keep a finished training program alive for the push timeout, once more for each push that starts
 * meanwhile (measured: 10 s after the program's end with a 5 s timeout).
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

/** Every group on one gateway, with a client of its own (one request: `status`, the local stack, tests). */
export async function fetchGatewayGroups(endpoint: GatewayEndpoint): Promise<ApiGroup[]> {
  const client = new GatewayClient(endpoint);
  try {
    return await client.groups();
  } finally {
    await client.close();
  }
}
