/**
 * The job name where it leaves the node: the one rule a rendered deployment checks it by, and every name
 * derived from it (compose service suffix, Kubernetes object base name, file_sd file name). The node's own
 * rule is the option table's `job_name`; this refines it, so a name passes here only if a node accepts it.
 */
import { createHash } from 'node:crypto';
import { DeployUsageError } from '../errors.js';
import { checkedOption } from './options.js';

/**
 * A rendered deployment puts the name in compose labels, file names (`gateway-<job>.json`) and, via
 * `serviceSuffix`, in container DNS names, so only a conservative alphabet is accepted. PersiaML's own
 * example `dlrm_v1.0` fits.
 */
const DEPLOYABLE_JOB_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

/** Where the name is used: compose and file names, or also Kubernetes object names and label values. */
export type JobNameTarget = 'compose' | 'kubernetes';

/** Longest suffix added to the job's Kubernetes object name (`-metrics-gateway-service`), so every name stays ≤ 63. */
export const LONGEST_KUBERNETES_SUFFIX = '-metrics-gateway-service';

/** Hex digits of the job name's hash added to a Kubernetes name that is not the job name itself. */
const NAME_HASH_LENGTH = 6;

/** The one check of a job name for a deployment; throws DeployUsageError naming what to change. */
export function validateJobName(jobName: string, target: JobNameTarget = 'compose'): string {
  checkedOption('job_name', jobName, 'job name'); // the node's own rule first: one rule, refined below
  if (!DEPLOYABLE_JOB_NAME.test(jobName)) {
    throw new DeployUsageError(
      `job name "${jobName}" is a valid job_name for a node, but a deployment also uses it in container and file names: ` +
        'use 1-63 letters, digits, "_", "." or "-", starting with a letter or digit (e.g. dlrm_v1.0)',
    );
  }
  if (target === 'kubernetes') {
    // Label values must end with a letter or digit too (the compose rule lets "_" end a name).
    if (!/[A-Za-z0-9]$/.test(jobName)) {
      throw new DeployUsageError(`job name "${jobName}" must end with a letter or digit for Kubernetes (it is a label value there)`);
    }
    const { mapped, lossless } = kubernetesLabel(jobName);
    const room = 63 - LONGEST_KUBERNETES_SUFFIX.length - (lossless ? 0 : NAME_HASH_LENGTH + 1);
    if (mapped.length > room) {
      throw new DeployUsageError(`job name "${jobName}" gives the Kubernetes name "${mapped}", longer than ${room} characters: use a shorter job name`);
    }
  }
  return jobName;
}

/**
 * Suffix that turns a job name into a compose service / DNS name part: dots would make the service name
 * look like a sub-domain to the container resolver, so they become underscores.
 */
export function serviceSuffix(jobName: string): string {
  return jobName.toLowerCase().replace(/[^a-z0-9_-]/g, '_');
}

/** Start of every file_sd file `discover` writes (Prometheus reads targets/*.json). */
export const FILE_SD_PREFIX = 'gateway-';

/** The job's file_sd file name: characters a file name or glob could trip over become `_`. */
export function fileSdName(jobName: string): string {
  return `${FILE_SD_PREFIX}${jobName.replace(/[^A-Za-z0-9_.-]/g, '_')}.json`;
}

function kubernetesLabel(jobName: string): { mapped: string; lossless: boolean } {
  let mapped = jobName
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (!/^[a-z]/.test(mapped)) mapped = `job-${mapped}`;
  return { mapped, lossless: mapped === jobName };
}

/**
 * Object names are DNS labels (lower case, digits, "-", starting with a letter, ≤ 63). A job name that is one
 * already is used as it is (`dlrm-v1-0`, the name PersiaML's operator gives the Service too). Any other is
 * mapped (`dlrm_v1.0` → `dlrm-v1-0`) and, because the mapping loses characters, gets a short hash of the exact
 * job name: `dlrm_v1.0`, `DLRM.V1.0` and `dlrm-v1-0` would otherwise share one set of object names, and the
 * second job applied into a namespace would take over the first one's Service, ConfigMap and StatefulSets.
 * For a name `validateJobName(name, 'kubernetes')` accepted (it checks the length of this very mapping).
 */
export function kubernetesBaseName(jobName: string): string {
  const { mapped, lossless } = kubernetesLabel(jobName);
  return lossless ? mapped : `${mapped}-${createHash('sha256').update(jobName).digest('hex').slice(0, NAME_HASH_LENGTH)}`;
}
