/**
 * A simulated cluster: one node process per trainer / middleware / server replica (each runs the CLI's
 * `simulate-node`), supervised from here: started, told to stop (first SIGTERM, then SIGKILL), and their
 * progress summed. `simulate` and `demo` both run one; the caller decides when to stop it.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { constants, hostname } from 'node:os';
import { loadConfig } from '../config/resolve.js';
import { DeployUsageError } from '../errors.js';
import { NODE_ROLES, type NodeRole } from '../metrics/catalog.js';
import { hangSecondsByNode, type HungNode } from './hung-nodes.js';
import { persiamlClusterNodes } from './persiaml-node.js';
import { SLOW_TRAINER_NOTE, slowFactorsByNode, type SlowNode } from './slow-nodes.js';

/** What a simulated node reports to the supervisor over IPC, about once a second. */
export interface NodeProgress {
  readonly steps: number;
  /** Push requests started; one without an outcome when the node ends was cut short (src/push/push-contract.ts). */
  readonly attempts: number;
  readonly pushes: number;
  readonly failures: number;
  readonly lastError: string | undefined;
}

export interface ClusterShape {
  readonly trainers: number;
  readonly middleware: number;
  readonly servers: number;
  readonly uniqueHost?: boolean | undefined;
  /** Stragglers: these nodes' time costs are `factor` times longer (src/simulate/slow-nodes.ts). */
  readonly slow?: readonly SlowNode[] | undefined;
  /** Hangs: these nodes stop training after some seconds and keep pushing (src/simulate/hung-nodes.ts). */
  readonly hung?: readonly HungNode[] | undefined;
  /** Replayed PersiaML Rust nodes (src/simulate/persiaml-node.ts), nodes of the cluster like the others. */
  readonly persiamlWorkers?: number | undefined;
  readonly persiamlServers?: number | undefined;
}

export interface ClusterOptions extends ClusterShape {
  /** The script whose `simulate-node` command runs one node (the CLI's main.js). */
  readonly nodeScript: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly config?: string | undefined;
  readonly gateway?: string | undefined;
  readonly stepMs: number;
  /** Progress and stop messages (silent under --quiet). */
  readonly log: (message: string) => void;
  /** What must be said even under --quiet. */
  readonly warn: (message: string) => void;
}

export interface Cluster {
  /** First call: every node pushes its final values and exits; second: stop them at once. */
  stop(reason: string): void;
  /** The cluster's outcome once every node has exited: undefined when it went well, else what went wrong. */
  readonly done: Promise<string | undefined>;
}

/** Exit status of a process that ended on SIGTERM (128 + its number). */
const SIGTERM_STATUS = 128 + constants.signals.SIGTERM;

/**
 * The usage checks of a cluster, before anything starts (demo calls it before its servers): at least one
 * node, and every --slow and --hang node one that is simulated (a typo would run a job without the fault
 * asked for). Returns the factor of each slow node and the seconds after which each hung node hangs, by
 * `role/instance`.
 */
export function checkCluster(shape: ClusterShape): { slow: Map<string, number>; hang: Map<string, number> } {
  if (shape.trainers + shape.middleware + shape.servers + (shape.persiamlWorkers ?? 0) + (shape.persiamlServers ?? 0) === 0) {
    throw new DeployUsageError('--trainers, --middleware and --servers are all 0: expected at least one node to simulate');
  }
  const counts = roleCounts(shape);
  const instances = (role: NodeRole): string[] => Array.from({ length: counts[role] }, (_, index) => instanceName(shape, index));
  const byRole = { trainer: instances('trainer'), middleware: instances('middleware'), server: instances('server') };
  return { slow: slowFactorsByNode(shape.slow ?? [], byRole), hang: hangSecondsByNode(shape.hung ?? [], byRole) };
}

function roleCounts(shape: ClusterShape): Record<NodeRole, number> {
  return { trainer: shape.trainers, middleware: shape.middleware, server: shape.servers };
}

function instanceName(shape: Pick<ClusterShape, 'uniqueHost'>, index: number): string {
  return `${shape.uniqueHost ? `${hostname()}_` : ''}rep_${index}`;
}

/** Starts every node; a configuration error is thrown here, once, rather than by every child. */
export function startCluster(options: ClusterOptions): Cluster {
  const { slow: slowFactors, hang: hangSeconds } = checkCluster(options);
  // The flag is a code option, the highest layer, for this check and for every node (simulate-node --gateway).
  const config = loadConfig({ file: options.config, env: options.env, options: options.gateway === undefined ? {} : { gatewayAddr: options.gateway } });
  const counts = roleCounts(options);
  const children: SimulatedNode[] = [];
  let stopRequests = 0;
  const { log } = options;
  for (const node of slowFactors.keys()) {
    // Even under --quiet: the user asked for a straggler that no score will show.
    if (node.startsWith('trainer/')) options.warn(`warning: --slow ${node}: ${SLOW_TRAINER_NOTE}`);
  }
  const common = [...(options.config === undefined ? [] : ['--config', options.config]), ...(options.gateway === undefined ? [] : ['--gateway', options.gateway])];
  /** Forks one node process; one that ends before any stop was asked for died (SIGKILL, a crash), and is said so. */
  const forkNode = (name: string, args: string[], env: Record<string, string>): void => {
    const child = fork(options.nodeScript, ['simulate-node', ...args, ...common], {
      env: { ...options.env, ...env },
      // Own process group: a terminal Ctrl-C reaches only the supervisor, which then stops the nodes once.
      detached: true,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const entry: SimulatedNode = { name, child };
    child.on('message', (message) => {
      entry.progress = message as NodeProgress;
    });
    child.once('exit', (code, signal) => {
      if (stopRequests === 0) entry.died = signal ?? `exit ${code ?? '?'}`;
    });
    children.push(entry);
  };
  for (const role of NODE_ROLES) {
    for (let index = 0; index < counts[role]; index += 1) {
      const instance = instanceName(options, index);
      const args = ['--role', role, '--step-ms', String(options.stepMs)];
      const slowFactor = slowFactors.get(`${role}/${instance}`);
      if (slowFactor !== undefined) args.push('--slow-factor', String(slowFactor));
      const hangAfter = hangSeconds.get(`${role}/${instance}`);
      if (hangAfter !== undefined) args.push('--hang-after', String(hangAfter));
      forkNode(`${role}/${instance}`, args, { REPLICA_INDEX: String(index), REPLICA_SIZE: String(counts[role]), PERSIA_METRICS_INSTANCE: instance, PERSIA_NODE_ROLE: role });
    }
  }
  for (const node of persiamlClusterNodes(options.persiamlWorkers ?? 0, options.persiamlServers ?? 0)) {
    const args = ['--persiaml', node.role, '--ip-addr', node.ipAddr, ...(node.ipFirst === true ? ['--ip-first'] : [])];
    forkNode(`${node.role}/rep_${node.replicaIndex}`, args, { REPLICA_INDEX: String(node.replicaIndex) });
  }
  log(
    `${children.length} node${children.length === 1 ? '' : 's'} of job "${config.options.jobName}" pushing to ${config.options.gatewayAddr} every ${config.options.pushIntervalSeconds} s`,
  );
  for (const [node, factor] of slowFactors) log(`${node} runs ${factor} times slower (--slow)`);
  for (const [node, seconds] of hangSeconds) log(`${node} stops training after ${seconds} s and keeps pushing (--hang)`);

  // A node that the stop's SIGTERM reached before it had installed its handler (a loaded machine, a short
  // --duration) is ended by the signal itself: that is the stop asked for too, reported as 128 + 15.
  const exited = children.map(({ child }) => new Promise<number>((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal === 'SIGTERM' ? SIGTERM_STATUS : 1)))));
  const stop = (reason: string): void => {
    stopRequests += 1;
    const signal = stopRequests === 1 ? 'SIGTERM' : 'SIGKILL';
    log(stopRequests === 1 ? `${reason}: stopping nodes gracefully (final push); again to force` : `${reason}: forcing nodes to stop`);
    for (const { child } of children) if (child.exitCode === null) child.kill(signal);
  };
  const progress = (): string => progressLine(children);
  const progressTimer = setInterval(() => log(progress()), 5000);
  progressTimer.unref();

  const done = Promise.all(exited).then((codes) => {
    clearInterval(progressTimer);
    // The run is over: an attempt still without an outcome in a node's last report was cut short (by the
    // forced stop, or by the node's end) and never reached the gateway. It is a failure, not nothing.
    const final = children.map((entry) => (entry.progress === undefined ? undefined : endedProgress(entry.progress)));
    log(`all nodes stopped. ${endLine(children, final)}`);
    // A node told to stop by SIGTERM may end with 0 or, as handleShutdownSignals does when it is the only
    // listener (src/shutdown-signals.ts), with 128 + 15: both are the graceful stop asked for.
    const clean = (code: number | undefined): boolean => code === 0 || (stopRequests > 0 && code === SIGTERM_STATUS);
    const failed = children.filter((_, index) => !clean(codes[index])).map((entry) => entry.name);
    if (failed.length > 0 && stopRequests < 2) {
      log(`nodes that did not stop cleanly: ${failed.join(', ')}`);
      return `nodes that did not stop cleanly: ${failed.join(', ')}`;
    }
    // A run that delivered nothing failed, however it ended (every push refused, every attempt cut short, or
    // no node up long enough to report one): say so even under --quiet. A node that never reported pushed nothing.
    const reports = final.filter((entry): entry is NodeProgress => entry !== undefined);
    if (reports.every((entry) => entry.pushes === 0)) {
      const failures = reports.reduce((sum, entry) => sum + entry.failures, 0);
      const lastError = reports.find((entry) => entry.lastError !== undefined)?.lastError;
      const text = `no push reached the gateway ${config.options.gatewayAddr} (${failures} failed${lastError === undefined ? '' : `, last: ${lastError}`}); is it running?`;
      options.warn(`error: ${text}`);
      return text;
    }
    return undefined;
  });
  return { stop, done };
}

/** A node's last report once it has ended: its attempts without an outcome become failures. */
function endedProgress(progress: NodeProgress): NodeProgress {
  const cutShort = Math.max(0, progress.attempts - progress.pushes - progress.failures);
  if (cutShort === 0) return progress;
  return { ...progress, failures: progress.failures + cutShort, lastError: progress.lastError ?? 'a push was cut short by the end of the run, no answer from the gateway' };
}

/** One node process of the cluster, with its last report and, once it died before any stop, how. */
interface SimulatedNode {
  readonly name: string;
  readonly child: ChildProcess;
  progress?: NodeProgress;
  /** The signal or exit status of a node that ended before a stop was asked for. */
  died?: string;
}

/**
 * Up: the process lives and its pushes land (it has pushed, and its last attempt did not fail). A SIGKILLed
 * node's last report said it pushed fine; it was still counted up for the rest of the run.
 */
function isUp(node: SimulatedNode): boolean {
  const { child, progress } = node;
  return child.exitCode === null && child.signalCode === null && progress !== undefined && progress.pushes > 0 && progress.lastError === undefined;
}

/** `; died: server/rep_1 (SIGKILL)`, or nothing. */
function diedText(nodes: readonly SimulatedNode[]): string {
  const died = nodes.filter((node) => node.died !== undefined).map((node) => `${node.name} (${node.died})`);
  return died.length === 0 ? '' : `; died: ${died.join(', ')}`;
}

function progressLine(nodes: readonly SimulatedNode[]): string {
  return `${nodes.filter(isUp).length}/${nodes.length} nodes up, ${totals(nodes.map((node) => node.progress))}${diedText(nodes)}`;
}

/** The last line: how many nodes ended as asked (the stop, graceful or forced), the totals, and which died. */
function endLine(nodes: readonly SimulatedNode[], final: readonly (NodeProgress | undefined)[]): string {
  const asked = nodes.filter((node) => node.died === undefined).length;
  return `${asked}/${nodes.length} nodes stopped as asked, ${totals(final)}${diedText(nodes)}`;
}

function totals(progress: readonly (NodeProgress | undefined)[]): string {
  const reporting = progress.filter((entry): entry is NodeProgress => entry !== undefined);
  const pushes = reporting.reduce((sum, entry) => sum + entry.pushes, 0);
  const failures = reporting.reduce((sum, entry) => sum + entry.failures, 0);
  const steps = reporting.reduce((sum, entry) => sum + entry.steps, 0);
  // A push that has not answered yet (a gateway that hangs): neither ok nor failed until it ends.
  const inFlight = reporting.reduce((sum, entry) => sum + Math.max(0, entry.attempts - entry.pushes - entry.failures), 0);
  const failing = reporting.filter((entry) => entry.lastError !== undefined).length;
  return `${steps} batches, ${pushes} pushes ok, ${failures} failed${inFlight ? `, ${inFlight} in flight` : ''}${failing ? ` (${failing} node${failing === 1 ? '' : 's'} failing)` : ''}`;
}
