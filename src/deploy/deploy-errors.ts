/**
 * Errors of the deployment commands (init, discover, status), with stable codes from src/errors.ts; the
 * CLI's runAction maps usage codes to exit 2 and the rest to exit 1.
 */
import { PersiaMetricsError, USAGE_ERROR_CODES, type PersiaErrorCode } from '../errors.js';

export type DeployErrorCode = Extract<PersiaErrorCode, 'PERSIA_DEPLOY_USAGE' | 'PERSIA_INIT_EXISTS' | 'PERSIA_DISCOVERY_FAILED' | 'PERSIA_STATUS_FAILED'>;

export class DeployError extends PersiaMetricsError {
  declare readonly code: DeployErrorCode;

  /** 2: the invocation or its input is wrong; 1: the environment failed (engine, gateway, disk). */
  get exitCode(): 1 | 2 {
    return USAGE_ERROR_CODES.has(this.code) ? 2 : 1;
  }
}

/** A bad option value (job name, threshold, address). */
export class DeployUsageError extends DeployError {
  constructor(message: string) {
    super('PERSIA_DEPLOY_USAGE', message);
  }
}

/** `init` would overwrite files; lists them so the user can decide about `--force`. */
export class InitExistsError extends DeployError {
  readonly existing: readonly string[];

  constructor(existing: readonly string[]) {
    const shown = existing.slice(0, 5).join(', ') + (existing.length > 5 ? `, and ${existing.length - 5} more` : '');
    super('PERSIA_INIT_EXISTS', `refusing to overwrite existing files (${shown}); pass --force to replace them`);
    this.existing = existing;
  }
}

/** The container engine could not be asked (socket missing, permission, API error). */
export class DiscoveryError extends DeployError {
  constructor(message: string, cause?: unknown) {
    super('PERSIA_DISCOVERY_FAILED', message, { cause });
  }
}

/** The gateway could not be read, or the job has no group on it. */
export class StatusError extends DeployError {
  constructor(message: string, cause?: unknown) {
    super('PERSIA_STATUS_FAILED', message, { cause });
  }
}
