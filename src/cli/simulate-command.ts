/**
 * `persia-metrics simulate`: a demo cluster of node processes (one per trainer / middleware / server replica),
 * each recording realistic values through the real library and pushing to the configured gateway.
 * The cluster (src/simulate/cluster.ts) is stopped by Ctrl-C (first: graceful, second: force) or --duration.
 */
import type { Command } from 'commander';
import { startCluster } from '../simulate/cluster.js';
import { HUNG_NODE_FORMAT, type HungNode } from '../simulate/hung-nodes.js';
import { MAX_SLOW_FACTOR, SLOW_NODE_FORMAT, SLOW_TRAINER_NOTE, type SlowNode } from '../simulate/slow-nodes.js';
import { runAction } from './kit/action.js';
import type { CommandContext } from './kit/context.js';
import { collectHungNode, collectSlowNode, MAX_RUN_SECONDS, parseCount, parseGatewayOption, parsePath, parseRunSeconds } from './kit/flags.js';
import { EXIT_CODES_HELP, EXIT_FAILURE, EXIT_OK } from './kit/output.js';
import { CLI_SCRIPT } from './kit/program.js';
import { runUntilSignal } from './kit/until-signal.js';

interface SimulateFlags {
  config?: string;
  trainers: number;
  middleware: number;
  servers: number;
  duration?: number;
  gateway?: string;
  stepMs: number;
  uniqueHost?: boolean;
  quiet?: boolean;
  slow?: SlowNode[];
  persiamlWorkers: number;
  persiamlServers: number;
  hang?: HungNode[];
}

export function registerSimulateCommand(program: Command, context: CommandContext): void {
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
      `a straggler, repeatable: ${SLOW_NODE_FORMAT} (its time costs FACTOR times longer, its batches FACTOR times rarer; FACTOR at most ${MAX_SLOW_FACTOR}, above 1)`,
      collectSlowNode,
    )
    .option('--persiaml-workers <n>', 'replayed PersiaML embedding workers (Rust nodes: no role, no interval; docs/processes.md)', parseCount, 0)
    .option('--persiaml-servers <n>', 'replayed PersiaML embedding parameter servers', parseCount, 0)
    .option(
      '--hang <spec>',
      `a hung node, repeatable: ${HUNG_NODE_FORMAT} (after SECONDS, default 0, it records no batch but keeps pushing as running: PersiaNodeHung fires)`,
      collectHungNode,
    )
    .option('--unique-host', 'prefix instance labels with the hostname (several simulate containers of one job)')
    .option('-q, --quiet', 'no progress lines')
    .addHelpText(
      'after',
      `\nAt least one node (--trainers, --middleware or --servers above 0). A slow trainer is run, with a warning:\n${SLOW_TRAINER_NOTE}.\nCtrl-C once: every node pushes its final values and exits; twice: stop at once.${EXIT_CODES_HELP}`,
    )
    .action(runAction(context, (flags: SimulateFlags) => simulate(flags, context)));
}

async function simulate(flags: SimulateFlags, context: CommandContext): Promise<number> {
  const cluster = startCluster({
    ...flags,
    hung: flags.hang,
    nodeScript: CLI_SCRIPT, // each node is the CLI's `simulate-node` command
    env: context.env,
    log: (message) => {
      if (!flags.quiet) context.stderr.write(`simulate: ${message}\n`);
    },
    warn: (message) => context.stderr.write(`simulate: ${message}\n`),
  });
  // Each signal is a stop request: the first graceful, the second forced (the cluster counts them).
  const problem = await runUntilSignal(
    context,
    async () => {
      const timer = flags.duration === undefined ? undefined : setTimeout(() => cluster.stop(`${flags.duration} s elapsed`), flags.duration * 1000);
      try {
        return await cluster.done;
      } finally {
        clearTimeout(timer);
      }
    },
    { onSignal: (signal) => cluster.stop(signal) },
  );
  return problem === undefined ? EXIT_OK : EXIT_FAILURE;
}
