/**
 * Prometheus file_sd target files for discovered gateways: one `gateway-<job>.json` per job, so Prometheus
 * (file_sd_configs: targets/*.json) picks up a new job or a moved gateway within its refresh interval.
 */
import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FILE_SD_PREFIX, fileSdName } from '../monitoring/job-name.js';
import type { GatewayEndpoint } from './gateway-discovery.js';

export type AddressKind = 'published' | 'internal';

export interface FileSdGroup {
  readonly targets: string[];
  readonly labels: Record<string, string>;
}

/** File name for a job (the job-name mapping of src/monitoring/job-name.ts). */
export const targetFileName = fileSdName;

/**
 * File name → file text. Only the `persia_job` label is set: the same label the DNS and docker_sd scrape jobs
 * set, so a gateway found both ways produces identical node series (see src/deploy/prometheus/prometheus-config.ts).
 * Gateways without an address of the wanted kind are returned in `skipped`.
 */
export function renderFileSd(gateways: readonly GatewayEndpoint[], kind: AddressKind): { files: Map<string, string>; skipped: GatewayEndpoint[] } {
  const byFile = new Map<string, FileSdGroup[]>();
  const skipped: GatewayEndpoint[] = [];
  for (const gateway of gateways) {
    const targets = kind === 'published' ? (gateway.published === undefined ? [] : [gateway.published]) : [...gateway.internal];
    if (targets.length === 0) {
      skipped.push(gateway);
      continue;
    }
    const file = targetFileName(gateway.job);
    const groups = byFile.get(file) ?? [];
    groups.push({ targets, labels: { persia_job: gateway.job } });
    byFile.set(file, groups);
  }
  const files = new Map([...byFile].map(([file, groups]) => [file, `${JSON.stringify(groups, null, 2)}\n`]));
  return { files, skipped };
}

/**
 * Writes the files atomically (temp file + rename: Prometheus must never read half a file) and, with
 * `prune`, removes `gateway-*.json` files of jobs no longer found, so a removed gateway stops being scraped
 * (and stops firing PersiaGatewayDown). Other files in the directory are left alone.
 */
export function writeFileSd(dir: string, files: ReadonlyMap<string, string>, prune: boolean): { written: string[]; removed: string[] } {
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  for (const [file, text] of files) {
    const path = join(dir, file);
    const temp = join(dir, `.${file}.${process.pid}.tmp`);
    writeFileSync(temp, text);
    renameSync(temp, path);
    written.push(path);
  }
  const removed: string[] = [];
  if (prune) {
    for (const file of readdirSync(dir)) {
      if (file.startsWith(FILE_SD_PREFIX) && file.endsWith('.json') && !files.has(file)) {
        rmSync(join(dir, file), { force: true });
        removed.push(join(dir, file));
      }
    }
  }
  return { written, removed };
}
