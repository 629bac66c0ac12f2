/**
 * A scrape source: an `extraSources` entry that reads a local /metrics endpoint at each push, so a process
 * that only serves its metrics (a Python trainer's prometheus_client, NVIDIA's dcgm-exporter) is pushed
 * under the node's identity, through the node's pusher.
 *
 *   const metrics = startNodeMetrics({ options: { role: 'trainer' }, extraSources: [scrapeSource('http://127.0.0.1:8000/metrics')] });
 *
 * Each scrape runs under the node's push timeout (extra-sources.ts aborts it there) and reads at most
 * `maxBytes` of the answer. An endpoint that is down, slow, answers an error status, a page larger than
 * that, or a page that is not exposition text, throws a ScrapeError: extra-sources.ts leaves the source out
 * of that push alone, reports it once per kind of trouble, counts it (reason "extra_source") and takes it
 * again as soon as a scrape succeeds. Redirects are followed as Prometheus's scraper follows them (Go's HTTP
 * client: up to 10, to any http(s) URL); a loop or an 11th is refused, naming the chain. The page is asked for as OpenMetrics or text 0.0.4, whichever the
 * endpoint serves, and rewritten as 0.0.4 text (scraped-text.ts), which the gateway parses. A URL's
 * `user:password@` is sent as basic auth, never in the URL nor printed (src/gateway/url-credentials.ts).
 */
import { Agent, request } from 'undici';
import { ConfigError, ScrapeError } from '../errors.js';
import { redactUrl } from '../gateway/address.js';
import { unrefConnector } from '../gateway/client.js';
import { redactedUrl, urlCredentials } from '../gateway/url-credentials.js';
import { describeValue } from '../config/yaml-document.js';
import { ExpositionSyntaxProblem } from './exposition-check.js';
import type { ForeignSource } from './extra-sources.js';
import { scrapedText } from './scraped-text.js';

/** What Prometheus asks a target for: OpenMetrics first, text 0.0.4 after it. */
const ACCEPT = 'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

/** Redirects a scrape follows, as Go's HTTP client in Prometheus's scraper does (then it gives up). */
const MAX_REDIRECTS = 10;
const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

/**
 * The largest page a scrape reads: 4 MiB is about 20,000 series of text, far beyond a trainer's or eight
 * GPUs' dcgm-exporter page (tens of KiB), and a push that large is beyond what one node should send.
 */
export const DEFAULT_SCRAPE_MAX_BYTES = 4 * 2 ** 20;

export interface ScrapeSourceOptions {
  /** The longest page to read (default DEFAULT_SCRAPE_MAX_BYTES); a larger one leaves the source out of that push. */
  readonly maxBytes?: number;
  /** A deadline of its own, shorter than the node's push timeout (which always applies). */
  readonly timeoutSeconds?: number;
}

export class ScrapeSource implements ForeignSource {
  /** The endpoint, without the `user:password@` its URL may hold (they are sent as basic auth). */
  readonly url: string;
  readonly sourceName: string;
  /** Basic auth from the URL's `user:password@` (src/gateway/url-credentials.ts), sent to its origin only. */
  private readonly authorization: string | undefined;
  private readonly maxBytes: number;
  private readonly timeoutMs: number | undefined;
  /** Sockets that never hold a finished program (a scrape in flight when a training program ends). */
  private readonly agent = new Agent({ keepAliveTimeout: 60_000, connections: 1, connect: unrefConnector({}) });

  constructor(url: string, options: ScrapeSourceOptions = {}) {
    const checked = checkScrapeUrl(url, 'scrapeSource()');
    ({ url: this.url, authorization: this.authorization } = urlCredentials(checked));
    this.sourceName = redactedUrl(checked);
    this.maxBytes = positiveOption(options.maxBytes, 'maxBytes', DEFAULT_SCRAPE_MAX_BYTES);
    this.timeoutMs = options.timeoutSeconds === undefined ? undefined : positiveOption(options.timeoutSeconds, 'timeoutSeconds', 0) * 1000;
  }

  /** The page as 0.0.4 text; `signal` is the push timeout's (extra-sources.ts). */
  async metrics(signal?: AbortSignal): Promise<string> {
    const signals = [signal, this.timeoutMs === undefined ? undefined : AbortSignal.timeout(this.timeoutMs)].filter((one) => one !== undefined);
    const url = this.sourceName;
    const options = { dispatcher: this.agent, ...(signals.length === 0 ? {} : { signal: AbortSignal.any(signals) }) };
    const chain = [this.url];
    let response;
    for (;;) {
      const target = chain[chain.length - 1] ?? this.url;
      try {
        response = await request(urlCredentials(target).url, { ...options, headers: this.headers(target) });
      } catch (error) {
        throw failure(url, error);
      }
      if (!REDIRECT_STATUSES.has(response.statusCode)) break;
      discard(response.body);
      const next = redirectTarget(url, target, response.headers['location'], response.statusCode);
      const shown = (): string => [...chain, next].map(redactUrl).join(' → ');
      if (chain.includes(next)) throw new ScrapeError(url, 'http_status', `redirects in a loop (${shown()})`);
      if (chain.length > MAX_REDIRECTS) throw new ScrapeError(url, 'http_status', `redirects more than ${MAX_REDIRECTS} times, as far as Prometheus follows (${shown()})`);
      chain.push(next);
    }
    if (response.statusCode !== 200) {
      discard(response.body);
      throw new ScrapeError(url, 'http_status', `answered HTTP ${response.statusCode}`);
    }
    const declared = Number(response.headers['content-length']);
    if (declared > this.maxBytes) {
      discard(response.body);
      throw new ScrapeError(url, 'too_large', `answered a page of ${declared} bytes, over the ${this.maxBytes} bytes a scrape reads`);
    }
    const chunks: Buffer[] = [];
    let read = 0;
    try {
      for await (const chunk of response.body) {
        const buffer = chunk as Buffer;
        read += buffer.length;
        if (read > this.maxBytes) {
          discard(response.body);
          throw new ScrapeError(url, 'too_large', `answered a page of over ${this.maxBytes} bytes (the most a scrape reads); the rest was not read`);
        }
        chunks.push(buffer);
      }
    } catch (error) {
      throw failure(url, error);
    }
    const contentType = response.headers['content-type'];
    try {
      return scrapedText(Buffer.concat(chunks).toString('utf8'), Array.isArray(contentType) ? contentType[0] : contentType);
    } catch (error) {
      if (error instanceof ExpositionSyntaxProblem) throw new ScrapeError(url, 'malformed', `answered a page that is not exposition format (${error.message})`, error);
      throw error;
    }
  }

  /**
   * A redirect's own `user:password@` is used as the URL's is; else the endpoint's credentials go with a
   * request to its origin only, as Go's client (Prometheus's) drops Authorization on a redirect elsewhere.
   */
  private headers(target: string): Record<string, string> {
    const own = urlCredentials(target).authorization;
    const authorization = own ?? (new URL(target).origin === new URL(this.url).origin ? this.authorization : undefined);
    return authorization === undefined ? { accept: ACCEPT } : { accept: ACCEPT, authorization };
  }

  /**
   * Closes the scrape's connection, aborting a scrape still in flight: waiting for it would hold a caller
   * that is ending (its sockets do not hold the process, so an awaited close could be the last thing the
   * process waits for, and it would end without settling it).
   */
  async close(): Promise<void> {
    await this.agent.destroy();
  }
}

export function scrapeSource(url: string, options?: ScrapeSourceOptions): ScrapeSource {
  return new ScrapeSource(url, options);
}

/** An http(s) URL with a host (a query is kept: some exporters filter by it), without its fragment. */
export function checkScrapeUrl(url: unknown, source: string): string {
  let parsed: URL | undefined;
  try {
    parsed = typeof url === 'string' ? new URL(url) : undefined;
  } catch {
    parsed = undefined;
  }
  if (parsed === undefined || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || parsed.hostname === '') {
    const found = typeof url === 'string' ? JSON.stringify(redactUrl(url)) : describeValue(url);
    throw new ConfigError({ source, path: 'url' }, 'the http:// or https:// URL of a /metrics endpoint (e.g. http://127.0.0.1:8000/metrics)', found);
  }
  parsed.hash = '';
  return parsed.href;
}

/**
 * The first endpoint given twice, as [its first index, the repeat's]: the same URL once read (checkScrapeUrl),
 * whatever credentials each spelling holds. Scraped twice, every family of its page clashes with itself
 * at every push.
 */
export function repeatedEndpoint(urls: readonly string[]): [number, number] | undefined {
  const seen = new Map<string, number>();
  for (const [index, url] of urls.entries()) {
    const endpoint = urlCredentials(url).url;
    const first = seen.get(endpoint);
    if (first !== undefined) return [first, index];
    seen.set(endpoint, index);
  }
  return undefined;
}

function positiveOption(value: unknown, key: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value === 'number' && value > 0 && Number.isFinite(value)) return value;
  throw new ConfigError({ source: 'scrapeSource()', path: key }, 'a positive number', describeValue(value));
}

function failure(url: string, error: unknown): ScrapeError {
  if (error instanceof ScrapeError) return error;
  const name = (error as { name?: string }).name;
  const code = (error as { code?: string }).code;
  if (name === 'TimeoutError' || name === 'AbortError' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') {
    return new ScrapeError(url, 'timeout', 'did not answer in time', error);
  }
  const reason = code ?? (error instanceof Error ? error.message : String(error));
  return new ScrapeError(url, 'unreachable', `could not be read (${reason})`, error);
}

/** Where a redirect answer points: its Location, resolved against the URL asked, an http(s) URL. */
function redirectTarget(url: string, from: string, location: string | string[] | undefined, status: number): string {
  const text = Array.isArray(location) ? location[0] : location;
  let next: URL | undefined;
  try {
    next = text === undefined ? undefined : new URL(text, from);
  } catch {
    next = undefined;
  }
  if (next === undefined || (next.protocol !== 'http:' && next.protocol !== 'https:')) {
    throw new ScrapeError(url, 'http_status', `answered HTTP ${status} without an http(s) Location to follow (${text === undefined ? 'none' : JSON.stringify(redactUrl(text))})`);
  }
  next.hash = '';
  return next.href;
}

/** Drops the rest of an answer unread (destroying an undici body emits an error nobody else listens for). */
function discard(body: { on(event: 'error', listener: () => void): unknown; destroy(): unknown }): void {
  body.on('error', () => {});
  body.destroy();
}
