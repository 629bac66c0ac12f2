/**
 * The one call a training node makes: load the configuration, build the node's registry with the catalog
 * (all of it, or its health part: `catalog` below), and start pushing to the job's gateway.
 *
 *   const metrics = startNodeMetrics({ file: 'global_config.yaml', options: { role: 'middleware' } });
 *   const rpc = metrics.histogram('lookup_rpc_time_cost');
 *   const done = rpc.startTimer(); await lookup(); done();
 *   await metrics.shutdown();
 */
import { NodeStoppedError } from './errors.js';
import { loadConfig, type LoadConfigInput, type ResolvedConfig } from './config/resolve.js';
import { gatewayCredentials } from './config/credentials.js';
import { catalogPart, checkCatalogPart, NODE_STATES, PROGRESS_AGE_METRIC, STEPS_METRIC, type CatalogPart, type NodeRole, type NodeState } from './metrics/catalog.js';
import type { Counter } from './metrics/counter.js';
import type { Gauge } from './metrics/gauge.js';
import type { Histogram } from './metrics/histogram.js';
import { MetricsRegistry, type ExpositionSource } from './metrics/registry.js';
import { checkProgressSource, installProgressWatch, progressExpected, StepClock, type ProgressSource } from './metrics/progress.js';
import { installRuntimeMetrics, type RuntimeSampler } from './metrics/runtime.js';
import { groupingKeyFor, groupingPath, type GroupingKey } from './push/grouping-key.js';
import { checkExtraSources, type ExtraSourcesOptions } from './push/extra-sources.js';
import { progressFamilyReader } from './push/progress-family.js';
import { bodyComposer } from './push/push-body.js';
import type { PushLogger, PusherStats } from './push/push-contract.js';
import { createPushFailureSeries, pushHealthObserver } from './push/push-health.js';
import { Pusher } from './push/pusher.js';
import { IdentityGuard } from './push/identity-guard.js';
import { drawIncarnation } from './push/node-identity.js';
import { createGatewayTransport } from './gateway/create-transport.js';
import type { EndpointOptions, GatewayAccess } from './gateway/endpoint.js';
import { describeLeaveFailure, describeMove } from './gateway/replica-messages.js';
import type { GatewayTransport } from './gateway/transport.js';
import { checkNodeState, checkPauseWork, checkStartInput, refuseInsideSource, shutdownDeadline } from './node-call-checks.js';

export type { NodeState };

export interface StartNodeMetricsInput extends LoadConfigInput {
  /** More exposition to push with the catalog's, e.g. a prom-client Registry of the user's own metrics. */
  readonly extraSources?: readonly ExpositionSource[];
  /** Where the pusher reports trouble (default: one line on stderr). */
  readonly logger?: PushLogger;
  /** Extra headers (Authorization) and TLS connect options for the gateway. */
  readonly transport?: GatewayAccess;
  /**
   * Where the node's progress (persia_node_progress_age_seconds, what PersiaNodeHung reads) comes from: by
   * default the catalog's step counter and time-cost counts; `{ family: 'train_steps_total' }` the sum of that
   * counter family's samples in the extra sources (a scraped trainer's step counter); `'steps'` the
   * catalog's, from a node that counts its steps with step() (a trainer: its age then counts from its start,
   * so a trainer stuck before its first step is hung too); `false` nowhere, and then neither the age nor
   * persia_node_steps_total is pushed (see src/metrics/progress.ts).
   */
  readonly progress?: ProgressSource;
  /**
   * The catalog's families the node records (src/metrics/catalog.ts): 'all' (default), or 'health' for a
   * node whose metrics come from its extra sources (the agent): no runtime of its own (its process is not the
   * node), and progress only from `progress: { family }` (it has no catalog counters to read it from).
   */
  readonly catalog?: CatalogPart;
}

export class NodeMetrics {
  readonly config: ResolvedConfig;
  readonly registry: MetricsRegistry;
  readonly groupingKey: GroupingKey;
  private readonly pusher: Pusher | undefined;
  private readonly transport: GatewayTransport | undefined;
  private readonly runtime: RuntimeSampler | undefined;
  private readonly state: Gauge;
  private readonly steps: StepClock;
  private current: NodeState = 'init';
  private stopped = false;
  /** Drawn per start: two processes pushing this node's group show as a stored value that changes. */
  private readonly incarnation = drawIncarnation();
  /** Another writer on this node's identity: found, said once, flagged (src/push/identity-guard.ts). */
  private readonly identity: IdentityGuard;

  constructor(input: StartNodeMetricsInput = {}) {
    // Plain JavaScript callers can pass anything: a typed error here instead of a TypeError from inside loadConfig.
    checkStartInput(input);
    this.config = loadConfig(input);
    const options = this.config.options;
    this.groupingKey = groupingKeyFor(options);
    const logger = input.logger ?? stderrLogger(this.groupingKey);
    const catalog = checkCatalogPart(input.catalog);
    this.registry = new MetricsRegistry(catalogPart(catalog), {
      maxSeriesPerFamily: options.maxSeriesPerFamily,
      dropIdleSeriesSeconds: options.dropIdleSeriesSeconds,
      report: (message) => logger.warn(message),
    });
    for (const warning of this.config.warnings) logger.warn(warning);
    this.state = this.registry.gauge('persia_node_state');
    checkExtraSources(input.extraSources ?? []);
    const progress = checkProgressSource(input.progress ?? (catalog === 'health' ? false : undefined), (input.extraSources?.length ?? 0) > 0);
    this.createRoleSeries(options.role, progress === undefined || progress === 'steps');
    this.steps = new StepClock(this.registry);
    const observeProgress = installProgressWatch(this.registry, {
      source: progress,
      fromStart: progressExpected(progress),
      steps: this.steps,
      report: (message) => logger.warn(message),
    });
    this.registry.gauge('persia_node_incarnation').set(this.incarnation);
    this.registry.gauge('persia_node_push_interval_seconds').set(options.pushIntervalSeconds);
    this.setState('init');
    this.identity = new IdentityGuard({
      key: this.groupingKey,
      incarnation: this.incarnation,
      intervalSeconds: options.pushIntervalSeconds,
      logger,
      flag: () => this.registry.gauge('persia_node_duplicate_identity').labels().set(1),
      pushSoon: () => this.pusher?.pushSoon(),
    });
    if (!options.enableMetrics) return; // Recording still works (cheaply); nothing is sampled and nothing leaves the process.
    // Read once at start, before anything is started that would need stopping: a secret file that cannot be
    // read is a configuration error now, not a 401 later.
    const credentials = gatewayCredentials(options);
    // Also before anything starts: a second start of a live identity in this thread is refused.
    this.identity.claim();
    try {
      this.runtime = options.collectRuntimeMetrics && catalog === 'all' ? installRuntimeMetrics(this.registry) : undefined;
      const access: GatewayAccess = {
        headers: { ...credentials.headers, ...input.transport?.headers },
        connect: { ...credentials.connect, ...input.transport?.connect },
      };
      // One deadline, credentials and TLS for every request of this node: pushes, deletes, the read-back.
      const endpoint: EndpointOptions = { timeoutSeconds: options.pushTimeoutSeconds, gzip: options.gzip, access };
      const transport = this.createTransport(endpoint, logger);
      this.transport = transport;
      this.identity.watchGateway(endpoint, this.config.gateways[0]!.baseUrl);
      this.pusher = this.createPusher(input, transport, logger, typeof progress === 'object' ? progressFamilyReader(progress.family, observeProgress) : undefined);
    } catch (error) {
      // A start that failed half-way leaves nothing running and its identity free for the next attempt.
      this.runtime?.stop();
      this.identity.release();
      throw error;
    }
    this.setState('running');
    this.pusher.start();
  }

  get enabled(): boolean {
    return this.pusher !== undefined;
  }

  /**
   * The URL of this node's group on the gateway it pushes to now: the replica its rendezvous ranking and
   * the replicas' health chose (it changes when the node moves), an expanded DNS name's address once
   * resolved; undefined when metrics are disabled.
   */
  get gatewayUrl(): string | undefined {
    return this.transport === undefined ? undefined : `${this.transport.currentBaseUrl}${groupingPath(this.groupingKey)}`;
  }

  counter(name: string): Counter {
    return this.registry.counter(name);
  }

  gauge(name: string): Gauge {
    return this.registry.gauge(name);
  }

  histogram(name: string): Histogram {
    return this.registry.histogram(name);
  }

  /**
   * One training step (batch) done, or `count` of them: advances persia_node_steps_total and stamps the
   * step's time, from which the progress age (what PersiaNodeHung reads) counts. Call it once per batch.
   */
  step(count = 1): void {
    this.steps.step(count);
  }

  /**
   * The node's state (persia_node_state; `paused`: it stopped stepping on purpose, so it is not hung); back to
   * `running`, its progress age counts from then. A state outside NODE_STATES throws ConfigError.
   */
  setState(state: NodeState): void {
    const next = checkNodeState(state);
    if (next === 'running' && this.current !== 'running') this.steps.resumed();
    this.current = next;
    for (const candidate of NODE_STATES) this.state.labels(candidate).set(candidate === next ? 1 : 0);
  }

  /**
   * Runs `work` with the node paused (`await metrics.paused(() => saveCheckpoint())`) and gives back the state
   * it had before, even when `work` throws; resolves or rejects as `work` does. A state `work` set itself
   * (error, or stopping through shutdown()) is kept. A `work` that is not a function rejects with ConfigError.
   */
  async paused<T>(work: () => T | Promise<T>): Promise<T> {
    checkPauseWork(work);
    const before = this.current;
    this.setState('paused');
    try {
      return await work();
    } finally {
      if (this.current === 'paused') this.setState(before);
    }
  }

  /**
   * Push the current values now; rejects if the push fails (or if an extra source or a refused family was
   * left out of it). A no-op when metrics are disabled. After shutdown() it rejects with NodeStoppedError.
   */
  async flush(): Promise<void> {
    refuseInsideSource('flush()'); // first: from inside a source, this is the mistake to name, stopped or not
    if (this.stopped) throw new NodeStoppedError('flush()');
    await this.pusher?.flush();
  }

  /**
   * Final push (and DELETE of the group when configured) within the deadline, then stop. Idempotent.
   * `timeoutSeconds` overrides shutdown_timeout_seconds; `Infinity` waits as long as the push takes. A value
   * that is not a positive number rejects with ConfigError and stops nothing, so the call can be repeated.
   */
  async shutdown(timeoutSeconds?: number): Promise<void> {
    refuseInsideSource('shutdown()');
    const deadline = shutdownDeadline(timeoutSeconds);
    this.stopped = true;
    this.runtime?.stop();
    this.identity.stop();
    if (this.pusher === undefined) return;
    this.setState('stopping');
    try {
      await this.pusher.shutdown(deadline);
    } finally {
      this.identity.release();
    }
  }

  get pushStats(): PusherStats | undefined {
    return this.pusher?.stats;
  }

  /**
   * Several replicas (a list, or a name with several A records, re-resolved every 3 intervals): each push
   * goes to the best replica of the node's rendezvous ranking that answers, a failed one is tried again
   * every interval, and a node that moves deletes its group where it left (src/gateway/replicated-transport.ts).
   */
  private createTransport(endpoint: EndpointOptions, logger: PushLogger): GatewayTransport {
    const options = this.config.options;
    return createGatewayTransport({
      gateways: this.config.gateways,
      key: groupingPath(this.groupingKey),
      endpoint,
      refreshSeconds: Math.max(30, 3 * options.pushIntervalSeconds),
      probeSeconds: options.pushIntervalSeconds,
      onMove: (move) => (move.reason === 'failed' ? logger.warn(describeMove(move)) : logger.info(describeMove(move))),
      onLeaveFailed: (failure) => logger.warn(describeLeaveFailure(failure)),
    });
  }

  private createPusher(input: StartNodeMetricsInput, transport: GatewayTransport, logger: PushLogger, onCollected?: ExtraSourcesOptions['onCollected']): Pusher {
    const options = this.config.options;
    return new Pusher({
      path: groupingPath(this.groupingKey),
      transport,
      intervalSeconds: options.pushIntervalSeconds,
      retries: options.pushRetries,
      deleteOnShutdown: options.deleteOnShutdown,
      shutdownTimeoutSeconds: options.shutdownTimeoutSeconds,
      // Each extra source is collected under the push timeout and left out alone when it misbehaves.
      body: bodyComposer(this.registry, input.extraSources ?? [], options.pushFormat, {
        timeoutSeconds: options.pushTimeoutSeconds,
        logger,
        ...(onCollected === undefined ? {} : { onCollected }),
      }),
      observer: pushHealthObserver(this.registry, (baseUrl) => this.identity.afterPush(baseUrl)),
      logger,
    });
  }

  /**
   * Counters start at 0 in the first push, so `rate()` and `increase()` see the first increment; metrics
   * with per-feature labels appear when the feature is first recorded.
   */
  private createRoleSeries(role: NodeRole, catalogProgress: boolean): void {
    for (const name of this.registry.names()) {
      const family = this.registry.get(name);
      if (family === undefined || family.spec.labels.length > 0 || !family.spec.roles.includes(role)) continue;
      // A node whose progress is read elsewhere, or nowhere, records no steps; the age comes with its watch,
      // once the node's progress is known (src/metrics/progress.ts).
      if (name === PROGRESS_AGE_METRIC || (!catalogProgress && name === STEPS_METRIC)) continue;
      family.labels();
    }
    createPushFailureSeries(this.registry);
  }
}

export function startNodeMetrics(input: StartNodeMetricsInput = {}): NodeMetrics {
  return new NodeMetrics(input);
}

function stderrLogger(key: GroupingKey): PushLogger {
  const prefix = `persia-metrics [${key.job}/${key.role}/${key.instance}]`;
  return {
    warn: (message) => process.stderr.write(`${prefix} warning: ${message}\n`),
    info: (message) => process.stderr.write(`${prefix}: ${message}\n`),
  };
}
