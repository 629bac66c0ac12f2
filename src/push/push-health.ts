/**
 * The node's pusher health as its registry publishes it (the catalog's persia_metrics_* families,
 * src/metrics/node-own-metrics.ts), fed by what the push loop observes (pusher.ts): the last success, the
 * failures by reason, each push's duration.
 */
import type { MetricsRegistry } from '../metrics/registry.js';
import { FAILURE_REASONS } from './failure-report.js';
import type { PushObserver } from './push-contract.js';

const FAILURES_METRIC = 'persia_metrics_push_failures_total';

/** Every reason's failure counter at 0 in the first push, so `rate()` and `increase()` see the first failure. */
export function createPushFailureSeries(registry: MetricsRegistry): void {
  const failures = registry.counter(FAILURES_METRIC);
  for (const reason of FAILURE_REASONS) failures.labels(reason);
}

/** The pusher's observer writing into `registry`; `afterPush` is told the gateway each successful push landed on. */
export function pushHealthObserver(registry: MetricsRegistry, afterPush: (baseUrl: string) => void): PushObserver {
  const lastSuccess = registry.gauge('persia_metrics_last_push_success_timestamp_seconds').labels();
  const failures = registry.counter(FAILURES_METRIC);
  const duration = registry.histogram('persia_metrics_push_duration_seconds').labels();
  return {
    onSuccess: (seconds, baseUrl) => {
      lastSuccess.setToCurrentTime();
      duration.observe(seconds);
      afterPush(baseUrl);
    },
    onFailure: (reason, seconds) => {
      failures.labels(reason).inc();
      duration.observe(seconds);
    },
    // The push itself succeeded (its duration is observed there): only count what was left out.
    onHeldBack: (reason) => failures.labels(reason).inc(),
  };
}
