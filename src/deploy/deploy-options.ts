/**
 * What a rendered deployment depends on: the job's monitoring policy (src/monitoring/options.ts) and where
 * its Prometheus sends samples. Everything the render functions produce is a pure function of these values,
 * so the files shipped in `compose/` and `config/` are simply the rendering for `DEFAULT_DEPLOY_OPTIONS`
 * (checked by test/unit/deploy-golden.test.ts).
 */
import { DeployUsageError } from '../errors.js';
import { type JobNameTarget, validateJobName } from '../monitoring/job-name.js';
import { checkMonitoringOptions, DEFAULT_MONITORING_OPTIONS, type MonitoringOptions } from '../monitoring/options.js';

export interface DeployOptions extends MonitoringOptions {
  /** A long-term store's Prometheus remote-write endpoint (VictoriaMetrics, Mimir, ...); none by default. */
  readonly remoteWriteUrl?: string | undefined;
}

export const DEFAULT_DEPLOY_OPTIONS: DeployOptions = DEFAULT_MONITORING_OPTIONS;

/** The job of the second-job overlay shipped in compose/ (an example of two jobs on one host). */
export const DEFAULT_SECOND_JOB_NAME = 'persia_demo_b';

/**
 * Options with defaults filled in and every value checked, the job name once, for the target it is rendered
 * for; throws DeployUsageError on a bad value.
 */
export function resolveDeployOptions(partial: Partial<DeployOptions> & { jobName: string }, target: JobNameTarget = 'compose'): DeployOptions {
  const options: DeployOptions = { ...DEFAULT_DEPLOY_OPTIONS, ...partial };
  validateJobName(options.jobName, target);
  checkMonitoringOptions(options);
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
