/**
 * Combinations that are valid but probably not meant. They become `ResolvedConfig.warnings` (a node logs
 * them once at start, `check` prints them) rather than errors: the node still works, just not as intended.
 */
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

/** `default`, `file.yaml:4`, `PERSIA_METRICS_PUSH_TIMEOUT_SECONDS`, `code options`. */
export function describeOrigin(origin: Origin): string {
  if (origin.source === 'default') return 'default';
  if (origin.source === 'options') return 'code options';
  return origin.detail ?? origin.source;
}
