/**
 * PersiaML's own Rust nodes, replayed request for request (PersiaML/PERSIA `rust/persia-metrics/src/lib.rs` and
 * the rust-prometheus 0.13 push it calls; the facts are in docs/processes.md): what `simulate --persiaml-workers /
 * --persiaml-servers` runs beside the library's nodes, and what the tests push to prove that such nodes are nodes.
 *
 * Exactly as theirs: every interval (first push one interval after the start) one HTTP PUT of the whole registry
 * as delimited protobuf to `/metrics/job/<job>/…` with the grouping labels `instance=rep_<replica index>` and
 * `ip_addr=<IPv4>` in a HashMap's order (so it differs between processes: `ipFirst`), no role and no interval
 * series; a 10 s timeout, 200 or 202 counted as success, a failure only logged (no retry), and never a DELETE: a
 * stopped node's group stays on the gateway. Time costs are last-value gauges in seconds (`*_time_cost_sec`),
 * per-feature series carry `feat`; families are sorted by name, as rust-prometheus gathers them.
 */
import { PROTOBUF_CONTENT_TYPE } from '../metrics/protobuf-exposition.js';
import {
  encodeLabelPairs,
  messageField,
  ProtoWriter,
  stringField,
  TAG_FAMILY_HELP,
  TAG_FAMILY_METRIC,
  TAG_FAMILY_NAME,
  TAG_FAMILY_TYPE,
  TAG_METRIC_COUNTER,
  TAG_METRIC_GAUGE,
  TAG_VALUE_DOUBLE,
} from '../metrics/protobuf-wire-exposition.js';

/** PersiaML's two Rust roles that push (their trainer extension registers metrics but never pushes them). */
export type PersiamlRole = 'embedding-worker' | 'embedding-parameter-server';
export const PERSIAML_ROLES: readonly PersiamlRole[] = ['embedding-worker', 'embedding-parameter-server'];

/** The features of the replayed job (the `feat` label). */
export const PERSIAML_FEATURES: readonly string[] = ['user_id', 'item_id', 'category'];

interface FamilySpec {
  readonly name: string;
  readonly help: string;
  readonly type: 'gauge' | 'counter';
  readonly perFeature?: boolean;
  /** A time cost in seconds around this median, scaled by the node's slow factor. */
  readonly seconds?: number;
}

/** Families of each role with their help as PersiaML registers them (MetricsHolder of each service). */
const FAMILIES: Readonly<Record<PersiamlRole, readonly FamilySpec[]>> = {
  'embedding-worker': [
    { name: 'batch_unique_indices_rate', type: 'gauge', perFeature: true, help: 'unique indices rate in a batch for different features' },
    { name: 'num_pending_batches', type: 'gauge', help: 'num batches already sent to embedding worker but still waiting for nn worker to trigger lookup.' },
    { name: 'staleness', type: 'gauge', help: 'staleness of embedding model.' },
    { name: 'nan_count', type: 'counter', perFeature: true, help: 'nan count of gradient pushed to emb server' },
    { name: 'nan_grad_skipped', type: 'counter', perFeature: true, help: 'nan count of gradient filtered by gpu node' },
    { name: 'lookup_preprocess_time_cost_sec', type: 'gauge', seconds: 0.004, help: 'lookup preprocess time cost on embedding worker.' },
    { name: 'lookup_rpc_time_cost_sec', type: 'gauge', seconds: 0.02, help: 'lookup embedding time cost on embedding worker for a batch.' },
    { name: 'update_gradient_time_cost_sec', type: 'gauge', seconds: 0.015, help: 'update gradient time cost on embedding worker for a batch.' },
    { name: 'lookup_postprocess_time_cost_sec', type: 'gauge', seconds: 0.006, help: 'lookup postprocess time cost on embedding worker, mainly is embedding summation.' },
    { name: 'lookup_total_time_cost_sec', type: 'gauge', seconds: 0.03, help: 'lookup and pre/post process total time cost on embedding worker.' },
  ],
  'embedding-parameter-server': [
    { name: 'index_miss_count', type: 'counter', help: 'miss count of index when lookup on embedding server' },
    { name: 'index_miss_ratio', type: 'gauge', help: 'miss ratio of index when lookup on embedding server' },
    { name: 'gradient_id_miss_count', type: 'counter', help: 'num of embedding not found when update corresponding gradient in a batch' },
    { name: 'set_embedding_time_cost_sec', type: 'gauge', seconds: 0.002, help: 'set embedding time cost on embedding server' },
    { name: 'decode_indices_time_cost_sec', type: 'gauge', seconds: 0.001, help: 'decode time cost for a inference bytes request on embedding server' },
    { name: 'encode_embedding_time_cost_sec', type: 'gauge', seconds: 0.001, help: 'encode time cost for a inference bytes response on embedding server' },
    { name: 'lookup_inference_batch_time_cost_sec', type: 'gauge', seconds: 0.003, help: 'lookup time cost for a inference request' },
    { name: 'lookup_hashmap_time_cost_sec', type: 'gauge', seconds: 0.008, help: 'time cost of embedding lookup on embedding server, mainly spent on looking up from hash table.' },
    { name: 'inc_update_delay_sec', type: 'gauge', seconds: 0.5, help: 'delay of incremental update' },
  ],
};

/** The family names a node of `role` pushes, sorted. */
export function persiamlFamilyNames(role: PersiamlRole): string[] {
  return FAMILIES[role].map((family) => family.name).sort();
}

export interface PersiamlNodeOptions {
  /** The gateway's base URL, e.g. http://127.0.0.1:9091 (PERSIA_METRICS_GATEWAY_ADDR with its scheme). */
  readonly gatewayUrl: string;
  readonly job: string;
  readonly role: PersiamlRole;
  readonly replicaIndex: number;
  /** The node's IPv4 (PersiaML: of $PERSIA_SOCKET_IFNAME). */
  readonly ipAddr: string;
  /** The grouping labels' order in the path: a HashMap's, so some processes write ip_addr first. */
  readonly ipFirst?: boolean;
  /** push_interval_seconds. @default 10 */
  readonly intervalSeconds?: number;
  /** Every time cost this many times its median (a straggler). @default 1 */
  readonly slowFactor?: number;
  readonly random?: () => number;
  /** Told of every push's outcome (PersiaML logs a failure and carries on). */
  readonly onPush?: (error: Error | undefined) => void;
}

/** The push path: job first, then the two grouping labels in this process's HashMap order. */
export function persiamlPushPath(options: Pick<PersiamlNodeOptions, 'job' | 'replicaIndex' | 'ipAddr' | 'ipFirst'>): string {
  const instance = ['instance', `rep_${options.replicaIndex}`];
  const ip = ['ip_addr', options.ipAddr];
  // rust-prometheus joins the raw values with `/` (it refuses a value containing one): no escaping.
  return `/metrics/job/${[options.job, ...(options.ipFirst === true ? [...ip, ...instance] : [...instance, ...ip])].join('/')}`;
}

/** The registry's values at one moment, per family and feature. */
type Values = Map<string, number>;

function valueKey(family: string, feature?: string): string {
  return feature === undefined ? family : `${family}\u0000${feature}`;
}

/** One push body: every family, sorted by name, as delimited protobuf MetricFamily messages. */
export function persiamlPushBody(role: PersiamlRole, values: Values): Buffer {
  const writer = new ProtoWriter();
  for (const family of [...FAMILIES[role]].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const metrics = (family.perFeature === true ? PERSIAML_FEATURES : [undefined]).map((feature) => {
      const value = Buffer.alloc(9);
      value[0] = TAG_VALUE_DOUBLE;
      value.writeDoubleLE(values.get(valueKey(family.name, feature)) ?? 0, 1);
      const labels = feature === undefined ? Buffer.alloc(0) : encodeLabelPairs(['feat'], [feature]);
      return messageField(TAG_FAMILY_METRIC, Buffer.concat([labels, messageField(family.type === 'gauge' ? TAG_METRIC_GAUGE : TAG_METRIC_COUNTER, value)]));
    });
    // MetricType: COUNTER = 0, GAUGE = 1 (io.prometheus.client).
    const message = Buffer.concat([
      stringField(TAG_FAMILY_NAME, family.name),
      stringField(TAG_FAMILY_HELP, family.help),
      Buffer.from([TAG_FAMILY_TYPE, family.type === 'gauge' ? 1 : 0]),
      ...metrics,
    ]);
    writer.ensure(message.length + 5);
    writer.varint(message.length);
    writer.bytes(message);
  }
  return Buffer.from(writer.result());
}

export interface PersiamlNode {
  readonly name: string;
  /** Pushes started, that the gateway accepted, and that failed. */
  readonly attempts: number;
  readonly pushes: number;
  readonly failures: number;
  /** The last push's error while it fails, undefined once one lands again. */
  readonly lastError: string | undefined;
  /** Makes every later time cost `factor` times its median. */
  setSlowFactor(factor: number): void;
  /** Stops pushing, as a killed PersiaML process does: no last push, no DELETE. */
  stop(): void;
}

/** Starts one replayed node: its first push one interval from now, then every interval until stop(). */
export function startPersiamlNode(options: PersiamlNodeOptions): PersiamlNode {
  const random = options.random ?? Math.random;
  const intervalMs = (options.intervalSeconds ?? 10) * 1000;
  let slowFactor = options.slowFactor ?? 1;
  const values: Values = new Map();
  let pushes = 0;
  let failures = 0;
  let attempts = 0;
  let lastError: string | undefined;
  let inFlight = false;
  const record = (): void => {
    for (const family of FAMILIES[options.role]) {
      for (const feature of family.perFeature === true ? PERSIAML_FEATURES : [undefined]) {
        const key = valueKey(family.name, feature);
        if (family.seconds !== undefined) values.set(key, family.seconds * slowFactor * (0.9 + 0.2 * random()));
        else if (family.name === 'index_miss_count') values.set(key, (values.get(key) ?? 0) + Math.round(100 * random()));
        else if (family.name === 'index_miss_ratio') values.set(key, 0.05 + 0.05 * random());
        else if (family.name === 'batch_unique_indices_rate') values.set(key, 0.3 + 0.4 * random());
        else if (family.name === 'num_pending_batches' || family.name === 'staleness') values.set(key, Math.round(3 * random()));
        // nan_count, nan_grad_skipped and gradient_id_miss_count stay 0: a healthy job.
      }
    }
  };
  const push = async (): Promise<void> => {
    if (inFlight) return;
    inFlight = true;
    attempts += 1;
    record();
    try {
      const response = await fetch(`${options.gatewayUrl}${persiamlPushPath(options)}`, {
        method: 'PUT',
        headers: { 'content-type': PROTOBUF_CONTENT_TYPE },
        body: persiamlPushBody(options.role, values),
        signal: AbortSignal.timeout(10_000),
      });
      const text = await response.text();
      if (response.status !== 200 && response.status !== 202) throw new Error(`unexpected status code ${response.status} while pushing: ${text.slice(0, 300)}`);
      pushes += 1;
      lastError = undefined;
      options.onPush?.(undefined);
    } catch (error) {
      failures += 1;
      const cause = error instanceof Error ? error : new Error(String(error));
      lastError = cause.message;
      options.onPush?.(cause);
    } finally {
      inFlight = false;
    }
  };
  const timer = setInterval(() => void push(), intervalMs);
  return {
    name: `${options.role} rep_${options.replicaIndex} ${options.ipAddr}`,
    get attempts() {
      return attempts;
    },
    get pushes() {
      return pushes;
    },
    get lastError() {
      return lastError;
    },
    get failures() {
      return failures;
    },
    setSlowFactor(factor: number) {
      slowFactor = factor;
    },
    stop() {
      clearInterval(timer);
    },
  };
}

/**
 * The replayed PersiaML nodes of a simulated cluster (`simulate --persiaml-workers N --persiaml-servers M`), in
 * order: each on its own documentation address (192.0.2.x, RFC 5737), every other one writing ip_addr first.
 */
export function persiamlClusterNodes(workers: number, servers: number): Array<Pick<PersiamlNodeOptions, 'role' | 'replicaIndex' | 'ipAddr' | 'ipFirst'>> {
  const roles: Array<[PersiamlRole, number]> = [
    ['embedding-worker', workers],
    ['embedding-parameter-server', servers],
  ];
  let host = 0;
  return roles.flatMap(([role, count]) =>
    Array.from({ length: count }, (_, replicaIndex) => {
      host += 1;
      return { role, replicaIndex, ipAddr: `192.0.2.${host}`, ipFirst: host % 2 === 0 };
    }),
  );
}
