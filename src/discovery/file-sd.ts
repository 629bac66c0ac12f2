/**
 * Prometheus file_sd target files for discovered gateways: one `gateway-<job>.json` per job, so Prometheus
 * (file_sd_configs: targets/*.json) picks up a new job or a moved gateway within its refresh interval.
 *
 * The job name comes from a container label, which anyone who can start a container sets: the file name made
 * of it is checked against the deployment's job-name rule (a 300-character label once ended the whole run
 * with ENAMETOOLONG), and one job's failure never stops the other jobs' files or the pruning.
 */
import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { errorText } from '../errors.js';
import { FILE_SD_PREFIX, fileSdName, validateJobName } from '../monitoring/job-name.js';

export interface FileSdGroup {
  readonly targets: string[];
  readonly labels: Record<string, string>;
}

/** One address to scrape for a job. */
export interface FileSdTarget {
  readonly job: string;
  readonly target: string;
}

/** A job whose file could not be made or written; `reason` may quote the (untrusted) job name. */
export interface FileSdFailure {
  readonly job: string;
  readonly reason: string;
}

/** File name for a job (the job-name mapping of src/monitoring/job-name.ts). */
export const targetFileName = fileSdName;

/**
 * File name → file text. Only the `persia_job` label is set: the same label the DNS and docker_sd scrape jobs
 * set, so a gateway found either way produces the same node series (see src/deploy/prometheus/prometheus-config.ts).
 * A job whose name cannot name a file is returned in `rejected`, and only its targets are left out.
 */
export function renderFileSd(targets: readonly FileSdTarget[]): { files: Map<string, string>; rejected: FileSdFailure[] } {
  const byFile = new Map<string, FileSdGroup[]>();
  const rejected = new Map<string, FileSdFailure>();
  for (const { job, target } of targets) {
    const file = targetFileName(job);
    try {
      // The deployment's job-name rule on what goes into the file name (already free of control characters).
      validateJobName(file.slice(FILE_SD_PREFIX.length, -'.json'.length));
    } catch (error) {
      rejected.set(job, { job, reason: `job label cannot name a target file: ${errorText(error)}` });
      continue;
    }
    const groups = byFile.get(file) ?? [];
    groups.push({ targets: [target], labels: { persia_job: job } });
    byFile.set(file, groups);
  }
  const files = new Map([...byFile].map(([file, groups]) => [file, `${JSON.stringify(groups, null, 2)}\n`]));
  return { files, rejected: [...rejected.values()] };
}

/**
 * Writes the files atomically (temp file + rename: Prometheus must never read half a file) and, with
 * `prune`, removes `gateway-*.json` files of jobs no longer found, so a removed gateway stops being scraped
 * (and stops firing PersiaGatewayDown). Other files in the directory are left alone. A file that cannot be
 * written or removed is reported in `failed`; the others are still written and pruned.
 */
export function writeFileSd(
  dir: string,
  files: ReadonlyMap<string, string>,
  prune: boolean,
): { written: string[]; removed: string[]; failed: Array<{ path: string; reason: string }> } {
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  const failed: Array<{ path: string; reason: string }> = [];
  for (const [file, text] of files) {
    const path = join(dir, file);
    const temp = join(dir, `.${file}.${process.pid}.tmp`);
    try {
      writeFileSync(temp, text);
      renameSync(temp, path);
      written.push(path);
    } catch (error) {
      rmSync(temp, { force: true });
      failed.push({ path, reason: errorText(error) });
    }
  }
  const removed: string[] = [];
  if (prune) {
    for (const file of readdirSync(dir)) {
      if (!file.startsWith(FILE_SD_PREFIX) || !file.endsWith('.json') || files.has(file)) continue;
      try {
        rmSync(join(dir, file), { force: true });
        removed.push(join(dir, file));
      } catch (error) {
        failed.push({ path: join(dir, file), reason: errorText(error) });
      }
    }
  }
  return { written, removed, failed };
}
