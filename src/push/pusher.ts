/**
 * The push loop of one node: every interval a PUT of the node's whole group.
 *
 * Rules (OpenTelemetry's periodic reader, plus what a training job needs):
 * - a tick never rejects and never blocks the caller: failures are counted, reported once, and survived;
 * - never two pushes of the group in flight: a tick that finds the previous push still running is skipped;
 * - retries with capped, jittered backoff, but never past the next interval (shutdown's final push: never past
 *   shutdown's deadline);
 * - timers are unref'd: metrics never keep a finished training process alive;
 * - `flush()` and `shutdown()` are the explicit calls: they always settle (the process is held alive while
 *   they are pending, see src/gateway/keep-alive.ts), and they do report errors;
 * - after shutdown nothing is sent: `flush()` rejects with NodeStoppedError, and every message says what
 *   happens next (retried at the next interval, or given up because the node is shutting down).
 */
import { GatewayRequestError, NodeStoppedError, PushHttpError, ShutdownTimeoutError } from '../errors.js';
import { failureReason } from '../gateway/failures.js';
import { KeepAlive } from '../gateway/keep-alive.js';
import { backoffSeconds, sleep } from './backoff.js';
import { failureMessage, type FailureReason } from './failure-report.js';
import type { PushOutcome, PusherOptions, PusherStats } from './push-contract.js';
import { textBody, type PushBody } from './push-body.js';
import { RefusedFamilies } from './refused-families.js';
import { ShutdownSourceCuts } from './shutdown-source-cuts.js';

/** A push refused for one family after another is malformed as a whole: stop holding back and report it. */
const MAX_FAMILIES_HELD_PER_PUSH = 5;
/** The shortest pause before a retry (see pushWithRetries). */
const MIN_RETRY_DELAY_SECONDS = 0.05;

/** The longest delay a Node.js timer holds (ms); shutdown(Infinity)'s deadline is held as this. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export class Pusher {
  readonly stats: PusherStats = { attempts: 0, pushes: 0, failures: 0, skippedIntervals: 0, consecutiveFailures: 0, lastSuccessTime: undefined, lastError: undefined };
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<PushOutcome> | undefined;
  private readonly stopping = new AbortController();
  private shutdownPromise: Promise<void> | undefined;
  private lastReportedReason: FailureReason | undefined;
  /** The last body sent: a 400 is matched against it to find the family the gateway refused. */
  private lastBody: PushBody | undefined;
  private readonly refused = new RefusedFamilies((family, error) =>
    this.options.logger.warn(
      `gateway refused metric ${family}; pushing the node's other metrics without it, offering it again every 30 pushes ` +
        `(reported once, counted in persia_metrics_push_failures_total{reason="http_4xx"}): ${error.message}`,
    ),
  );
  /** Aborted when shutdown's deadline passed: no further request starts, and aborted ones are not reported. */
  private readonly abandonment = new AbortController();
  /** Once shutdown began, a push's extra sources get only a share of what is left of its deadline. */
  private readonly sourceCuts = new ShutdownSourceCuts();
  private readonly keepAlive = new KeepAlive();

  constructor(private readonly options: PusherOptions) {}

  /** Push now, then every interval. */
  start(): void {
    if (this.timer !== undefined || this.stopping.signal.aborted) return;
    this.timer = setInterval(() => this.tick(), this.options.intervalSeconds * 1000);
    this.timer.unref();
    this.tick();
  }

  /**
   * Wait for a push in flight, then push the current values; rejects if that push fails, and with
   * NodeStoppedError once shutdown() was called (the final push carries the last values).
   */
  async flush(): Promise<void> {
    if (this.stopping.signal.aborted) throw new NodeStoppedError('flush()');
    const outcome = await this.keepAlive.during(() => this.whenIdle(() => this.pushWithRetries(Date.now() + this.options.intervalSeconds * 1000)));
    // An explicit flush must not hide that a metric was left out, even though the rest arrived.
    if (!outcome.ok) throw outcome.error;
    if (outcome.heldBack) throw outcome.heldBack;
  }

  /**
   * Stop the loop, wait for the push in flight, push the final values, then DELETE the group when
   * configured; all within the deadline. Idempotent: later calls return the first call's promise.
   */
  shutdown(timeoutSeconds = this.options.shutdownTimeoutSeconds): Promise<void> {
    this.shutdownPromise ??= this.keepAlive.during(() => this.runShutdown(timeoutSeconds));
    return this.shutdownPromise;
  }

  /** One background push now, as a tick makes it: skipped while a push is in flight, never holding the process. */
  pushSoon(): void {
    this.tick();
  }

  private tick(): void {
    if (this.stopping.signal.aborted) return;
    if (this.inFlight) {
      this.stats.skippedIntervals += 1;
      return;
    }
    // Retries of this cycle must end before the next tick, leaving a little slack for the last attempt.
    void this.track(this.pushWithRetries(Date.now() + this.options.intervalSeconds * 900));
  }

  /**
   * Start `push` once no push is in flight. The check and the start happen in the same synchronous step:
   * several callers (concurrent flush() calls, shutdown) wake up together when a push ends, and only the
   * first may start the next one; the others see it in flight and wait again.
   */
  private async whenIdle(push: () => Promise<PushOutcome>): Promise<PushOutcome> {
    while (this.inFlight) await this.inFlight;
    return this.track(push());
  }

  private track(push: Promise<PushOutcome>): Promise<PushOutcome> {
    const tracked = push.finally(() => {
      if (this.inFlight === tracked) this.inFlight = undefined;
    });
    this.inFlight = tracked;
    return tracked;
  }

  /**
   * One PUT and its retries, with capped, jittered backoff (backoff.ts), while the next attempt starts before
   * `deadline`. A tick or flush() retries at most push_retries times within its interval and stops when
   * shutdown begins; shutdown's `final` push retries until shutdown's own deadline instead (without one, for
   * shutdown_timeout_seconds; push_retries 0: never), so a gateway restarting as the job ends still gets the last values and the `stopping` state.
   */
  private async pushWithRetries(deadline: number, final = false): Promise<PushOutcome> {
    const over = final ? this.abandonment.signal : this.stopping.signal;
    const maxRetries = final && this.options.retries > 0 ? Infinity : this.options.retries;
    const push = (countHeldBack = true): Promise<PushOutcome> => this.pushOnce('PUT', { countHeldBack, final, quiet: final });
    const tried = new Set<string>();
    let outcome = await push();
    let retries = 0;
    let heldBack = 0;
    while (!outcome.ok && !over.aborted) {
      if (movedToUntried(outcome.error, tried)) {
        // The failure moved the node to a replica it has not tried in this cycle (the transport says so,
        // src/gateway/replicated-transport.ts): push there at once, as a retry of a healthy gateway, not a
        // wait on a failed one. Without this, a flush() during a failover rejected while a healthy replica
        // was up (found by a new-user session).
        outcome = await push();
        continue;
      }
      if (outcome.error instanceof PushHttpError && outcome.error.statusCode < 500) {
        // The same body fails the same way; but when the refusal names one family, the rest go out now.
        if (heldBack >= MAX_FAMILIES_HELD_PER_PUSH || !this.refused.holdBack(outcome.error, this.lastBody)) break;
        heldBack += 1;
        outcome = await push(false);
        continue;
      } else {
        if (retries >= maxRetries) break;
        // The backoff counts from the start of the failed attempt: a push that timed out has waited already,
        // and a second timeout is what moves a node off a hung replica within one interval. A little pause
        // stays, so the aborted request is gone before the next one opens.
        const delay = Math.max(MIN_RETRY_DELAY_SECONDS, backoffSeconds(retries) - outcome.durationSeconds);
        retries += 1;
        if (Date.now() + delay * 1000 >= deadline) break;
        await sleep(delay, over);
        if (over.aborted) break;
      }
      outcome = await push();
    }
    // Shutdown's attempts are quiet (pushOnce): its failure is said once, when no retry is left.
    if (final && !outcome.ok && !this.abandoned) this.options.logger.warn(failureMessage(outcome.error, 'final-push', this.options.intervalSeconds));
    return outcome;
  }

  /**
   * `countHeldBack`: a push that leaves refused families out counts as one http_4xx failure (so the
   * failure alerts keep firing until the clash is fixed), except the re-push right after the refusal,
   * which was counted already. `final`: shutdown's own push or DELETE (reported as such, never as "retrying").
   */
  private async pushOnce(method: 'PUT' | 'DELETE', { countHeldBack = true, final = false, quiet = false } = {}): Promise<PushOutcome> {
    const started = performance.now();
    this.stats.attempts += 1;
    try {
      const body = method === 'PUT' ? await this.buildBody() : undefined;
      this.lastBody = body;
      const { durationSeconds, baseUrl } = await this.options.transport.send(method, this.options.path, body?.data, body?.contentType);
      this.recordSuccess(method, durationSeconds, baseUrl);
      const refusal = method === 'PUT' ? this.refused.refusal : undefined;
      if (refusal !== undefined && countHeldBack) {
        this.stats.failures += 1;
        this.options.observer?.onHeldBack?.('http_4xx');
      }
      const heldBack = refusal ?? body?.heldBackSources?.[0];
      return heldBack === undefined ? { ok: true, durationSeconds, baseUrl } : { ok: true, durationSeconds, baseUrl, heldBack };
    } catch (error) {
      const durationSeconds = (performance.now() - started) / 1000;
      const failure = error instanceof Error ? error : new Error(String(error));
      this.recordFailure(failure, durationSeconds, method, final, quiet);
      return { ok: false, durationSeconds, error: failure };
    }
  }

  private async buildBody(): Promise<PushBody> {
    const heldBack = this.refused.forNextPush();
    const body = await this.sourceCuts.build((cut) => this.options.body(heldBack, cut));
    const built = typeof body === 'string' ? textBody(body, heldBack) : body;
    // Reported by the extra sources themselves (once per kind of trouble); a source left out whole is
    // counted at every push, once (a family of a scraped page left out for a clash is not a failure).
    const sourcesLeftOut = built.sourcesLeftOut ?? built.heldBackSources?.length ?? 0;
    for (let index = 0; index < sourcesLeftOut; index += 1) this.options.observer?.onHeldBack?.('extra_source');
    return built;
  }

  private recordSuccess(method: string, durationSeconds: number, baseUrl: string): void {
    this.stats.pushes += 1;
    this.stats.lastSuccessTime = Date.now() / 1000;
    this.options.observer?.onSuccess(durationSeconds, baseUrl);
    if (this.stats.consecutiveFailures > 0) {
      this.options.logger.info(`${method} ${baseUrl}${this.options.path} succeeded again after ${this.stats.consecutiveFailures} failed attempt(s)`);
    }
    this.stats.consecutiveFailures = 0;
  }

  private recordFailure(error: Error, durationSeconds: number, method: 'PUT' | 'DELETE', final: boolean, quiet = false): void {
    const reason = failureReason(error);
    this.stats.failures += 1;
    this.stats.lastError = error;
    this.options.observer?.onFailure(reason, durationSeconds);
    if (this.abandoned || quiet) return; // aborted by shutdown's deadline (it rejects with ShutdownTimeoutError), or reported by the caller
    if (this.stopping.signal.aborted) {
      // Nothing retries once shutdown began: say so, every time (it is the node's last word).
      this.options.logger.warn(failureMessage(error, final ? (method === 'DELETE' ? 'final-delete' : 'final-push') : 'stopping', this.options.intervalSeconds));
      return;
    }
    // A refusal of one family is reported by `refused` (once per family) and its push is repeated without
    // that family at once: it is not the start of a failure streak.
    if (RefusedFamilies.familyOf(error, this.lastBody) !== undefined) return;
    this.stats.consecutiveFailures += 1;
    // Trouble repeats every interval, and a gateway's 400 words the same refusal differently from push to
    // push: say it when it starts or changes kind, count it always, and say when it is over.
    if (this.stats.consecutiveFailures > 1 && reason === this.lastReportedReason) return;
    this.lastReportedReason = reason;
    this.options.logger.warn(failureMessage(error, 'running', this.options.intervalSeconds));
  }

  private get abandoned(): boolean {
    return this.abandonment.signal.aborted;
  }

  private async runShutdown(timeoutSeconds: number): Promise<void> {
    clearInterval(this.timer);
    this.stopping.abort();
    // A push in flight may be waiting for a slow extra source: its sources, and the final push's, get only a
    // share of the deadline, so the final push (the `stopping` state) always goes within it.
    const endsAt = Date.now() + Math.min(timeoutSeconds * 1000, MAX_TIMER_MS);
    // Without a deadline (shutdown(Infinity), held as the longest timer) a push in flight is never cut off, but
    // retrying a gateway gone for good until then would keep the program from ever ending: its retries stop
    // after shutdown_timeout_seconds.
    const retriesEndAt = timeoutSeconds * 1000 >= MAX_TIMER_MS ? Date.now() + this.options.shutdownTimeoutSeconds * 1000 : endsAt;
    this.sourceCuts.shutdownBegan(endsAt);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.abandonment.abort();
        reject(new ShutdownTimeoutError(timeoutSeconds, 'final push or delete still pending'));
      }, timeoutSeconds * 1000);
      timer.unref();
    });
    let leaving: Promise<void> | undefined;
    try {
      await Promise.race([this.finalPushAndDelete(retriesEndAt), deadline]);
      // Copies a failover left on other replicas go within what is left of the deadline; the transport
      // reports what it could not delete, and shutdown() does not fail for it (the final push landed).
      leaving = this.options.transport.deleteLeftCopies?.();
      if (leaving !== undefined) await Promise.race([leaving, deadline]).catch(() => undefined);
    } finally {
      clearTimeout(timer);
      // Past the deadline a request may hang on a dead gateway: a graceful close would wait for it (up to
      // the push timeout), so the deadline would not be one. Abort it instead.
      await (this.abandoned ? this.options.transport.destroy() : this.options.transport.close());
      await leaving; // settles at once once destroyed, after reporting what was aborted
    }
  }

  /** The final PUT retries until `retriesEndAt` (within shutdown's deadline); the DELETE after it is tried once. */
  private async finalPushAndDelete(retriesEndAt: number): Promise<void> {
    const final = await this.whenIdle(() => (this.abandoned ? this.abandonedOutcome() : this.pushWithRetries(retriesEndAt, true)));
    if (this.options.deleteOnShutdown && !this.abandoned) {
      const deleted = await this.pushOnce('DELETE', { final: true });
      if (!deleted.ok) throw deleted.error;
    }
    if (!final.ok) throw final.error;
  }

  /** Once shutdown gave up, nothing more is sent: the process is about to exit. */
  private abandonedOutcome(): Promise<PushOutcome> {
    return Promise.resolve({ ok: false, durationSeconds: 0, error: new Error('shutdown deadline passed') });
  }
}

/**
 * Whether the failure moved the node to a replica not tried yet in this cycle (`tried` collects the base
 * URLs the cycle failed on, the one just left included).
 */
function movedToUntried(error: Error, tried: Set<string>): boolean {
  const failover = error instanceof GatewayRequestError ? error.failover : undefined;
  if (failover === undefined) return false;
  tried.add(failover.from);
  if (tried.has(failover.to)) return false;
  tried.add(failover.to);
  return true;
}
