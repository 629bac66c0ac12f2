/**
 * Every error class with its stable code, from one place: code anywhere in the library, the CLI or a user's
 * program imports errors from here. The classes live by layer in src/errors/ (the base class and the list of
 * codes in persia-error.ts); a code is never renamed or reused, because callers switch on it.
 */
export { PersiaMetricsError, USAGE_ERROR_CODES, type PersiaErrorCode } from './errors/persia-error.js';
export { clipValue, errorText, escapeControl, escapeValue, quoteValue, SHOWN_VALUE_CHARS } from './errors/error-text.js';
export { ConfigError, ConfigFileError, ConfigFileTooLargeError, type ConfigProblemLocation } from './errors/config-errors.js';
export { GatewayRequestError, PushHttpError, PushTimeoutError, PushNetworkError, GatewayAnswerTooLargeError } from './errors/gateway-errors.js';
export {
  LabelClashError,
  MetricDefinitionError,
  ShutdownTimeoutError,
  DuplicateIdentityError,
  NodeStoppedError,
  ExtraSourceError,
  ScrapeError,
  ReentrantCallError,
  type ExtraSourceProblem,
  type ScrapeProblem,
} from './errors/node-errors.js';
export {
  DeployUsageError,
  UsageError,
  InitExistsError,
  InitUnsafePathError,
  DiscoveryError,
  MissingDependencyError,
  StatusError,
  ViewError,
  GroupExpiryError,
} from './errors/command-errors.js';
