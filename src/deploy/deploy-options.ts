/**
 * What a rendered deployment depends on: the job's name and a few thresholds. Everything the render
 * functions produce is a pure function of these values, so the files shipped in `compose/` and `config/`
 * are simply the rendering for `DEFAULT_DEPLOY_OPTIONS` (checked by test/unit/deploy-golden.test.ts).
 */
import { OPTION_BY_KEY, expectedValue } from '../config/options.js';
import { DeployUsageError } from '../errors.js';

export interface DeployOptions {
  /** The `job` label of every node's series and the name in the gateway's `persia.metrics.job` label. */
  readonly jobName: string;
  /** Seconds between two pushes of one node (global_config.yaml `push_interval_seconds`). @default 10 */
  readonly pushIntervalSeconds: number;
  /** A node is stale after this many missed push intervals. @default 6 */
  readonly staleAfterIntervals: number;
  /** Alert when a server's `index_miss_ratio` stays above this (0-1). @default 0.3 */
  readonly indexMissRatioThreshold: number;
  /** Alert when a trainer's `staleness` stays above this many batches. @default 10 */
  readonly stalenessThreshold: number;
  /** PersiaStragglerNode: a node this many times slower than its role's typical node (above 1). @default 2 */
  readonly stragglerThreshold: number;
  /** ...for this many whole seconds (the alert's `for`). @default 600 */
  readonly stragglerForSeconds: number;
  /** A long-term store's Prometheus remote-write endpoint (VictoriaMetrics, Mimir, ...); none by default. */
  readonly remoteWriteUrl?: string | undefined;
}

export const DEFAULT_DEPLOY_OPTIONS: DeployOptions = Object.freeze({
  jobName: 'persia_demo',
  pushIntervalSeconds: 10,
  staleAfterIntervals: 6,
  indexMissRatioThreshold: 0.3,
  stalenessThreshold: 10,
  stragglerThreshold: 2,
  stragglerForSeconds: 600,
});

/** The job of the second-job overlay shipped in compose/ (an example of two jobs on one host). */
export const DEFAULT_SECOND_JOB_NAME = 'persia_demo_b';

/**
 * The deployment's refinement of the node's job-name rule (the option table's `job_name`): a rendered
 * deployment puts the name in compose labels, file names (`gateway-<job>.json`) and, via `serviceSuffix`, in
 * container DNS names, so only a conservative alphabet is accepted. PersiaML's own example `dlrm_v1.0` fits.
 */
const DEPLOYABLE_JOB_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

/** A value that passes the option table's schema for `key`, or a DeployUsageError saying what it expects. */
function checkedOption(key: string, value: unknown, what: string): void {
  const spec = OPTION_BY_KEY.get(key);
  const parsed = spec?.schema.safeParse(value);
  if (spec === undefined || parsed === undefined || parsed.success) return;
  throw new DeployUsageError(`${what} ${JSON.stringify(value)} is not a valid ${key} (expected ${expectedValue(spec, parsed.error)}; see \`persia-metrics explain\`)`);
}

export function validateJobName(jobName: string): string {
  checkedOption('job_name', jobName, 'job name'); // the node's own rule first: one rule, refined below
  if (!DEPLOYABLE_JOB_NAME.test(jobName)) {
    throw new DeployUsageError(
      `job name "${jobName}" is a valid job_name for a node, but a deployment also uses it in container and file names: ` +
        'use 1-63 letters, digits, "_", "." or "-", starting with a letter or digit (e.g. dlrm_v1.0)',
    );
  }
  return jobName;
}

/** Options with defaults filled in and every value checked; throws DeployUsageError on a bad value. */
export function resolveDeployOptions(partial: Partial<DeployOptions> & { jobName: string }): DeployOptions {
  const options: DeployOptions = { ...DEFAULT_DEPLOY_OPTIONS, ...partial };
  validateJobName(options.jobName);
  checkedOption('push_interval_seconds', options.pushIntervalSeconds, 'push interval');
  const positive: Array<[string, number]> = [
    ['stale-after intervals', options.staleAfterIntervals],
    ['staleness threshold', options.stalenessThreshold],
  ];
  for (const [what, value] of positive) {
    if (!Number.isFinite(value) || value <= 0) throw new DeployUsageError(`${what} must be a positive number, got ${value}`);
  }
  if (!(options.indexMissRatioThreshold > 0 && options.indexMissRatioThreshold < 1)) {
    throw new DeployUsageError(`index miss ratio threshold must be between 0 and 1, got ${options.indexMissRatioThreshold}`);
  }
  // A score is a node's time over its role's typical node's: at or below 1 every node would be a straggler.
  if (!(Number.isFinite(options.stragglerThreshold) && options.stragglerThreshold > 1)) {
    throw new DeployUsageError(`straggler threshold must be a number above 1 (times slower than a typical node of the role), got ${options.stragglerThreshold}`);
  }
  // Prometheus durations take whole numbers only.
  if (!(Number.isSafeInteger(options.stragglerForSeconds) && options.stragglerForSeconds > 0)) {
    throw new DeployUsageError(`straggler duration must be a positive whole number of seconds, got ${options.stragglerForSeconds}`);
  }
  if (options.remoteWriteUrl !== undefined) validateRemoteWriteUrl(options.remoteWriteUrl);
  return Object.freeze(options);
}

/**
 * How Prometheus' URL parser (Go's net/url) must be able to read the text: `http(s)://`, a host with an optional
 * port, a path. The WHATWG parser behind `new URL` repairs what Go keeps literally (`http:vm:8428/x`,
 * `http:/vm/x`, `http:///vm/x` and backslashes all become `http://vm...`), and Prometheus then posts to a URL
 * without a host ("http: no Host in request URL"), so the text itself is checked first.
 */
const LITERAL_HTTP_URL = /^https?:\/\/[^/?#@%\\]+(\/[^#\\]*)?$/i;
/** A `%` not starting an escape of two hex digits: promtool refuses the whole file ("invalid URL escape"). */
const BAD_PERCENT_ESCAPE = /%(?![0-9A-Fa-f]{2})/;

/**
 * The `remote_write` URL goes into prometheus.yml as it was given, so it must be a plain http(s) URL that Go
 * reads as it is written. Credentials are refused: prometheus.yml is usually committed, and Prometheus takes
 * them from `basic_auth` / `authorization`.
 */
export function validateRemoteWriteUrl(text: string): string {
  const expected = 'expected an http:// or https:// URL such as http://victoria-metrics:8428/api/v1/write';
  const refuse = (problem: string): never => {
    throw new DeployUsageError(`--remote-write-url ${JSON.stringify(text)} ${problem}: ${expected}`);
  };
  if (/[\s\p{Cc}]/u.test(text)) refuse('contains a space or control character');
  if (!/^https?:/i.test(text)) refuse('is not an http(s) URL');
  if (text.includes('\\')) refuse('contains a backslash, which Prometheus keeps literally');
  if (!/^https?:\/\//i.test(text)) refuse('does not start with http:// or https:// exactly (Prometheus would find no host in it)');
  if (/^https?:\/\/\//i.test(text)) refuse('has no host between // and the path (Prometheus would find no host in it)');
  const escape = BAD_PERCENT_ESCAPE.exec(text);
  if (escape !== null) refuse(`has an invalid percent-escape "${text.slice(escape.index, escape.index + 3)}" (promtool refuses it; write a literal % as %25)`);
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (url === undefined || url.hostname === '') refuse('has no usable host or port');
  const parsed = url as URL;
  if (
    parsed.username !== '' ||
    parsed.password !== '' ||
    text
      .slice(text.indexOf('//') + 2)
      .split('/')[0]
      ?.includes('@')
  ) {
    throw new DeployUsageError(
      '--remote-write-url must not carry credentials (they would be written to prometheus.yml in plain text): ' +
        'give the URL without them and add basic_auth or authorization to the remote_write entry',
    );
  }
  if (text.includes('#')) refuse('has a #fragment, which HTTP never sends');
  if (!LITERAL_HTTP_URL.test(text)) refuse('is not of the form http(s)://host[:port]/path');
  // VictoriaMetrics answers 400 on "/", and every long-term store has its own write path.
  if (parsed.pathname === '/' && parsed.search === '') {
    refuse('has no path (VictoriaMetrics answers 400 "unsupported path" on /; add the write path, e.g. /api/v1/write, Mimir /api/v1/push)');
  }
  return text;
}

/** Seconds without a push after which a node counts as stale. */
export function staleAfterSeconds(options: DeployOptions): number {
  return options.pushIntervalSeconds * options.staleAfterIntervals;
}

/** `for:` of the stale-node alert PersiaNodeStoppedPushing (alert-rules.ts; test/unit/group-expiry.test.ts keeps them equal). */
export const STALE_ALERT_FOR_SECONDS = 60;

/**
 * `persia-metrics expire` keeps a group that publishes its push interval until it missed this many of its
 * own pushes, whatever `--after` says: twice the stale alert's count, so a slow node is never deleted
 * between two of its pushes and the alert, pending after half as many, has its `for:` to fire first.
 */
export function expireMissedPushes(options: DeployOptions): number {
  return 2 * options.staleAfterIntervals;
}

/**
 * The `--after` to give `expire` (README; the compose janitor's): the stale threshold, the alert's `for:`,
 * then 3 minutes for scrapes and rule evaluations (15 s each, prometheus-config.ts) and Alertmanager's
 * group_wait (30 s by default) to notify someone before the group goes; whole minutes, 5m for the defaults.
 */
export function recommendedExpireAfterSeconds(options: DeployOptions): number {
  return Math.ceil((staleAfterSeconds(options) + STALE_ALERT_FOR_SECONDS + 180) / 60) * 60;
}

/**
 * Suffix that turns a job name into a compose service / DNS name part: dots would make the service name
 * look like a sub-domain to the container resolver, so they become underscores.
 */
export function serviceSuffix(jobName: string): string {
  return jobName.toLowerCase().replace(/[^a-z0-9_-]/g, '_');
}
