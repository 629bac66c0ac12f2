/**
 * One declarative table of every configuration option. It drives validation (file, env and code values go
 * through the same zod schema), environment overrides, the effective-config printout of `check` and the
 * `explain` table, so an option documented anywhere is the option the code reads.
 */
import { z } from 'zod';
import { NODE_ROLE_TUPLE, NODE_ROLES } from './node-roles.js';
import { parseGatewayList, type GatewayList } from '../gateway/address.js';

export type ValueSource = 'default' | 'file' | 'env' | 'options';

export interface OptionSpec<P extends string = string, S extends z.ZodType = z.ZodType> {
  /** Key in the YAML section (snake_case, as PersiaML spells its keys). */
  readonly key: string;
  /** Property in code (camelCase, units in the name). */
  readonly property: P;
  /** Human-readable type for `explain` and error messages. */
  readonly type: string;
  /** As a user would write it (file, environment or code): it goes through the schema like any other layer. */
  readonly default: z.input<S> | undefined;
  readonly env?: string;
  /** false: a per-node value (role, replica index) that must not be set in the job-wide file. */
  readonly inFile: boolean;
  /** Secrets are never printed: `check`, logs and errors show them redacted. */
  readonly secret?: boolean;
  readonly help: string;
  readonly schema: S;
}

/**
 * Series per family before new label sets fold into an overflow series (src/metrics/series-limit.ts). As
 * OpenTelemetry's 2,000 attribute sets, so a user moving over meets the same bound; a per-feature family
 * of the catalog fits a model of up to 2,000 sparse features.
 */
export const DEFAULT_MAX_SERIES_PER_FAMILY = 2_000;

/** The shortest push interval a node takes: 50 ms. */
export const MIN_PUSH_INTERVAL_SECONDS = 0.05;

const nonEmptyString = z.string().trim().min(1, 'not empty or blank');
const seconds = (max: number) => z.number().finite().positive().max(max);

/** gateway_addr as the pipeline uses it: the text as given (what `check` shows) and the list parsed from it. */
export interface ParsedGatewayList extends GatewayList {
  readonly text: string;
}

// The only parse of a gateway list: each layer's text is parsed once here, and loadConfig keeps the winner's.
const gatewayList = z.string().transform((text, ctx): ParsedGatewayList => {
  const { addresses, repeated, error } = parseGatewayList(text);
  if (addresses === undefined || repeated === undefined) {
    ctx.addIssue({ code: 'custom', message: error ?? 'an invalid address' });
    return z.NEVER;
  }
  return { text, addresses, repeated };
});

/** An entry whose value type is its schema's output (the default is checked against it). */
function option<const P extends string, S extends z.ZodType>(spec: OptionSpec<P, S>): OptionSpec<P, S> {
  return spec;
}

const OPTION_SPECS = [
  option({
    key: 'enable_metrics', property: 'enableMetrics', type: 'boolean', default: true, env: 'PERSIA_METRICS_ENABLED', inFile: true,
    help: 'Record and push metrics. false: no network traffic at all, recording stays a no-op-cheap call.',
    schema: z.boolean(),
  }),
  option({
    key: 'job_name', property: 'jobName', type: 'string', default: 'persia_default_jobname', env: 'PERSIA_METRICS_JOB_NAME', inFile: true,
    help: 'Name of the training job: the `job` label of every series, so jobs never mix (e.g. dlrm_v1.0).',
    schema: nonEmptyString,
  }),
  option({
    key: 'push_interval_seconds', property: 'pushIntervalSeconds', type: 'number (s)', default: 10, env: 'PERSIA_METRICS_PUSH_INTERVAL_SECONDS', inFile: true,
    help: 'Seconds between two pushes of a node\'s metrics. Stale-node alerts fire after a few missed intervals.',
    schema: seconds(86_400).min(MIN_PUSH_INTERVAL_SECONDS),
  }),
  option({
    key: 'gateway_addr', property: 'gatewayAddr', type: 'host:port[,host:port...]', default: 'metrics_gateway:9091', env: 'PERSIA_METRICS_GATEWAY_ADDR', inFile: true,
    help: 'The job\'s Pushgateway (host:port, optionally http:// or https://). Several, comma-separated: replicas, each node picks one.',
    schema: gatewayList,
  }),
  option({
    key: 'push_timeout_seconds', property: 'pushTimeoutSeconds', type: 'number (s)', default: 5, env: 'PERSIA_METRICS_PUSH_TIMEOUT_SECONDS', inFile: true,
    help: 'Give up one push request after this long (connect + answer). PersiaML uses a fixed 10 s.',
    schema: seconds(600),
  }),
  option({
    key: 'gzip', property: 'gzip', type: 'boolean', default: false, env: 'PERSIA_METRICS_GZIP', inFile: true,
    help: 'Send push bodies gzip-compressed (Content-Encoding: gzip): ~10x less traffic, a little CPU off the event loop.',
    schema: z.boolean(),
  }),
  option({
    key: 'push_format', property: 'pushFormat', type: 'protobuf | text', default: 'protobuf', env: 'PERSIA_METRICS_PUSH_FORMAT', inFile: true,
    help: 'Body format of a push: protobuf (delimited, as client_golang sends; half the bytes and of the gateway\'s parse time) or text. Same series in the gateway either way; a node with extra text sources pushes text.',
    schema: z.enum(['protobuf', 'text']),
  }),
  option({
    key: 'delete_on_shutdown', property: 'deleteOnShutdown', type: 'boolean', default: false, env: 'PERSIA_METRICS_DELETE_ON_SHUTDOWN', inFile: true,
    help: 'On shutdown, after the final push, DELETE the node\'s group from the gateway (no stale series of a finished node).',
    schema: z.boolean(),
  }),
  option({
    key: 'shutdown_timeout_seconds', property: 'shutdownTimeoutSeconds', type: 'number (s)', default: 5, env: 'PERSIA_METRICS_SHUTDOWN_TIMEOUT_SECONDS', inFile: true,
    help: 'Deadline for shutdown(): final push (retried within it) and delete must finish by then, or shutdown gives up and reports it.',
    schema: seconds(600),
  }),
  option({
    key: 'push_retries', property: 'pushRetries', type: 'integer', default: 2, env: 'PERSIA_METRICS_PUSH_RETRIES', inFile: true,
    help: 'Retries of a failed push within one interval (capped exponential backoff with jitter; never past the next interval); 0 also keeps shutdown from retrying its final push.',
    schema: z.number().int().min(0).max(10),
  }),
  option({
    key: 'collect_runtime_metrics', property: 'collectRuntimeMetrics', type: 'boolean', default: true, env: 'PERSIA_METRICS_RUNTIME', inFile: true,
    help: 'Publish the node process\'s CPU, memory and event-loop delay as persia_node_* series.',
    schema: z.boolean(),
  }),
  option({
    key: 'max_series_per_family', property: 'maxSeriesPerFamily', type: 'integer', default: DEFAULT_MAX_SERIES_PER_FAMILY, env: 'PERSIA_METRICS_MAX_SERIES_PER_FAMILY', inFile: true,
    help: 'Series one family keeps per node. Past it, a new label set keeps its other labels and records under "__overflow__" in the label with the most values: totals stay exact, counted in persia_metrics_overflow_bindings_total, warned once.',
    schema: z.number().int().min(1).max(10_000_000),
  }),
  option({
    key: 'drop_idle_series_seconds', property: 'dropIdleSeriesSeconds', type: 'number (s)', default: undefined, env: 'PERSIA_METRICS_DROP_IDLE_SERIES_SECONDS', inFile: true,
    help: 'Opt-in: forget a labelled series whose value has not changed for this long (it leaves the gateway at the next push; bound again, a counter restarts at 0). Unset: series are kept for the life of the process.',
    schema: seconds(31_536_000).optional(),
  }),
  option({
    key: 'role', property: 'role', type: NODE_ROLES.join(' | '), default: 'trainer', env: 'PERSIA_NODE_ROLE', inFile: false,
    help: 'This node\'s role: the `role` label. Per node, so set by code or environment, not in the job-wide file.',
    schema: z.enum(NODE_ROLE_TUPLE),
  }),
  option({
    key: 'replica_index', property: 'replicaIndex', type: 'integer', default: undefined, env: 'REPLICA_INDEX', inFile: false,
    help: 'This node\'s index among the replicas of its role (PersiaML\'s REPLICA_INDEX); gives instance "rep_<index>".',
    schema: z.number().int().min(0).max(1_000_000).optional(),
  }),
  option({
    key: 'replica_size', property: 'replicaSize', type: 'integer', default: undefined, env: 'REPLICA_SIZE', inFile: false,
    help: 'Number of replicas of this node\'s role (PersiaML\'s REPLICA_SIZE); replica_index must be below it.',
    schema: z.number().int().min(1).max(1_000_000).optional(),
  }),
  option({
    key: 'instance', property: 'instance', type: 'string', default: undefined, env: 'PERSIA_METRICS_INSTANCE', inFile: false,
    help: 'The `instance` label, unique per node within a role. Default: rep_<replica_index>, else <hostname>_<pid>.',
    schema: nonEmptyString.optional(),
  }),
  // Credentials for a gateway behind --web.config.file. Secrets never come from global_config.yaml (a
  // file every node and every reader of the job's repo shares): environment, a file path, or code.
  option({
    key: 'basic_auth_username', property: 'basicAuthUsername', type: 'string', default: undefined, env: 'PERSIA_METRICS_BASIC_AUTH_USERNAME', inFile: false,
    help: 'User for HTTP basic auth to the gateway; the password comes from basic_auth_password(_file).',
    schema: nonEmptyString.optional(),
  }),
  option({
    key: 'basic_auth_password', property: 'basicAuthPassword', type: 'string', default: undefined, env: 'PERSIA_METRICS_BASIC_AUTH_PASSWORD', inFile: false, secret: true,
    help: 'Password for basic auth (secret: environment or code only, never printed).',
    schema: z.string().min(1, 'not empty').optional(),
  }),
  option({
    key: 'basic_auth_password_file', property: 'basicAuthPasswordFile', type: 'path', default: undefined, env: 'PERSIA_METRICS_BASIC_AUTH_PASSWORD_FILE', inFile: true,
    help: 'File holding the basic-auth password (e.g. a mounted secret); read at start, trailing newline ignored.',
    schema: nonEmptyString.optional(),
  }),
  option({
    key: 'bearer_token', property: 'bearerToken', type: 'string', default: undefined, env: 'PERSIA_METRICS_BEARER_TOKEN', inFile: false, secret: true,
    help: 'Bearer token sent as Authorization to the gateway (secret: environment or code only, never printed).',
    schema: z.string().min(1, 'not empty').optional(),
  }),
  option({
    key: 'bearer_token_file', property: 'bearerTokenFile', type: 'path', default: undefined, env: 'PERSIA_METRICS_BEARER_TOKEN_FILE', inFile: true,
    help: 'File holding the bearer token; read at start, trailing newline ignored.',
    schema: nonEmptyString.optional(),
  }),
  option({
    key: 'tls_ca_file', property: 'tlsCaFile', type: 'path', default: undefined, env: 'PERSIA_METRICS_TLS_CA_FILE', inFile: true,
    help: 'PEM file of the CA that signed an https:// gateway\'s certificate (default: the system\'s CAs).',
    schema: nonEmptyString.optional(),
  }),
] as const;

/**
 * Every option as code gives it: each entry's camelCase property with the type its schema accepts. Derived
 * from the table, so a property and its validation can never disagree, and there is nothing to keep in step.
 * Every option's schema gives back a value of that type, except gateway_addr's, which parses its text (see
 * ParsedOptions; loadConfig keeps the text here for display and the parsed list beside it).
 */
export type MetricsOptions = {
  -readonly [Spec in (typeof OPTION_SPECS)[number] as Spec['property']]: z.input<Spec['schema']>;
};

/** Every option as its schema gives it back: gatewayAddr parsed. */
export type ParsedOptions = {
  -readonly [Spec in (typeof OPTION_SPECS)[number] as Spec['property']]: z.output<Spec['schema']>;
};

export const OPTION_TABLE: readonly OptionSpec<keyof MetricsOptions>[] = OPTION_SPECS;

export const OPTION_BY_KEY: ReadonlyMap<string, OptionSpec> = new Map(OPTION_TABLE.map((spec) => [spec.key, spec]));

/**
 * What a value of `spec` must be, in the words an error shows after "expected": the option's type, plus the
 * rule the value broke when it had the right type but not the right form ("number (s), at least 0.05").
 */
export function expectedValue(spec: OptionSpec, error: z.ZodError): string {
  const issue = error.issues[0];
  if (issue === undefined || issue.code === 'invalid_type') return spec.type;
  if (issue.code === 'too_small' && issue.origin === 'number') return `${spec.type}, ${issue.inclusive === true ? 'at least' : 'above'} ${String(issue.minimum)}`;
  if (issue.code === 'too_big' && issue.origin === 'number') return `${spec.type}, ${issue.inclusive === true ? 'at most' : 'below'} ${String(issue.maximum)}`;
  // A value outside an enum: its type already lists every value (`trainer | middleware | server`).
  if (issue.code === 'invalid_value') return spec.type;
  return `${spec.type} (${issue.message.replace(/^Invalid input: /, '')})`;
}
