/**
 * Errors of the CLI's commands and the ops toolkit below them (deploy, discovery, status, view, expiry):
 * each command's failure has its own code, and the usage ones exit 2 (USAGE_ERROR_CODES).
 */
import { PersiaMetricsError } from './persia-error.js';

/** A bad option value of a deployment command (job name, threshold, address). */
export class DeployUsageError extends PersiaMetricsError {
  constructor(message: string) {
    super('PERSIA_DEPLOY_USAGE', message);
  }
}

/**
 * A command's flags are wrong in a way only its action can tell (a flag checked there rather than by
 * commander, whose message would repeat a secret value whole), or two flags clash.
 */
export class UsageError extends PersiaMetricsError {
  constructor(message: string) {
    super('PERSIA_USAGE', message);
  }
}

/** `init` would overwrite files; lists them so the user can decide about `--force`. */
export class InitExistsError extends PersiaMetricsError {
  readonly existing: readonly string[];

  constructor(existing: readonly string[]) {
    const shown = existing.slice(0, 5).join(', ') + (existing.length > 5 ? `, and ${existing.length - 5} more` : '');
    super('PERSIA_INIT_EXISTS', `refusing to overwrite existing files (${shown}); pass --force to replace them`);
    this.existing = existing;
  }
}

/**
 * `init` would write through a symbolic link (or into something that is not a plain file or directory)
 * inside its directory: the file would land outside the directory, or replace what the link points at.
 */
export class InitUnsafePathError extends PersiaMetricsError {
  readonly path: string;

  constructor(path: string, found: string) {
    super(
      'PERSIA_INIT_UNSAFE_PATH',
      `refusing to write through ${path}: it is ${found}; init writes only plain files and directories inside its directory (remove it and run init again)`,
    );
    this.path = path;
  }
}

/** The container engine could not be asked (socket missing, permission, API error). */
export class DiscoveryError extends PersiaMetricsError {
  constructor(message: string, cause?: unknown) {
    super('PERSIA_DISCOVERY_FAILED', message, { cause });
  }
}

/**
 * An optional dependency of the CLI (package.json `optionalDependencies`) is not installed, e.g. dockerode
 * after `npm install --omit=optional`: the library never needs it, the command that does says what to install.
 */
export class MissingDependencyError extends PersiaMetricsError {
  readonly packageName: string;

  constructor(packageName: string, neededFor: string, cause?: unknown) {
    super(
      'PERSIA_DEPENDENCY_MISSING',
      `${neededFor} needs the optional package ${packageName}, which is not installed (an install with --omit=optional leaves it out); ` +
        `install it beside persia-metrics: npm install ${packageName}`,
      { cause },
    );
    this.packageName = packageName;
  }
}

/** The gateway could not be read, or the job has no group on it. */
export class StatusError extends PersiaMetricsError {
  constructor(message: string, cause?: unknown) {
    super('PERSIA_STATUS_FAILED', message, { cause });
  }
}

/** The view server could not start (address in use, no such local address). */
export class ViewError extends PersiaMetricsError {
  constructor(message: string, cause?: unknown) {
    super('PERSIA_VIEW_FAILED', message, { cause });
  }
}

/** `expire` / `end-job` could not do their work: no gateway could be read, or a DELETE failed. */
export class GroupExpiryError extends PersiaMetricsError {
  constructor(message: string, cause?: unknown) {
    super('PERSIA_EXPIRY_FAILED', message, { cause });
  }
}
