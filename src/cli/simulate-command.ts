/**
 * `persia-metrics simulate`: a demo cluster of node processes (one per trainer / middleware / server replica),
 * each recording realistic values through the real library and pushing to the configured gateway.
 * The parent only supervises: it forwards Ctrl-C (first: graceful, second: force) and prints progress.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { constants, hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { loadConfig } from '../config/resolve.js';
import { NODE_ROLES, type NodeRole } from '../metrics/catalog.js';
import { EXIT_CODES_HELP, EXIT_FAILURE, EXIT_OK, runAction } from './run-command.js';
import { collectSlowNode, MAX_RUN_SECONDS, parseCount, parseGatewayOption, parsePath, parseRunSeconds } from './option-parsers.js';
import type { NodeProgress } from './simulate-node-command.js';
import { MAX_SLOW_FACTOR, SLOW_NODE_FORMAT, SLOW_TRAINER_NOTE, slowFactorsByNode, type SlowNode } from '../simulate/slow-nodes.js';
import { DeployUsageError } from '../errors.js';

export interface SimulateFlags {
  config?: string;
  trainers: number;
  middleware: number;
  servers: number;
  duration?: number;
  gateway?: string;
  stepMs: number;
  uniqueHost?: boolean;
  quiet?: boolean;
  /** Stragglers: these nodes' time costs are `factor` times longer (src/simulate/slow-nodes.ts). */
  slow?: SlowNode[];
}

const MAIN_SCRIPT = fileURLToPath(new URL('./main.js', import.meta.url));

export function registerSimulateCommand(program: Command): void {
  program
    .command('simulate')
    .description("run a simulated training cluster: one node process per replica, pushing to the job's gateway")
    .option('-c, --config <file>', 'global_config.yaml to read (job name, interval, gateway)', parsePath)
    .option('--trainers <n>', 'trainer nodes', parseCount, 1)
    .option('--middleware <n>', 'middleware nodes', parseCount, 1)
    .option('--servers <n>', 'embedding server nodes', parseCount, 1)
    .option('--duration <seconds>', `stop gracefully after this long, at most ${MAX_RUN_SECONDS} (default: run until Ctrl-C)`, parseRunSeconds)
    .option('--gateway <host:port>', 'the gateway, over the file and PERSIA_METRICS_GATEWAY_ADDR', parseGatewayOption)
    .option('--step-ms <ms>', 'time between two simulated batches per node', parseCount, 20)
    .option(
      '--slow <spec>',
      `a straggler, repeatable: ${SLOW_NODE_FORMAT} (its time costs FACTOR times longer, its batches FACTOR times rarer; FACTOR at most ${MAX_SLOW_FACTOR})`,
      collectSlowNode,
    )
    .option('--unique-host', 'prefix instance labels with the hostname (several simulate containers of one job)')
    .option('-q, --quiet', 'no progress lines')
    .addHelpText(
      'after',
      `\nAt least one node (--trainers, --middleware or --servers above 0). A slow trainer is run, with a warning:\n${SLOW_TRAINER_NOTE}.\nCtrl-C once: every node pushes its final values and exits; twice: stop at once.${EXIT_CODES_HELP}`,
    )
    .action(runAction((flags: SimulateFlags) => simulateCluster(flags)));
}

/** Exit status of a process that ended on SIGTERM (128 + its number). */
const SIGTERM_STATUS = 128 + (constants.signals.SIGTERM ?? 15);

/**
 * The usage checks of a cluster, before anything starts (demo calls it before its servers): at least one
 * node, and every --slow node one that is simulated (a typo would run a job without the straggler asked for).
 * Returns the factor of each slow node by `role/instance`.
 */
export function checkCluster(flags: Pick<SimulateFlags, 'trainers' | 'middleware' | 'servers' | 'uniqueHost' | 'slow'>): Map<string, number> {
  if (flags.trainers + flags.middleware + flags.servers === 0) {
    throw new DeployUsageError('--trainers, --middleware and --servers are all 0: expected at least one node to simulate');
  }
  const counts: Record<NodeRole, number> = { trainer: flags.trainers, middleware: flags.middleware, server: flags.servers };
  const instances = (role: NodeRole): string[] => Array.from({ length: counts[role] }, (_, index) => instanceName(flags, index));
  return slowFactorsByNode(flags.slow ?? [], { trainer: instances('trainer'), middleware: instances('middleware'), server: instances('server') });
}

function instanceName(flags: Pick<SimulateFlags, 'uniqueHost'>, index: number): string {
  return `${flags.uniqueHost ? `${hostname()}_` : ''}rep_${index}`;
}

export async function simulateCluster(flags: SimulateFlags): Promise<number> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  const slowFactors = checkCluster(flags);
  // Fail here, once, with the config error, rather than in every child; the flag is a code option, the
  // highest layer, for this check and for every node (simulate-node --gateway).
  const config = loadConfig({ file: flags.config, env, options: flags.gateway === undefined ? {} : { gatewayAddr: flags.gateway } });
  const counts: Record<NodeRole, number> = { trainer: flags.trainers, middleware: flags.middleware, server: flags.servers };
  const children: { name: string; child: ChildProcess; progress?: NodeProgress }[] = [];
  const log = (message: string): void => {
    if (!flags.quiet) process.stderr.write(`simulate: ${message}\n`);
  };
  for (const node of slowFactors.keys()) {
    // Even under --quiet: the user asked for a straggler that no score will show.
    if (node.startsWith('trainer/')) process.stderr.write(`simulate: warning: --slow ${node}: ${SLOW_TRAINER_NOTE}\n`);
  }

  for (const role of NODE_ROLES) {
    for (let index = 0; index < counts[role]; index += 1) {
      const instance = instanceName(flags, index);
      const args = ['simulate-node', '--role', role, '--step-ms', String(flags.stepMs)];
      const slowFactor = slowFactors.get(`${role}/${instance}`);
      if (slowFactor !== undefined) args.push('--slow-factor', String(slowFactor));
      if (flags.config !== undefined) args.push('--config', flags.config);
      if (flags.gateway !== undefined) args.push('--gateway', flags.gateway);
      const child = fork(MAIN_SCRIPT, args, {
        env: { ...env, REPLICA_INDEX: String(index), REPLICA_SIZE: String(counts[role]), PERSIA_METRICS_INSTANCE: instance, PERSIA_NODE_ROLE: role },
        // Own process group: a terminal Ctrl-C reaches only this supervisor, which then stops the nodes once.
        detached: true,
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      const entry: (typeof children)[number] = { name: `${role}/${instance}`, child };
      child.on('message', (message) => {
        entry.progress = message as NodeProgress;
      });
      children.push(entry);
    }
  }
  log(
    `${children.length} node${children.length === 1 ? '' : 's'} of job "${config.options.jobName}" pushing to ${config.options.gatewayAddr} every ${config.options.pushIntervalSeconds} s`,
  );
  for (const [node, factor] of slowFactors) log(`${node} runs ${factor} times slower (--slow)`);

  // A node that the stop's SIGTERM reached before it had installed its handler (a loaded machine, a short
  // --duration) is ended by the signal itself: that is the stop asked for too, reported as 128 + 15.
  const exited = children.map(({ child }) => new Promise<number>((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal === 'SIGTERM' ? SIGTERM_STATUS : 1)))));
  let stopRequests = 0;
  const stop = (reason: string): void => {
    stopRequests += 1;
    const signal = stopRequests === 1 ? 'SIGTERM' : 'SIGKILL';
    log(stopRequests === 1 ? `${reason}: stopping nodes gracefully (final push); again to force` : `${reason}: forcing nodes to stop`);
    for (const { child } of children) if (child.exitCode === null) child.kill(signal);
  };
  const onSignal = (signal: NodeJS.Signals): void => stop(signal);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const durationTimer = flags.duration === undefined ? undefined : setTimeout(() => stop(`${flags.duration} s elapsed`), flags.duration * 1000);
  const progressTimer = setInterval(() => log(progressLine(children.map((entry) => entry.progress))), 5000);
  progressTimer.unref();

  const codes = await Promise.all(exited);
  clearTimeout(durationTimer);
  clearInterval(progressTimer);
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  log(`all nodes stopped. ${progressLine(children.map((entry) => entry.progress))}`);
  // A node told to stop by SIGTERM may end with 0 or, as handleShutdownSignals does when it is the only
  // listener (src/shutdown-signals.ts), with 128 + 15: both are the graceful stop asked for.
  const clean = (code: number | undefined): boolean => code === 0 || (stopRequests > 0 && code === SIGTERM_STATUS);
  const failed = children.filter((_, index) => !clean(codes[index])).map((entry) => entry.name);
  if (failed.length > 0 && stopRequests < 2) {
    log(`nodes that did not stop cleanly: ${failed.join(', ')}`);
    return EXIT_FAILURE;
  }
  // A run whose every push failed delivered nothing: say so even under --quiet, and fail.
  const reports = children.map((entry) => entry.progress).filter((entry): entry is NodeProgress => entry !== undefined);
  const failures = reports.reduce((sum, entry) => sum + entry.failures, 0);
  if (failures > 0 && reports.every((entry) => entry.pushes === 0)) {
    const lastError = reports.find((entry) => entry.lastError !== undefined)?.lastError;
    process.stderr.write(
      `simulate: error: no push reached the gateway ${config.options.gatewayAddr} (${failures} failed${lastError === undefined ? '' : `, last: ${lastError}`}); is it running?\n`,
    );
    return EXIT_FAILURE;
  }
  return EXIT_OK;
}

function progressLine(progress: readonly (NodeProgress | undefined)[]): string {
  const reporting = progress.filter((entry): entry is NodeProgress => entry !== undefined);
  const pushes = reporting.reduce((sum, entry) => sum + entry.pushes, 0);
  const failures = reporting.reduce((sum, entry) => sum + entry.failures, 0);
  const steps = reporting.reduce((sum, entry) => sum + entry.steps, 0);
  const failing = reporting.filter((entry) => entry.lastError !== undefined).length;
  return `${reporting.length}/${progress.length} nodes up, ${steps} batches, ${pushes} pushes ok, ${failures} failed${failing ? ` (${failing} node${failing === 1 ? '' : 's'} failing)` : ''}`;
}
