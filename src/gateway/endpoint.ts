/**
 * One gateway as every request to it needs it, built once: where it is, how to authenticate, which CAs to
 * trust, how long to wait. A node, `status`, `expire`, `end-job` and the local stack all build one and hand
 * it to a client (client.ts); nothing travels beside it.
 */
import type { GatewayAddress } from './address.js';

/** Credentials and TLS trust, already read (src/config/credentials.ts reads the secret files). */
export interface GatewayAccess {
  /** Extra headers on every request (Authorization). */
  readonly headers?: Readonly<Record<string, string>>;
  /** undici connect options, e.g. TLS `ca` / `rejectUnauthorized`. */
  readonly connect?: Readonly<Record<string, unknown>>;
}

export interface GatewayEndpoint {
  /** `scheme://host:port`, no trailing slash: request paths are appended to it. */
  readonly baseUrl: string;
  /** As configured, for messages ("did not answer within 0.1234 s"). */
  readonly timeoutSeconds: number;
  /** The same deadline as every timer and socket takes it (see wholeMilliseconds). */
  readonly timeoutMs: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly connect: Readonly<Record<string, unknown>>;
  /** Gzip request bodies. */
  readonly gzip: boolean;
}

export interface EndpointOptions {
  readonly timeoutSeconds: number;
  readonly access?: GatewayAccess;
  /** @default false */
  readonly gzip?: boolean;
}

export function gatewayEndpoint(gateway: string | GatewayAddress, options: EndpointOptions): GatewayEndpoint {
  return Object.freeze({
    baseUrl: typeof gateway === 'string' ? gateway.replace(/\/+$/, '') : gateway.baseUrl,
    timeoutSeconds: options.timeoutSeconds,
    timeoutMs: wholeMilliseconds(options.timeoutSeconds),
    headers: { ...options.access?.headers },
    connect: { ...options.access?.connect },
    gzip: options.gzip ?? false,
  });
}

/**
 * The one milliseconds rule: undici's timers, socket connect timeouts and AbortSignal.timeout take whole
 * milliseconds, and 0.1234 s as 123.4 ms throws ERR_OUT_OF_RANGE (a node configured so delivered nothing,
 * and its identity read-back failed silently). Rounded up, so a deadline is never shorter than asked.
 */
export function wholeMilliseconds(seconds: number): number {
  // Rounded to microseconds first: 0.7 * 1000 is 700.0000000000001, which is 700 ms, not 701.
  return Math.max(1, Math.ceil(Math.round(seconds * 1_000_000) / 1000));
}
