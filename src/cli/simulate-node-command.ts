/**
 * `persia-metrics simulate-node`: one simulated node (the unit `simulate` forks, and what a container runs).
 * It records a batch every --step-ms, pushes through the library, reports progress to a parent over IPC,
 * and shuts down gracefully on SIGINT/SIGTERM or when its parent goes away.
 */
import type { Command } from 'commander';
import { loadConfig } from '../config/resolve.js';
import { NODE_ROLES, type NodeRole } from '../metrics/catalog.js';
import { startNodeMetrics } from '../node-metrics.js';
import { handleShutdownSignals } from '../shutdown-signals.js';
import { PERSIAML_ROLES, type PersiamlRole, startPersiamlNode } from '../simulate/persiaml-node.js';
import { MAX_SLOW_FACTOR } from '../simulate/slow-nodes.js';
import { createWorkload } from '../simulate/workload.js';
import type { NodeProgress } from '../simulate/cluster.js';
import { runAction } from './kit/action.js';
import type { CommandContext } from './kit/context.js';
import { choiceFlag, MAX_RUN_SECONDS, optionFlag, parseCount, parseFactor, parseGatewayOption, parseHangSeconds, parsePath, parseRunSeconds } from './kit/flags.js';
import { EXIT_CODES_HELP } from './kit/output.js';

interface NodeFlags {
  role?: NodeRole;
  config?: string;
  gateway?: string;
  stepMs: number;
  duration?: number;
  slowFactor: number;
  hangAfter?: number;
  persiaml?: PersiamlRole;
  ipAddr: string;
  ipFirst?: boolean;
}

export function registerSimulateNodeCommand(program: Command, context: CommandContext): void {
  program
    .command('simulate-node')
    .description('run ONE simulated node (role from --role or PERSIA_NODE_ROLE) until stopped')
    .option('--role <role>', `node role: ${NODE_ROLES.join(', ')}`, optionFlag('role'))
    .option('-c, --config <file>', 'global_config.yaml to read', parsePath)
    .option('--gateway <host:port>', 'the gateway, over the file and PERSIA_METRICS_GATEWAY_ADDR', parseGatewayOption)
    .option('--step-ms <ms>', 'time between two simulated batches', parseCount, 20)
    .option('--slow-factor <factor>', `a straggler: time costs this many times longer, batches this many times rarer (at most ${MAX_SLOW_FACTOR})`, parseFactor, 1)
    .option('--hang-after <seconds>', 'a hang: record no batch after this long (after the first one), while pushing on as running', parseHangSeconds)
    .option('--duration <seconds>', `stop gracefully after this long (at most ${MAX_RUN_SECONDS})`, parseRunSeconds)
    .option('--persiaml <role>', `replay one of PersiaML's own Rust nodes instead (${PERSIAML_ROLES.join(', ')}; docs/processes.md)`, choiceFlag(PERSIAML_ROLES))
    .option('--ip-addr <ipv4>', 'with --persiaml: its ip_addr grouping label', '192.0.2.1')
    .option('--ip-first', 'with --persiaml: write ip_addr before instance in the push path')
    .addHelpText('after', `\nIdentity comes from the environment: REPLICA_INDEX, REPLICA_SIZE, PERSIA_METRICS_INSTANCE.${EXIT_CODES_HELP}`)
    .action(runAction(context, (flags: NodeFlags) => (flags.persiaml === undefined ? runSimulatedNode(flags, context) : runPersiamlNode(flags, flags.persiaml, context))));
}

/** Sends one progress report to the supervising `simulate`; resolves once it has it (or there is none). */
function sendProgress(progress: NodeProgress): Promise<void> {
  return new Promise((resolve) => {
    if (process.send === undefined || !process.connected) resolve();
    else process.send(progress, () => resolve());
  });
}

/**
 * A replayed PersiaML node (src/simulate/persiaml-node.ts) as a process of the cluster: it reports its pushes
 * like any node and, stopped, ends as PersiaML's processes do (no last push, no DELETE).
 */
function runPersiamlNode(flags: NodeFlags, role: PersiamlRole, context: CommandContext): void {
  const config = loadConfig({ file: flags.config, env: context.env, options: flags.gateway === undefined ? {} : { gatewayAddr: flags.gateway } });
  const replicaIndex = Number(context.env['REPLICA_INDEX'] ?? '0');
  let failing = false;
  const name = `PersiaML ${role} rep_${replicaIndex} (${flags.ipAddr})`;
  const node = startPersiamlNode({
    gatewayUrl: config.gateways[0]?.baseUrl ?? '',
    job: config.options.jobName,
    role,
    replicaIndex,
    ipAddr: flags.ipAddr,
    ipFirst: flags.ipFirst === true,
    intervalSeconds: config.options.pushIntervalSeconds,
    slowFactor: flags.slowFactor,
    onPush: (error) => {
      if ((error !== undefined) === failing) return;
      failing = error !== undefined;
      context.stderr.write(`simulate: ${name}: ${error === undefined ? 'pushes again' : `push failed (${error.message}); it does not retry`}\n`);
    },
  });
  const report = (): Promise<void> => sendProgress({ steps: 0, attempts: node.attempts, pushes: node.pushes, failures: node.failures, lastError: node.lastError });
  const reportTimer = setInterval(() => void report(), 1000);
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    clearInterval(reportTimer);
    node.stop();
    await report();
    if (process.connected) process.disconnect();
  };
  handleShutdownSignals({ shutdown: stop }, { log: (message) => context.stderr.write(`${name}: ${message}\n`), exit: (code) => context.exitNow(code) });
  process.on('disconnect', () => void stop().then(() => context.exitNow(0)));
  if (flags.duration !== undefined) setTimeout(() => void stop().then(() => context.exitNow(0)), flags.duration * 1000);
}

function runSimulatedNode(flags: NodeFlags, context: CommandContext): void {
  const node = startNodeMetrics({
    // Every simulated node counts its steps (the workload's step()): one that never makes its first is hung too.
    progress: 'steps',
    file: flags.config,
    env: context.env,
    options: { ...(flags.role === undefined ? {} : { role: flags.role }), ...(flags.gateway === undefined ? {} : { gatewayAddr: flags.gateway }) },
  });
  const workload = createWorkload(node, node.config.options.role, Math.random, { slowFactor: flags.slowFactor });
  let steps = 0;
  // A hung node (--hang-after) stops its batches and nothing else: its pushes, state and reports go on.
  const hangAt = flags.hangAfter === undefined ? Infinity : Date.now() + flags.hangAfter * 1000;
  const stepTimer = setInterval(
    () => {
      if (steps > 0 && Date.now() >= hangAt) return;
      workload.step();
      steps += 1;
    },
    // A node that takes longer per batch does fewer of them: its batch rate drops with its time costs.
    Math.max(1, flags.stepMs * flags.slowFactor),
  );
  // Resolves once the parent has the report: the last one must arrive before the node exits.
  const report = (): Promise<void> => {
    const stats = node.pushStats;
    const progress: NodeProgress = {
      steps,
      attempts: stats?.attempts ?? 0,
      pushes: stats?.pushes ?? 0,
      failures: stats?.failures ?? 0,
      lastError: stats && stats.consecutiveFailures > 0 ? stats.lastError?.message : undefined,
    };
    return sendProgress(progress);
  };
  const reportTimer = setInterval(() => void report(), 1000);
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    clearInterval(stepTimer);
    clearInterval(reportTimer);
    try {
      await node.shutdown();
    } finally {
      await report();
      if (process.connected) process.disconnect();
    }
  };
  const { job, role, instance } = node.groupingKey;
  // Under `simulate`, a dozen nodes stop at once: say which one is speaking.
  // The library's own helper, as a training program uses it (it exits with 128 + the signal's number).
  handleShutdownSignals(
    { shutdown: stop },
    { log: (message) => context.stderr.write(`persia-metrics [${job}/${role}/${instance}]: ${message}\n`), exit: (code) => context.exitNow(code) },
  );
  // An orphaned node would push forever: stop when the supervising `simulate` goes away.
  process.on(
    'disconnect',
    () =>
      void stop().then(
        () => context.exitNow(0),
        () => context.exitNow(1),
      ),
  );
  if (flags.duration !== undefined) {
    setTimeout(
      () =>
        void stop().then(
          () => context.exitNow(0),
          () => context.exitNow(1),
        ),
      flags.duration * 1000,
    );
  }
}
