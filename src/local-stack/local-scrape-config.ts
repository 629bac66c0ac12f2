import { resolve } from 'node:path';

export interface PrometheusConfigOptions {
  /** `host:port` of each target of the helper's own scrape job ("pushgateway"), e.g. `[gateway.address]`. Default: none. */
  scrapeTargets?: string[];
  /** Global scrape and rule evaluation interval; default 1 so tests see data within seconds. */
  scrapeIntervalSeconds?: number;
  /** `honor_labels` of the helper's job; default true, as every Pushgateway scrape must use. */
  honorLabels?: boolean;
  /**
   * More scrape configs, as YAML sequence items (`- job_name: ...`) at any common indentation; they
   * are appended to `scrape_configs`.
   */
  extraScrapeConfigsYaml?: string;
  /** Rule files; relative paths are resolved against the cwd (Prometheus would use the temp dir). */
  ruleFiles?: string[];
  /** A Prometheus remote-write endpoint (a long-term store such as VictoriaMetrics' `/api/v1/write`). */
  remoteWriteUrl?: string;
}

/** Job name of the helper's own scrape config, for `{job="..."}` when honor_labels is off. */
export const HELPER_SCRAPE_JOB = 'pushgateway';

/**
 * Renders the prometheus.yml of a local Prometheus started by the demo or a test (not the deployable one:
 * src/deploy/prometheus/prometheus-config.ts renders that). Scalars are written with JSON.stringify: JSON strings are valid YAML
 * flow scalars, so no YAML library and no quoting mistakes.
 */
export function renderLocalScrapeConfig(opts: PrometheusConfigOptions = {}): string {
  checkOptions(opts);
  const scrapeTargets = opts.scrapeTargets ?? [];
  const interval = `${opts.scrapeIntervalSeconds ?? 1}s`;
  const lines = [
    'global:',
    `  scrape_interval: ${interval}`,
    // Explicit: the 10 s default timeout would exceed a short interval and be rejected.
    `  scrape_timeout: ${interval}`,
    `  evaluation_interval: ${interval}`,
  ];
  if (opts.ruleFiles !== undefined && opts.ruleFiles.length > 0) {
    lines.push('rule_files:', ...opts.ruleFiles.map((file) => `  - ${JSON.stringify(resolve(file))}`));
  }
  lines.push('scrape_configs:');
  if (scrapeTargets.length > 0) {
    lines.push(
      `  - job_name: ${JSON.stringify(HELPER_SCRAPE_JOB)}`,
      `    honor_labels: ${String(opts.honorLabels ?? true)}`,
      '    static_configs:',
      `      - targets: ${JSON.stringify(scrapeTargets)}`,
    );
  }
  if (opts.extraScrapeConfigsYaml !== undefined) {
    lines.push(...indentBlock(opts.extraScrapeConfigsYaml, '  '));
  }
  if (lines.at(-1) === 'scrape_configs:') lines.push('  []');
  if (opts.remoteWriteUrl !== undefined) {
    // Batches leave after 1 s at most (default 5 s), in step with the 1 s scrapes of a test.
    lines.push('remote_write:', `  - url: ${JSON.stringify(opts.remoteWriteUrl)}`, '    queue_config:', '      batch_send_deadline: 1s');
  }
  return `${lines.join('\n')}\n`;
}

/** Strips the block's common indentation (template literals in tests are indented) and re-indents it. */
function indentBlock(yaml: string, indent: string): string[] {
  const lines = yaml.replace(/\t/g, '  ').split('\n');
  while (lines.length > 0 && lines[0]?.trim() === '') lines.shift();
  while (lines.length > 0 && lines.at(-1)?.trim() === '') lines.pop();
  const common = Math.min(...lines.filter((line) => line.trim() !== '').map((line) => line.length - line.trimStart().length));
  return lines.map((line) => (line.trim() === '' ? '' : indent + line.slice(common)));
}

const HOST_PORT = /^[^\s/:]+:\d{1,5}$|^\[[0-9a-fA-F:.]+\]:\d{1,5}$/;

/**
 * `startPrometheus` is exported by persia-metrics/local-stack, so also called from plain JavaScript: a
 * missing or mistyped option must be an error that says so, not a Prometheus that never becomes ready
 * (found by a new-user session).
 */
function checkOptions(opts: PrometheusConfigOptions): void {
  const targets: unknown = opts.scrapeTargets;
  if (targets !== undefined && (!Array.isArray(targets) || !targets.every((target) => typeof target === 'string' && HOST_PORT.test(target)))) {
    throw new TypeError(`startPrometheus: scrapeTargets must be an array of "host:port" strings (e.g. [gateway.address]), got ${JSON.stringify(targets)}`);
  }
  const interval: unknown = opts.scrapeIntervalSeconds;
  if (interval !== undefined && (typeof interval !== 'number' || !Number.isFinite(interval) || interval <= 0)) {
    throw new TypeError(
      `startPrometheus: scrapeIntervalSeconds must be a positive number of seconds, got ${typeof interval === 'number' ? String(interval) : JSON.stringify(interval)}`,
    );
  }
}
