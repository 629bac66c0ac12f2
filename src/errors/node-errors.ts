/**
 * Errors a training program meets through the library: a metric it defines or binds wrongly (src/metrics),
 * and its node's lifecycle and extra sources (src/push, src/node-metrics.ts).
 */
import { PersiaMetricsError } from './persia-error.js';

/** A metric's body would carry a label that the push URL's grouping key also sets. */
export class LabelClashError extends PersiaMetricsError {
  readonly metric: string;
  readonly label: string;

  constructor(metric: string, label: string) {
    super('PERSIA_LABEL_CLASH', `metric ${metric} uses label "${label}", which is part of the grouping key; the gateway would silently overwrite it. Rename the label.`);
    this.metric = metric;
    this.label = label;
  }
}

/** A metric or label name or value that Prometheus would refuse. */
export class MetricDefinitionError extends PersiaMetricsError {
  constructor(message: string) {
    super('PERSIA_METRIC_INVALID', message);
  }
}

export class ShutdownTimeoutError extends PersiaMetricsError {
  constructor(deadlineSeconds: number, pending: string) {
    super('PERSIA_SHUTDOWN_TIMEOUT', `shutdown did not finish within ${deadlineSeconds} s (${pending})`);
  }
}

/** A node identity (job, role, instance) is already live in this process: the two would overwrite each other's group. */
export class DuplicateIdentityError extends PersiaMetricsError {
  readonly groupingPath: string;

  constructor(groupingPath: string) {
    super(
      'PERSIA_DUPLICATE_IDENTITY',
      `this process already runs node metrics for ${groupingPath} in this thread; a second start would overwrite the first one's group in the gateway. ` +
        'Reuse the first NodeMetrics, shut it down first, or give the second node its own role, instance or replica index.',
    );
    this.groupingPath = groupingPath;
  }
}

/** `flush()` after `shutdown()`: the node pushed its final values and sends nothing more. */
export class NodeStoppedError extends PersiaMetricsError {
  constructor(call: string) {
    super(
      'PERSIA_NODE_STOPPED',
      `${call} after shutdown(): this node's metrics are stopped (the final push carried the last values) and nothing more is sent. ` +
        'Start a new node with startNodeMetrics() to push again.',
    );
  }
}

/** What was wrong with an extra source: its metrics() threw, did not settle in time, or returned text that is not exposition format. */
export type ExtraSourceProblem = 'threw' | 'timeout' | 'malformed';

/** An extra exposition source (`extraSources[index]`) was left out of a push; the node's other metrics went out without it. */
export class ExtraSourceError extends PersiaMetricsError {
  readonly sourceIndex: number;
  readonly problem: ExtraSourceProblem;

  constructor(sourceIndex: number, problem: ExtraSourceProblem, detail: string, cause?: unknown) {
    super('PERSIA_EXTRA_SOURCE', `extraSources[${sourceIndex}] ${detail}`, { cause });
    this.sourceIndex = sourceIndex;
    this.problem = problem;
  }
}

/** What went wrong with a scrape of a /metrics endpoint (src/push/scrape-source.ts). */
export type ScrapeProblem = 'unreachable' | 'timeout' | 'http_status' | 'too_large' | 'malformed';

/** A scrape source's endpoint did not give a page to push this time; the node's other metrics went out without it. */
export class ScrapeError extends PersiaMetricsError {
  readonly url: string;
  readonly problem: ScrapeProblem;

  constructor(url: string, problem: ScrapeProblem, detail: string, cause?: unknown) {
    super('PERSIA_SCRAPE', `scrape of ${url} ${detail}`, { cause });
    this.url = url;
    this.problem = problem;
  }
}

/**
 * `flush()` or `shutdown()` called from inside an extra source's `metrics()`: the push it would start waits
 * for that very call, so it could only end at the push timeout, over and over.
 */
export class ReentrantCallError extends PersiaMetricsError {
  constructor(call: string, sourceIndex: number) {
    super('PERSIA_REENTRANT_CALL', `${call} was called from inside extraSources[${sourceIndex}].metrics(), which the push it would start waits for; call it outside the source`);
  }
}
