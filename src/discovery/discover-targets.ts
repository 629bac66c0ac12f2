/**
 * One `discover` run: find the gateways and the Prometheus that reads the folder, choose one address per
 * gateway for it, and write (and prune) the target files. The CLI prints the report; tests pass a fake engine.
 */
import { resolve } from 'node:path';
import { renderFileSd, writeFileSd, type FileSdFailure } from './file-sd.js';
import { type DockerEngine, findGateways } from './gateway-discovery.js';
import { findScrapeReaders } from './scrape-reader.js';
import { type AddressChoice, planTargets, type TargetPlan } from './target-choice.js';

export interface DiscoverOptions {
  /** Folder of the target files. */
  readonly out: string;
  readonly address: AddressChoice;
  /** Host for ports published on all interfaces. @default '127.0.0.1' */
  readonly host?: string;
  /** Only gateways of this job (and then nothing is pruned: other jobs' files are not this run's). */
  readonly job?: string;
  /** Remove gateway-*.json files of jobs no longer found. */
  readonly prune: boolean;
  /** False: decide and render only (--print). */
  readonly write: boolean;
}

export interface DiscoverReport extends TargetPlan {
  /** The folder, absolute. */
  readonly out: string;
  /** File name → text. */
  readonly files: ReadonlyMap<string, string>;
  /** Jobs whose label cannot name a file: their targets only are left out. */
  readonly rejected: readonly FileSdFailure[];
  readonly written: readonly string[];
  readonly removed: readonly string[];
  /** Files that could not be written or removed. */
  readonly failed: ReadonlyArray<{ readonly path: string; readonly reason: string }>;
}

export async function discoverTargets(engine: DockerEngine, options: DiscoverOptions): Promise<DiscoverReport> {
  const out = resolve(options.out);
  const readers = await findScrapeReaders(engine, out);
  const gateways = await findGateways(engine, { ...(options.host === undefined ? {} : { host: options.host }), ...(options.job === undefined ? {} : { job: options.job }) });
  const plan = planTargets(gateways, readers, options.address);
  const { files, rejected } = renderFileSd(plan.decisions.flatMap(({ gateway, target }) => (target === undefined ? [] : [{ job: gateway.job, target }])));
  // An unfiltered run that found nothing prunes every old file: the gateways are gone.
  const result = options.write ? writeFileSd(out, files, options.prune && options.job === undefined) : { written: [], removed: [], failed: [] };
  return { ...plan, out, files, rejected, ...result };
}
