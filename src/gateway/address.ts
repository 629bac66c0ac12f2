/**
 * Gateway addresses as users write them: `host:port` (PersiaML's form), optionally with an http:// or
 * https:// scheme, optionally several comma-separated replicas. Anything else (a path, a query, credentials
 * in the URL) is refused here with a reason, instead of turning into a confusing 404 at push time.
 *
 * The only parser of an address list: the `gateway_addr` option (src/config/options.ts) and every
 * command's `--gateway` go through `parseGatewayList`, which also drops a gateway spelt twice, so a node,
 * `status`, `expire` and `end-job` all see each gateway once.
 */

export interface GatewayAddress {
  readonly scheme: 'http' | 'https';
  readonly host: string;
  readonly port: number;
  /** `scheme://host:port` with no trailing slash: the base the push paths are appended to. */
  readonly baseUrl: string;
}

export const DEFAULT_GATEWAY_PORT = 9091;

export function parseGatewayAddress(text: string): { address?: GatewayAddress; error?: string } {
  const trimmed = text.trim();
  if (trimmed === '') return { error: 'an empty address' };
  // The URL parser silently drops tabs and newlines ("gate\nway:9091" would become "gateway:9091") and
  // reads a space as part of the host: refuse them instead of pushing somewhere nobody wrote.
  // eslint-disable-next-line no-control-regex
  if (/[\s\u0000-\u001f\u007f]/.test(trimmed)) return { error: `whitespace or a control character in ${JSON.stringify(trimmed)}` };
  const hasScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed);
  let url: URL;
  try {
    url = new URL(hasScheme ? trimmed : `http://${trimmed}`);
  } catch {
    return { error: `"${trimmed}" is not host:port` };
  }
  const scheme = url.protocol.slice(0, -1);
  if (scheme !== 'http' && scheme !== 'https') return { error: `scheme "${scheme}" in "${trimmed}" (only http and https)` };
  if (url.username || url.password) {
    return { error: `credentials in "${redactUrl(trimmed)}" (give them by PERSIA_METRICS_BASIC_AUTH_* environment variables, never in the address)` };
  }
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) {
    return { error: `a path or query in "${trimmed}" (the gateway address is host:port; push paths are added by the client)` };
  }
  if (url.hostname === '') return { error: `no host in "${trimmed}"` };
  // The URL parser reads a bare number, hex or a short dotted form as an IPv4 address ("19511" is
  // 0.0.76.55): only an address written in full is one (found by a new-user session).
  if (/^\d+\.\d+\.\d+\.\d+$/.test(url.hostname) && !trimmed.includes(url.hostname)) {
    return { error: `"${trimmed}" is not host:port (it would be read as the IPv4 address ${url.hostname}; write host:port, e.g. 127.0.0.1:${DEFAULT_GATEWAY_PORT})` };
  }
  if (url.port === '0') return { error: `port 0 in "${trimmed}" (a gateway listens on a real port)` };
  const port = url.port === '' ? (hasScheme && scheme === 'https' ? 443 : DEFAULT_GATEWAY_PORT) : Number(url.port);
  const host = url.hostname;
  return { address: { scheme, host, port, baseUrl: `${scheme}://${host}:${port}` } };
}

/** A parsed list: each gateway once, and the entries dropped as another spelling of an earlier one. */
export interface GatewayList {
  readonly addresses: GatewayAddress[];
  /** `[kept, dropped]` pairs, for a warning that says which entry was read as which. */
  readonly repeated: [GatewayAddress, GatewayAddress][];
}

/** A comma-separated list of gateway replicas; every entry must parse, and each gateway is kept once. */
export function parseGatewayList(text: string): Partial<GatewayList> & { error?: string } {
  const addresses: GatewayAddress[] = [];
  for (const part of text.split(',')) {
    const { address, error } = parseGatewayAddress(part);
    if (error !== undefined || address === undefined) return { error: error ?? 'an invalid address' };
    addresses.push(address);
  }
  return distinctGateways(addresses);
}

/**
 * `scheme://user:password@host` → `scheme://***@host`: for any text that may echo an address back. Up to
 * the last `@`, however malformed: a password may hold an `@`, `/`, `%` or a space that no URL parser took.
 */
export function redactUrl(text: string): string {
  const at = text.lastIndexOf('@');
  if (at === -1) return text;
  const scheme = text.indexOf('//');
  const from = scheme !== -1 && scheme < at ? scheme + 2 : 0;
  return `${text.slice(0, from)}***${text.slice(at)}`;
}

/** Spellings of the loopback host: on one machine they reach the same gateway. */
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * A host whose traffic never leaves the machine: `localhost`, 127.0.0.0/8 written in full, `[::1]`. What
 * goes to any other host over plain http crosses a network in clear (src/config/warnings.ts warns about
 * credentials sent that way).
 */
export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_HOSTS.has(host) || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** One key per gateway however it is spelt (`localhost:9091`, `127.0.0.1:9091`, `http://127.0.0.1:9091/`). */
export function gatewayKey(address: GatewayAddress): string {
  const host = LOOPBACK_HOSTS.has(address.host) ? 'loopback' : address.host;
  return `${address.scheme}://${host}:${address.port}`;
}

/**
 * The list with each gateway once, and the entries dropped as another spelling of an earlier one. Kept
 * twice, one gateway would be two replicas to a node: it would "move" between them when the gateway
 * hangs and delete its own live group as the copy it left (found by a new-user session).
 */
function distinctGateways(addresses: readonly GatewayAddress[]): GatewayList {
  const seen = new Map<string, GatewayAddress>();
  const repeated: [GatewayAddress, GatewayAddress][] = [];
  for (const address of addresses) {
    const first = seen.get(gatewayKey(address));
    if (first === undefined) seen.set(gatewayKey(address), address);
    else repeated.push([first, address]);
  }
  return { addresses: [...seen.values()], repeated };
}
