import { rmSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { binaryPath } from './binaries.js';
import { onProcessExit } from './exit-cleanup.js';
import { httpJson, isRecord } from './http.js';
import { instantQuery, stringRecord, type PromVectorSample } from './instant-query.js';
import { spawnManaged, startOnPort, waitUntilReady, type ManagedProcess } from './managed-process.js';
import { renderLocalScrapeConfig, type PrometheusConfigOptions } from './local-scrape-config.js';
import { waitFor } from './wait-for.js';

export type StartPrometheusOptions = PrometheusConfigOptions;
export type { PromVectorSample };

/** An active target as `/api/v1/targets` reports it (subset of the fields). */
export interface PromTarget {
  scrapePool: string;
  scrapeUrl: string;
  labels: Record<string, string>;
  health: 'up' | 'down' | 'unknown';
  /** Empty string when the last scrape succeeded. */
  lastError: string;
  /** RFC 3339 time of the last scrape ("0001-01-01T00:00:00Z" before the first one). */
  lastScrape: string;
}

export interface RunningPrometheus {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  readonly url: string;
  readonly port: number;
  /** The generated prometheus.yml (edit it and POST `${url}/-/reload`: lifecycle API is on). */
  readonly configFile: string;
  /** SIGTERM, wait for exit (SIGKILL after 3 s), then remove the temp dir. Safe to call twice. */
  stop(): Promise<void>;
  /** Instant query, at `timeSeconds` (unix) or now; throws with Prometheus's error text when the query fails. */
  query(promql: string, timeSeconds?: number): Promise<PromVectorSample[]>;
  /** Re-runs `query` every 250 ms until `predicate` holds; the timeout error shows the last result. */
  queryUntil(promql: string, predicate: (samples: PromVectorSample[]) => boolean, timeoutMs?: number): Promise<PromVectorSample[]>;
  /** Active scrape targets. */
  targets(): Promise<PromTarget[]>;
  /** Last part of Prometheus's stdout+stderr. */
  output(): string;
}

/**
 * Starts the real `prometheus` on 127.0.0.1 with a generated config and storage in a fresh temp
 * dir, and resolves once `/-/ready` answers 200 (TSDB opened, config loaded).
 */
export async function startPrometheus(opts: StartPrometheusOptions = {}): Promise<RunningPrometheus> {
  const binary = binaryPath('prometheus');
  const configText = renderLocalScrapeConfig(opts); // checks the options before anything is created

  const dir = await mkdtemp(join(tmpdir(), 'persia-metrics-prometheus-'));
  // If the test process dies before stop(), the TSDB dir must not pile up in /tmp.
  const unregisterDir = onProcessExit(() => rmSync(dir, { recursive: true, force: true }));
  const removeDir = async (): Promise<void> => {
    await rm(dir, { recursive: true, force: true });
    unregisterDir();
  };

  const configFile = join(dir, 'prometheus.yml');
  await writeFile(configFile, configText);

  let port = 0;
  let proc: ManagedProcess;
  try {
    proc = await startOnPort(undefined, async (p) => {
      const started = spawnManaged(
        `prometheus :${p}`,
        binary,
        [`--config.file=${configFile}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${p}`, '--web.enable-lifecycle'],
        dir,
      );
      await waitUntilReady(started, `127.0.0.1:${p}`, `http://127.0.0.1:${p}/-/ready`, 20_000);
      port = p;
      return started;
    });
  } catch (err) {
    await removeDir();
    throw err;
  }
  const running = proc;
  const url = `http://127.0.0.1:${port}`;

  const query = (promql: string, timeSeconds?: number): Promise<PromVectorSample[]> => instantQuery(url, promql, timeSeconds);

  return {
    url,
    port,
    configFile,
    async stop() {
      await running.stop();
      await removeDir();
    },
    query,
    async queryUntil(promql, predicate, timeoutMs = 20_000) {
      let last: PromVectorSample[] | undefined;
      return waitFor(
        async () => {
          last = await query(promql);
          return predicate(last) ? last : undefined;
        },
        {
          timeoutMs,
          intervalMs: 250,
          what: `query ${promql} to satisfy the predicate`,
          details: () => `last result: ${last === undefined ? '(none)' : JSON.stringify(last)}`,
        },
      );
    },
    async targets() {
      const body = await httpJson(`${url}/api/v1/targets?state=active`);
      const data = isRecord(body) ? body['data'] : undefined;
      if (!isRecord(data) || !Array.isArray(data['activeTargets'])) {
        throw new Error(`unexpected /api/v1/targets answer: ${JSON.stringify(body).slice(0, 500)}`);
      }
      return data['activeTargets'].map(parseTarget);
    },
    output: () => running.output(),
  };
}

function parseTarget(raw: unknown): PromTarget {
  if (!isRecord(raw)) throw new Error(`unexpected target: ${JSON.stringify(raw)}`);
  const health = raw['health'];
  return {
    scrapePool: String(raw['scrapePool']),
    scrapeUrl: String(raw['scrapeUrl']),
    labels: stringRecord(raw['labels']),
    health: health === 'up' || health === 'down' ? health : 'unknown',
    lastError: typeof raw['lastError'] === 'string' ? raw['lastError'] : '',
    lastScrape: String(raw['lastScrape']),
  };
}
