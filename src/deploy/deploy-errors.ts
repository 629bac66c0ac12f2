/**
 * Errors of the deployment commands (init, discover, status). They follow the core's pattern (stable `code`,
 * `name`) and also carry the exit code, so the CLI can map them without knowing each class.
 * TODO(reconcile): move these codes into src/errors.ts's PersiaErrorCode once the core takes them.
 */

export type DeployErrorCode =
  | 'PERSIA_DEPLOY_USAGE'
  | 'PERSIA_INIT_EXISTS'
  | 'PERSIA_DISCOVERY_FAILED'
  | 'PERSIA_STATUS_FAILED';

export class DeployError extends Error {
  readonly code: DeployErrorCode;
  /** 2: the invocation or its input is wrong; 1: the environment failed (engine, gateway, disk). */
  readonly exitCode: 1 | 2;

  constructor(code: DeployErrorCode, exitCode: 1 | 2, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.exitCode = exitCode;
  }
}

/** A bad option value (job name, threshold, address). */
export class DeployUsageError extends DeployError {
  constructor(message: string) {
    super('PERSIA_DEPLOY_USAGE', 2, message);
  }
}

/** `init` would overwrite files; lists them so the user can decide about `--force`. */
export class InitExistsError extends DeployError {
  readonly existing: readonly string[];

  constructor(existing: readonly string[]) {
    const shown = existing.slice(0, 5).join(', ') + (existing.length > 5 ? `, and ${existing.length - 5} more` : '');
    super('PERSIA_INIT_EXISTS', 2, `refusing to overwrite existing files (${shown}); pass --force to replace them`);
    this.existing = existing;
  }
}

/** The container engine could not be asked (socket missing, permission, API error). */
export class DiscoveryError extends DeployError {
  constructor(message: string, cause?: unknown) {
    super('PERSIA_DISCOVERY_FAILED', 1, message, { cause });
  }
}

/** The gateway could not be read, or the job has no group on it. */
export class StatusError extends DeployError {
  constructor(message: string, cause?: unknown) {
    super('PERSIA_STATUS_FAILED', 1, message, { cause });
  }
}

/**
 * Runs a deployment command's body: a DeployError prints as one line and becomes its exit code (the core's
 * runAction does not know these codes yet); anything else is left to the caller's handler.
 */
export async function withDeployExitCode(body: () => Promise<number | void> | number | void): Promise<number> {
  try {
    return (await body()) ?? 0;
  } catch (error) {
    if (!(error instanceof DeployError)) throw error;
    process.stderr.write(`persia-metrics: error: ${error.message}\n`);
    return error.exitCode;
  }
}
