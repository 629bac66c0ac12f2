/**
 * A URL with `user:password@` in it, as Prometheus's own HTTP client (Go's net/http) reads one: the URL is
 * requested without them, with `Authorization: Basic` made of them, and the password is never printed.
 * The one place that does it for every server this package reads with a URL a user wrote: the view's
 * Prometheus (src/view/prometheus-proxy.ts) and a scraped /metrics endpoint (src/push/scrape-source.ts).
 * The gateway takes no credentials in its address (address.ts refuses them): its own come from the
 * configuration (src/config/credentials.ts), in the same header.
 */

export interface UrlCredentials {
  /** The URL without its `user:password@`. */
  readonly url: string;
  /** `Basic …` of the user and password, when the URL (or `password`) has any. */
  readonly authorization: string | undefined;
}

/** `Basic …` of a user and a password, as the HTTP basic scheme (RFC 7617) and Go's SetBasicAuth write it. */
export function basicAuthorization(user: string | Uint8Array, password: string | Uint8Array): string {
  const bytes = (part: string | Uint8Array): Buffer => (typeof part === 'string' ? Buffer.from(part, 'utf8') : Buffer.from(part));
  return `Basic ${Buffer.concat([bytes(user), Buffer.from(':'), bytes(password)]).toString('base64')}`;
}

/**
 * Splits `http://user:pass@host/path` into the URL to request and its basic-auth header. `password`, when
 * given, is the password itself (from a file or the environment, never in the URL), taken as it is.
 */
export function urlCredentials(url: string | URL, password?: string): UrlCredentials {
  const parsed = new URL(url);
  const user = percentDecodedBytes(parsed.username);
  const secret = password === undefined ? percentDecodedBytes(parsed.password) : Buffer.from(password, 'utf8');
  parsed.username = '';
  parsed.password = '';
  return { url: parsed.href, authorization: user.length === 0 && secret.length === 0 ? undefined : basicAuthorization(user, secret) };
}

/**
 * The URL as it may be printed: the password replaced by `***`, the user kept. For text that may not parse
 * as a URL at all (a bad value echoed back in an error), see redactUrl (address.ts).
 */
export function redactedUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password !== '') parsed.password = '***';
  return parsed.toString().replace(/\/$/, '');
}

/**
 * The bytes a URL's user or password stands for: `%XX` is that byte, anything else (a lone `%` included) is
 * itself in UTF-8. decodeURIComponent would throw "URI malformed" on `100%` or on bytes that are not UTF-8.
 */
function percentDecodedBytes(text: string): Buffer {
  const bytes: Buffer[] = [];
  for (let at = 0; at < text.length;) {
    const escape = /^%[0-9a-fA-F]{2}/.exec(text.slice(at, at + 3));
    if (escape !== null) {
      bytes.push(Buffer.from([Number.parseInt(text.slice(at + 1, at + 3), 16)]));
      at += 3;
    } else {
      const char = String.fromCodePoint(text.codePointAt(at) ?? 0);
      bytes.push(Buffer.from(char, 'utf8'));
      at += char.length;
    }
  }
  return Buffer.concat(bytes);
}
