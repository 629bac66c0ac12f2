/**
 * A job on the real servers with the rules as rendered for its pace, for the tests that watch rules fire:
 * its global_config.yaml (pushes and timeouts at the options' interval), the alert and recording rule files
 * rendered from the options, a Pushgateway, a Prometheus scraping it every second with those rules, and the
 * built CLI's `simulate` started on demand with that config and gateway. Needs `npm run build` first.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DeployOptions } from '../../src/deploy/deploy-options.js';
import { renderAlertRules, renderRecordingRules } from '../../src/deploy/prometheus/rule-files.js';
import { spawnManaged, type ManagedProcess } from '../../src/local-stack/managed-process.js';
import { startPrometheus, type RunningPrometheus, type StartPrometheusOptions } from '../../src/local-stack/prometheus-process.js';
import { startPushgateway, type RunningPushgateway } from '../../src/local-stack/pushgateway-process.js';
import { CLI_MAIN } from './cli-runner.js';

export interface RulesJob {
  readonly dir: string;
  /** The job's global_config.yaml. */
  readonly config: string;
  readonly gateway: RunningPushgateway;
  readonly prometheus: RunningPrometheus;
  /** `persia-metrics simulate --config … --gateway … ARGS --quiet` (built CLI), stopped by stop(). */
  simulate(args: readonly string[]): ManagedProcess;
  /** Stops what simulate() started, then Prometheus and the gateway, and removes the directory. */
  stop(): Promise<void>;
}

export interface RulesJobSetup {
  /** How Prometheus scrapes the gateway (default: the gateway as its one target); the interval is always 1 s. */
  readonly scrape?: (gateway: RunningPushgateway, dir: string) => StartPrometheusOptions;
  /** The rule files, written into the job's directory (default: rendered from the options here). */
  readonly rules?: (dir: string) => Promise<readonly string[]>;
  readonly gatewayArgs?: readonly string[];
}

/** Starts the job's servers. */
export async function startRulesJob(dirPrefix: string, options: DeployOptions, setup: RulesJobSetup = {}): Promise<RulesJob> {
  const dir = mkdtempSync(join(tmpdir(), dirPrefix));
  const config = join(dir, 'global_config.yaml');
  const seconds = options.pushIntervalSeconds;
  writeFileSync(config, `PersiaMetricsConfig:\n  job_name: ${options.jobName}\n  push_interval_seconds: ${seconds}\n  push_timeout_seconds: ${seconds}\n`);
  const ruleFiles = await (setup.rules ?? renderRules(options))(dir);
  const gateway = await startPushgateway({ extraArgs: [...(setup.gatewayArgs ?? [])] });
  const scrape = setup.scrape ?? ((started) => ({ scrapeTargets: [started.address] }));
  let prometheus: RunningPrometheus;
  try {
    prometheus = await startPrometheus({ ...scrape(gateway, dir), scrapeIntervalSeconds: 1, ruleFiles: [...ruleFiles] });
  } catch (error) {
    await gateway.stop();
    throw error;
  }
  const started: ManagedProcess[] = [];
  return {
    dir,
    config,
    gateway,
    prometheus,
    simulate(args) {
      const simulate = spawnManaged('simulate', process.execPath, [CLI_MAIN, 'simulate', '--config', config, '--gateway', gateway.address, ...args, '--quiet']);
      started.push(simulate);
      return simulate;
    },
    async stop() {
      for (const simulate of started) await simulate.stop(5000);
      await prometheus.stop();
      await gateway.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The alert and recording rules as rendered for these options. */
function renderRules(options: DeployOptions): (dir: string) => Promise<readonly string[]> {
  return async (dir) => {
    const alerts = join(dir, 'persia-alerts.yml');
    const recording = join(dir, 'persia-recording.yml');
    writeFileSync(alerts, renderAlertRules(options));
    writeFileSync(recording, renderRecordingRules());
    return [alerts, recording];
  };
}
