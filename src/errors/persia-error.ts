/**
 * The base of every error the library and the CLI throw, and the list of their stable codes (undici's
 * `UND_ERR_*` idea): code that handles an error switches on `code`, never on message text, and the CLI maps
 * codes to exit codes. The classes live by layer beside this file; src/errors.ts exports them all.
 */
export type PersiaErrorCode =
  | 'PERSIA_CONFIG_INVALID'
  | 'PERSIA_CONFIG_UNREADABLE'
  | 'PERSIA_LABEL_CLASH'
  | 'PERSIA_METRIC_INVALID'
  | 'PERSIA_PUSH_HTTP'
  | 'PERSIA_PUSH_TIMEOUT'
  | 'PERSIA_PUSH_NETWORK'
  | 'PERSIA_GATEWAY_ANSWER_TOO_LARGE'
  | 'PERSIA_SHUTDOWN_TIMEOUT'
  | 'PERSIA_DUPLICATE_IDENTITY'
  | 'PERSIA_NODE_STOPPED'
  | 'PERSIA_EXTRA_SOURCE'
  | 'PERSIA_SCRAPE'
  | 'PERSIA_REENTRANT_CALL'
  | 'PERSIA_DEPLOY_USAGE'
  | 'PERSIA_USAGE'
  | 'PERSIA_INIT_EXISTS'
  | 'PERSIA_INIT_UNSAFE_PATH'
  | 'PERSIA_DISCOVERY_FAILED'
  | 'PERSIA_DEPENDENCY_MISSING'
  | 'PERSIA_STATUS_FAILED'
  | 'PERSIA_VIEW_FAILED'
  | 'PERSIA_EXPIRY_FAILED';

/**
 * Codes that mean the invocation, its input or the installation is wrong (exit 2), as opposed to a runtime
 * failure (exit 1): running it again unchanged cannot help, so a retry loop should stop.
 */
export const USAGE_ERROR_CODES: ReadonlySet<PersiaErrorCode> = new Set<PersiaErrorCode>([
  'PERSIA_CONFIG_INVALID',
  'PERSIA_CONFIG_UNREADABLE',
  'PERSIA_DEPLOY_USAGE',
  'PERSIA_USAGE',
  'PERSIA_INIT_EXISTS',
  'PERSIA_INIT_UNSAFE_PATH',
  'PERSIA_DEPENDENCY_MISSING',
]);

export class PersiaMetricsError extends Error {
  readonly code: PersiaErrorCode;

  constructor(code: PersiaErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }

  /** The CLI's exit status for this error: 2 when the invocation or its input is wrong, 1 when something failed. */
  get exitCode(): 1 | 2 {
    return USAGE_ERROR_CODES.has(this.code) ? 2 : 1;
  }
}
