/**
 * Combinations that are valid but probably not meant. They become `ResolvedConfig.warnings` (a node logs
 * them once at start, `check` prints them) rather than errors: the node still works, just not as intended.
 */
import { isLoopbackHost, type GatewayAddress } from '../gateway/address.js';
import type { MetricsOptions, ValueSource } from './options.js';

interface Origin {
  readonly source: ValueSource;
  readonly detail?: string;
}

export function crossOptionWarnings(options: MetricsOptions, origins: Readonly<Record<keyof MetricsOptions, Origin>>): string[] {
  const warnings: string[] = [];
  if (options.enableMetrics && options.pushTimeoutSeconds > options.pushIntervalSeconds) {
    // One push is in flight at a time (src/push/pusher.ts): ticks that come while a push hangs are skipped,
    // so a gateway that hangs turns the interval into the timeout.
    warnings.push(
      `push_timeout_seconds ${options.pushTimeoutSeconds} (${describeOrigin(origins.pushTimeoutSeconds)}) is longer than ` +
        `push_interval_seconds ${options.pushIntervalSeconds} (${describeOrigin(origins.pushIntervalSeconds)}): while the gateway hangs, ` +
        `a push can take up to ${options.pushTimeoutSeconds} s and the pushes due meanwhile are skipped; set push_timeout_seconds at most the interval`,
    );
  }
  return warnings;
}

/**
 * Basic auth or a bearer token going to a gateway over plain http on another host: anyone on the path
 * reads the password or token (and may push or delete any job's groups with it). Allowed (a private
 * network may be trusted) but said, once per start and by `check`.
 */
export function clearTextCredentialWarnings(
  options: MetricsOptions,
  gateways: readonly GatewayAddress[],
  origins: Readonly<Record<keyof MetricsOptions, Origin>>,
): string[] {
  if (!options.enableMetrics) return [];
  const credential =
    options.basicAuthUsername !== undefined
      ? { what: 'basic auth (user and password)', property: 'basicAuthUsername' as const }
      : options.bearerToken !== undefined || options.bearerTokenFile !== undefined
        ? { what: 'a bearer token', property: options.bearerToken !== undefined ? ('bearerToken' as const) : ('bearerTokenFile' as const) }
        : undefined;
  if (credential === undefined) return [];
  const exposed = gateways.filter((gateway) => gateway.scheme === 'http' && !isLoopbackHost(gateway.host));
  if (exposed.length === 0) return [];
  return [
    `${credential.what} (${describeOrigin(origins[credential.property])}) is sent in clear text to ${exposed.map((gateway) => gateway.baseUrl).join(', ')} ` +
      `(gateway_addr ${describeOrigin(origins.gatewayAddr)}): anyone on the network path can read it; ` +
      'serve the gateway over https (--web.config.file with tls_server_config) and write https:// in gateway_addr',
  ];
}

/** `default`, `file.yaml:4`, `PERSIA_METRICS_PUSH_TIMEOUT_SECONDS`, `code options`. */
export function describeOrigin(origin: Origin): string {
  if (origin.source === 'default') return 'default';
  if (origin.source === 'options') return origin.detail ?? 'code options';
  return origin.detail ?? origin.source;
}
