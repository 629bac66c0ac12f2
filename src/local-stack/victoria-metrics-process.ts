/**
 * The real single-node VictoriaMetrics (Debian `victoria-metrics`) on a free 127.0.0.1 port: a long-term store
 * that takes Prometheus `remote_write` and answers the Prometheus query API, for trying or testing
 * `init --remote-write-url` on one machine.
 */
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { binaryPath } from './binaries.js';
import { onProcessExit } from './exit-cleanup.js';
import { httpText } from './http.js';
import { instantQuery, rangeSelectorQuery, type PromMatrixSeries, type PromVectorSample } from './instant-query.js';
import { spawnManaged, startOnPort, waitUntilReady, type ManagedProcess } from './managed-process.js';

export interface StartVictoriaMetricsOptions {
  /** Appended after the helper's own flags, so they can override them (the last value of a flag wins). */
  extraArgs?: string[];
  /** Fixed port; by default a free one is picked. */
  port?: number;
}

export interface RunningVictoriaMetrics {
  /** `http://127.0.0.1:PORT`, no trailing slash: the Prometheus query API lives under it. */
  readonly url: string;
  readonly port: number;
  /** Where Prometheus sends samples: `remote_write: [{url: ...}]` (or `init --remote-write-url`). */
  readonly remoteWriteUrl: string;
  /** Instant query (PromQL, answered as MetricsQL) at `timeSeconds` (unix) or now. */
  query(promql: string, timeSeconds?: number): Promise<PromVectorSample[]>;
  /** A range-vector selector such as `{job="x"}[30s]` at `timeSeconds`: the raw samples stored. */
  rawSamples(selector: string, timeSeconds: number): Promise<PromMatrixSeries[]>;
  /** SIGTERM, wait for exit (SIGKILL after 5 s), then remove the data dir. Safe to call twice. */
  stop(): Promise<void>;
  /** Last part of its stdout+stderr. */
  output(): string;
}

/**
 * Flags for a store that a test reads right after writing: `-search.latencyOffset=0s` makes samples
 * queryable as soon as they are flushed (the default hides the last 30 s), and `-search.disableCache` stops
 * a cached answer for an instant from hiding samples that arrived later.
 */
const TEST_FLAGS = ['-search.latencyOffset=0s', '-search.disableCache'];

/** Starts VictoriaMetrics with its storage in a fresh temp dir; resolves once `/health` answers on our port. */
export async function startVictoriaMetrics(opts: StartVictoriaMetricsOptions = {}): Promise<RunningVictoriaMetrics> {
  const binary = binaryPath('victoria-metrics');
  const dir = await mkdtemp(join(tmpdir(), 'persia-metrics-victoria-'));
  const unregisterDir = onProcessExit(() => rmSync(dir, { recursive: true, force: true }));
  const removeDir = async (): Promise<void> => {
    await rm(dir, { recursive: true, force: true });
    unregisterDir();
  };

  let port = 0;
  let proc: ManagedProcess;
  try {
    proc = await startOnPort(opts.port, async (p) => {
      const args = [`-storageDataPath=${join(dir, 'data')}`, `-httpListenAddr=127.0.0.1:${p}`, ...TEST_FLAGS, ...(opts.extraArgs ?? [])];
      const started = spawnManaged(`victoria-metrics :${p}`, binary, args, dir);
      // It logs "starting http server at" just before binding, so also make sure the server that answers is
      // this one (its flags are in its /metrics), not another that holds the port while ours dies.
      await waitUntilReady(started, `127.0.0.1:${p}`, `http://127.0.0.1:${p}/health`, 20_000, 'starting http server at');
      const metrics = await httpText(`http://127.0.0.1:${p}/metrics`);
      if (!metrics.includes(`value="${join(dir, 'data')}"`)) {
        await started.stop();
        throw new Error(`another server answers on 127.0.0.1:${p} (address already in use)`);
      }
      port = p;
      return started;
    });
  } catch (err) {
    await removeDir();
    throw err;
  }
  const running = proc;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    port,
    remoteWriteUrl: `${url}/api/v1/write`,
    query: (promql, timeSeconds) => instantQuery(url, promql, timeSeconds),
    rawSamples: (selector, timeSeconds) => rangeSelectorQuery(url, selector, timeSeconds),
    async stop() {
      await running.stop(5000);
      await removeDir();
    },
    output: () => running.output(),
  };
}
