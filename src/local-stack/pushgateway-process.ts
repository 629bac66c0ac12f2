import { binaryPath } from './binaries.js';
import { familyNames, firstValue } from '../gateway/api.js';
import { GatewayClient } from '../gateway/client.js';
import { gatewayEndpoint } from '../gateway/endpoint.js';
import { encodeGroupingPath } from '../push/grouping-key.js';
import { spawnManaged, startOnPort, waitUntilReady, type ManagedProcess } from './managed-process.js';
import { signalAndWaitForState } from './process-state.js';
import { waitFor } from './wait-for.js';

/** One group as the gateway's `/api/v1/metrics` reports it. */
export interface PushgatewayGroup {
  /** The grouping key, `job` included. */
  labels: Record<string, string>;
  /** Pushed metric family names, sorted; without the gateway's own push_time_seconds / push_failure_time_seconds. */
  metricNames: string[];
  /** Unix seconds of the last successful push to this group (0 if none). */
  pushTimeSeconds: number;
  /** Unix seconds of the last failed push to this group (0 if none). */
  pushFailureTimeSeconds: number;
  /** The gateway's own flag: false when the latest push to this group failed. */
  lastPushSuccessful: boolean;
}

export interface RunningPushgateway {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  readonly url: string;
  readonly port: number;
  /** `127.0.0.1:PORT`, the form Prometheus scrape targets and PERSIA_METRICS_GATEWAY_ADDR use. */
  readonly address: string;
  /** SIGTERM, wait for exit, SIGKILL after 3 s. Safe to call twice. */
  stop(): Promise<void>;
  /** SIGKILL: the gateway vanishes mid-flight, as in a crash. */
  kill(): Promise<void>;
  /**
   * SIGSTOP: the gateway hangs as a wedged server does (the kernel still accepts connections; nothing
   * answers) until `resume()`. `stop()` and `kill()` resume it first. Resolves once the kernel reports the
   * process stopped, so a request sent after it is not answered.
   */
  pause(): Promise<void>;
  /** SIGCONT: a paused gateway answers again, the requests that waited included. Resolves once it runs again. */
  resume(): Promise<void>;
  /** Stops (if running) and starts a new gateway on the same port, with no groups. */
  restart(): Promise<void>;
  /** The scrape page `/metrics`, exactly as Prometheus sees it. */
  metricsText(): Promise<string>;
  /** All groups, parsed from `/api/v1/metrics`. */
  groups(): Promise<PushgatewayGroup[]>;
  /** Deletes every group and waits until the gateway reports none. */
  wipe(): Promise<void>;
  /** Last part of the gateway's stdout+stderr, for assertions on its log. */
  output(): string;
}

export interface StartPushgatewayOptions {
  /** Appended after the helper's own flags, so they can override them (kingpin: last value wins). */
  extraArgs?: string[];
  /** Fixed port; by default (or 0) a free one is picked. */
  port?: number;
}

/**
 * Starts the real `prometheus-pushgateway` on 127.0.0.1 and resolves once `/-/ready` answers 200.
 *
 * `--persistence.file=` is always passed: Debian's default persists to
 * /var/lib/prometheus/pushgateway.data, which would leak state between tests (and runs).
 */
export async function startPushgateway(opts: StartPushgatewayOptions = {}): Promise<RunningPushgateway> {
  checkOptions(opts);
  const binary = binaryPath('prometheus-pushgateway');
  const extraArgs = opts.extraArgs ?? [];

  const launch = async (port: number): Promise<ManagedProcess> => {
    const proc = spawnManaged(`pushgateway :${port}`, binary, [`--web.listen-address=127.0.0.1:${port}`, '--persistence.file=', ...extraArgs]);
    await waitUntilReady(proc, `127.0.0.1:${port}`, `http://127.0.0.1:${port}/-/ready`);
    return proc;
  };

  let port = 0;
  let proc = await startOnPort(opts.port === 0 ? undefined : opts.port, async (p) => {
    const started = await launch(p);
    port = p;
    return started;
  });
  const url = `http://127.0.0.1:${port}`;
  const signalGateway = (signal: NodeJS.Signals): void => {
    if (proc.pid !== undefined && proc.exitReason() === undefined) process.kill(proc.pid, signal);
  };
  const waitForGateway = async (signal: 'SIGSTOP' | 'SIGCONT'): Promise<void> => {
    if (proc.pid !== undefined && proc.exitReason() === undefined) await signalAndWaitForState(proc.pid, signal, proc.label);
  };

  // The gateway client every other path uses, with a bound per request so a hung gateway fails the test with a
  // message. Not a background client: the gateway's child process is unref'd (src/local-stack/managed-process.ts),
  // so a script awaiting groups() would otherwise end mid-request (exit 13 under top-level await); undici refs
  // a socket only while a request on it is pending, so an idle one never holds the process.
  const client = new GatewayClient(gatewayEndpoint(url, { timeoutSeconds: 10 }));
  const groups = async (): Promise<PushgatewayGroup[]> =>
    (await client.groups()).map((group) => ({
      labels: { ...group.labels },
      metricNames: familyNames(group, false),
      pushTimeSeconds: firstValue(group, 'push_time_seconds') ?? 0,
      pushFailureTimeSeconds: firstValue(group, 'push_failure_time_seconds') ?? 0,
      lastPushSuccessful: group.last_push_successful === true,
    }));

  return {
    url,
    port,
    address: `127.0.0.1:${port}`,
    stop: () => {
      signalGateway('SIGCONT');
      return proc.stop();
    },
    kill: () => proc.kill(),
    pause: () => waitForGateway('SIGSTOP'),
    resume: () => waitForGateway('SIGCONT'),
    async restart() {
      signalGateway('SIGCONT');
      await proc.stop();
      proc = await launch(port);
    },
    metricsText: () => client.metricsText(),
    groups,
    async wipe() {
      // Per-group DELETE rather than the admin API's wipe, so this works without
      // --web.enable-admin-api. Both answer 202 and apply later, hence the wait below.
      for (const group of await groups()) {
        await client.delete(groupPathOf(group.labels));
      }
      await waitFor(async () => (await groups()).length === 0, {
        timeoutMs: 5000,
        intervalMs: 20,
        what: `pushgateway ${url} to have no groups after wipe`,
      });
    },
    output: () => proc.output(),
  };
}

/** A group's path from its labels as the API reports them, `job` first. */
function groupPathOf(labels: Record<string, string>): string {
  const { job = '', ...rest } = labels;
  return encodeGroupingPath([['job', job], ...Object.entries(rest)]);
}

/**
 * Exported by persia-metrics/local-stack, so also called from plain JavaScript: a mistyped option is a
 * TypeError naming it, before anything starts (found by a new-user session: `{ port: '0' }` waited 10 s for a
 * log line, `{ extraArgs: '--x' }` reached the binary one character at a time).
 */
function checkOptions(opts: unknown): void {
  if (typeof opts !== 'object' || opts === null || Array.isArray(opts))
    throw new TypeError(`startPushgateway: options must be an object { port, extraArgs }, got ${JSON.stringify(opts)}`);
  const { port, extraArgs } = opts as Record<string, unknown>;
  if (port !== undefined && (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65_535)) {
    throw new TypeError(`startPushgateway: port must be an integer from 0 (pick a free one) to 65535, got ${JSON.stringify(port)}`);
  }
  if (extraArgs !== undefined && (!Array.isArray(extraArgs) || !extraArgs.every((arg) => typeof arg === 'string'))) {
    throw new TypeError(`startPushgateway: extraArgs must be an array of strings (one flag each), got ${JSON.stringify(extraArgs)}`);
  }
}
