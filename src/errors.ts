/**
 * Errors as classes with stable codes (undici's `UND_ERR_*` idea): code that handles an error switches on
 * `code`, never on message text, and the CLI maps codes to exit codes.
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

export interface ConfigProblemLocation {
  /** The file, or a description of where the value came from (`env PERSIA_METRICS_GATEWAY_ADDR`, `options`). */
  readonly source: string;
  /** Dotted key path, e.g. `PersiaMetricsConfig.push_interval_seconds`. */
  readonly path: string;
  /** 1-based line in the file, when the value came from a file and the line is known. */
  readonly line?: number | undefined;
}

/** A configuration value is wrong: says where (file, key path, line), what was expected and what was found. */
export class ConfigError extends PersiaMetricsError {
  readonly source: string;
  readonly path: string;
  readonly line: number | undefined;
  readonly expected: string;
  readonly found: string;

  constructor(location: ConfigProblemLocation, expected: string, found: string, hint?: string) {
    const where = location.line === undefined ? location.source : `${location.source}:${location.line}`;
    const key = location.path === '' ? '' : ` ${location.path}:`;
    // One line whatever the file held: a key or value with a newline or other control character (YAML
    // allows them in quoted keys) is shown escaped, so the CLI's one-line error stays one line.
    super('PERSIA_CONFIG_INVALID', escapeControl(`${where}:${key} expected ${expected}, found ${found}${hint ? ` (${hint})` : ''}`));
    this.source = location.source;
    this.path = location.path;
    this.line = location.line;
    this.expected = expected;
    this.found = found;
  }
}

/** The configuration file could not be read or parsed as YAML at all. */
export class ConfigFileError extends PersiaMetricsError {
  readonly file: string;
  readonly line: number | undefined;

  constructor(file: string, reason: string, line?: number, cause?: unknown) {
    super('PERSIA_CONFIG_UNREADABLE', `${line === undefined ? file : `${file}:${line}`}: ${reason}`, { cause });
    this.file = file;
    this.line = line;
  }
}

/** A file named in the configuration is larger than any real one of its kind: refused before it is parsed. */
export class ConfigFileTooLargeError extends ConfigFileError {
  readonly limitBytes: number;

  constructor(file: string, what: string | undefined, limitBytes: number) {
    super(file, `${what === undefined ? '' : `${what} `}is larger than ${formatBytes(limitBytes)}, the limit for it (refused unread)`);
    this.limitBytes = limitBytes;
  }
}

/** A metric's body would carry a label that the push URL's grouping key also sets. */
export class LabelClashError extends PersiaMetricsError {
  readonly metric: string;
  readonly label: string;

  constructor(metric: string, label: string) {
    super('PERSIA_LABEL_CLASH', `metric ${metric} uses label "${label}", which is part of the grouping key; the gateway would silently overwrite it. Rename the label.`);
    this.metric = metric;
    this.label = label;
  }
}

/** A metric or label name or value that Prometheus would refuse. */
export class MetricDefinitionError extends PersiaMetricsError {
  constructor(message: string) {
    super('PERSIA_METRIC_INVALID', message);
  }
}

/**
 * A request to a gateway failed (src/gateway/failures.ts classifies every failure into one of the classes
 * below). `failover` is set by the replicated transport when this failure moved the node from one replica
 * (base URL) to another: the next request goes there, so a caller may retry at once.
 */
export abstract class GatewayRequestError extends PersiaMetricsError {
  readonly method: string;
  readonly url: string;
  failover: { readonly from: string; readonly to: string } | undefined;

  constructor(code: PersiaErrorCode, method: string, url: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.method = method;
    this.url = url;
  }
}

/** The gateway answered with a status other than 200/202. `body` holds the gateway's reason. */
export class PushHttpError extends GatewayRequestError {
  readonly statusCode: number;
  readonly body: string;

  constructor(method: string, url: string, statusCode: number, body: string) {
    super('PERSIA_PUSH_HTTP', method, url, `${method} ${url} answered ${statusCode}: ${body.trim() || '(empty body)'}`);
    this.statusCode = statusCode;
    this.body = body;
  }
}

export class PushTimeoutError extends GatewayRequestError {
  readonly timeoutSeconds: number;

  constructor(method: string, url: string, timeoutSeconds: number) {
    super('PERSIA_PUSH_TIMEOUT', method, url, `${method} ${url} did not answer within ${timeoutSeconds} s`);
    this.timeoutSeconds = timeoutSeconds;
  }
}

/** DNS failure, refused connection, reset: anything below HTTP. */
export class PushNetworkError extends GatewayRequestError {
  /** What went wrong below HTTP (`ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:1`). */
  readonly detail: string;

  constructor(method: string, url: string, cause: unknown) {
    const detail = cause instanceof Error ? describeNetworkCause(cause) : String(cause);
    super('PERSIA_PUSH_NETWORK', method, url, `${method} ${url} failed: ${detail}`, { cause });
    this.detail = detail;
  }
}

/**
 * The answer was longer than a Pushgateway ever sends for that request: the rest was dropped unread and the
 * connection closed. Whatever answers there (a proxy, another program) is not a gateway that works.
 */
export class GatewayAnswerTooLargeError extends GatewayRequestError {
  readonly limitBytes: number;

  constructor(method: string, url: string, statusCode: number, limitBytes: number) {
    super(
      'PERSIA_GATEWAY_ANSWER_TOO_LARGE',
      method,
      url,
      `${method} ${url} answered ${statusCode} with more than ${formatBytes(limitBytes)}, more than a Pushgateway ever sends for it: the rest was not read`,
    );
    this.limitBytes = limitBytes;
  }
}

function formatBytes(bytes: number): string {
  return bytes >= 2 ** 20 ? `${bytes / 2 ** 20} MiB` : `${bytes / 2 ** 10} KiB`;
}

export class ShutdownTimeoutError extends PersiaMetricsError {
  constructor(deadlineSeconds: number, pending: string) {
    super('PERSIA_SHUTDOWN_TIMEOUT', `shutdown did not finish within ${deadlineSeconds} s (${pending})`);
  }
}

/** A node identity (job, role, instance) is already live in this process: the two would overwrite each other's group. */
export class DuplicateIdentityError extends PersiaMetricsError {
  readonly groupingPath: string;

  constructor(groupingPath: string) {
    super(
      'PERSIA_DUPLICATE_IDENTITY',
      `this process already runs node metrics for ${groupingPath} in this thread; a second start would overwrite the first one's group in the gateway. ` +
        'Reuse the first NodeMetrics, shut it down first, or give the second node its own role, instance or replica index.',
    );
    this.groupingPath = groupingPath;
  }
}

/** `flush()` after `shutdown()`: the node pushed its final values and sends nothing more. */
export class NodeStoppedError extends PersiaMetricsError {
  constructor(call: string) {
    super(
      'PERSIA_NODE_STOPPED',
      `${call} after shutdown(): this node's metrics are stopped (the final push carried the last values) and nothing more is sent. ` +
        'Start a new node with startNodeMetrics() to push again.',
    );
  }
}

/** What was wrong with an extra source: its metrics() threw, did not settle in time, or returned text that is not exposition format. */
export type ExtraSourceProblem = 'threw' | 'timeout' | 'malformed';

/** An extra exposition source (`extraSources[index]`) was left out of a push; the node's other metrics went out without it. */
export class ExtraSourceError extends PersiaMetricsError {
  readonly sourceIndex: number;
  readonly problem: ExtraSourceProblem;

  constructor(sourceIndex: number, problem: ExtraSourceProblem, detail: string, cause?: unknown) {
    super('PERSIA_EXTRA_SOURCE', `extraSources[${sourceIndex}] ${detail}`, { cause });
    this.sourceIndex = sourceIndex;
    this.problem = problem;
  }
}

/**
 * `flush()` or `shutdown()` called from inside an extra source's `metrics()`: the push it would start waits
 * for that very call, so it could only end at the push timeout, over and over.
 */
export class ReentrantCallError extends PersiaMetricsError {
  constructor(call: string, sourceIndex: number) {
    super('PERSIA_REENTRANT_CALL', `${call} was called from inside extraSources[${sourceIndex}].metrics(), which the push it would start waits for; call it outside the source`);
  }
}

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

/** Message of any thrown value, with its cause's message where it has one (fetch hides ECONNREFUSED there). */
export function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.cause instanceof Error ? `${error.message} (cause: ${error.cause.message})` : error.message;
}

/**
 * Characters that steer a terminal instead of showing: C0 and C1 controls (ESC, CR, the 8-bit CSI), DEL,
 * and the bidirectional overrides that reorder what follows. Text from outside (a config value, a label a
 * pusher chose) goes through this before it reaches a terminal: `\r\e[1A\e[2K...` would repaint the line
 * above. Shown as `\r`, `\e[1A`, `\u009b`: what it is, in the spelling a terminal user knows.
 */
const STEERING = /[\p{Cc}\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;

const SHORT_ESCAPES: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\u001b': '\\e' };

/** Text from outside as something a terminal shows, never obeys. */
export function escapeControl(text: string): string {
  return text.replace(STEERING, (character) => SHORT_ESCAPES[character] ?? `\\u${(character.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`);
}

/** undici wraps the useful part (ECONNREFUSED, ENOTFOUND) in `cause`; surface it. */
function describeNetworkCause(error: Error): string {
  const inner = error.cause instanceof Error ? error.cause : undefined;
  const code = (inner as NodeJS.ErrnoException | undefined)?.code ?? (error as NodeJS.ErrnoException).code;
  const message = inner?.message ?? error.message;
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}
