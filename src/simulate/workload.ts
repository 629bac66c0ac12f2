/**
 * Realistic values for a simulated node, recorded through the real library: latencies with heavy tails,
 * miss ratios that drift as the embedding table warms up. Used by `simulate`, the demo and the tests; every
 * catalog metric of the node's role gets a series. A healthy node records no NaN gradient: its NaN series
 * stay at 0, as a healthy trainer's do, so the NaN alerts (PersiaNaNGradients, PersiaNaNGradientsSkipped)
 * fire in a demo only for a fault the user asked for (they fired on every simulated trainer and middleware).
 */
import { type NodeRole } from '../metrics/catalog.js';
import type { NodeMetrics } from '../node-metrics.js';

export const SIMULATED_FEATURES = ['user_id', 'item_id', 'category', 'hour_of_day'] as const;

export interface Workload {
  /** Record one batch's worth of values. */
  step(): void;
}

/** Log-normal latency around `medianSeconds`, with a 1 % chance of a 10x tail (GC pause, slow peer). */
export function latency(medianSeconds: number, random: () => number = Math.random): number {
  const gaussian = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const tail = random() < 0.01 ? 10 : 1;
  return medianSeconds * Math.exp(0.5 * gaussian) * tail;
}

export interface WorkloadOptions {
  /** Every time cost is multiplied by this: 3 makes a straggler three times slower than its peers. @default 1 */
  readonly slowFactor?: number;
}

/** One batch of the node's role, and the step counter a training program advances once per batch. */
export function createWorkload(node: NodeMetrics, role: NodeRole, random: () => number = Math.random, options: WorkloadOptions = {}): Workload {
  const batch = roleWorkload(node, role, random, options);
  return {
    step() {
      batch.step();
      node.step(); // as the README's Example counts its steps: the progress age counts from this one
    },
  };
}

function roleWorkload(node: NodeMetrics, role: NodeRole, random: () => number, options: WorkloadOptions): Workload {
  const slow = options.slowFactor ?? 1;
  const latencyOf = (medianSeconds: number): number => slow * latency(medianSeconds, random);
  const perFeature = <T>(make: (feature: string) => T): T[] => SIMULATED_FEATURES.map(make);
  let step = 0;
  const drift = (): number => Math.exp(-step / 2000);

  if (role === 'trainer') {
    const staleness = node.gauge('staleness');
    const pending = node.gauge('num_pending_batches');
    perFeature((feature) => node.counter('nan_count').labels(feature)); // at 0: a healthy trainer's NaN series
    let queue = 4;
    return {
      step() {
        step += 1;
        queue = Math.max(0, Math.min(64, queue + (random() < 0.5 ? -1 : 1)));
        pending.set(queue);
        staleness.set(Math.floor(random() * 4));
      },
    };
  }
  if (role === 'middleware') {
    const rpc = node.histogram('lookup_rpc_time_cost').labels();
    const create = node.histogram('lookup_create_requests_time_cost').labels();
    const summation = node.histogram('summation_time_cost').labels();
    const batched = node.histogram('lookup_batched_time_cost').labels();
    const update = node.histogram('update_gradient_time_cost').labels();
    const uniqueRate = perFeature((feature) => node.gauge('batch_unique_indices_rate').labels(feature));
    const distinct = perFeature((feature) => node.gauge('estimated_distinct_id').labels(feature));
    perFeature((feature) => node.counter('nan_grad_skipped').labels(feature)); // at 0, as above
    const seen = SIMULATED_FEATURES.map((_, index) => 1000 * (index + 1));
    return {
      step() {
        step += 1;
        const rpcSeconds = latencyOf(0.004);
        const createSeconds = latencyOf(0.0004);
        const sumSeconds = latencyOf(0.0008);
        rpc.observe(rpcSeconds);
        create.observe(createSeconds);
        summation.observe(sumSeconds);
        batched.observe(rpcSeconds + createSeconds + sumSeconds);
        update.observe(latencyOf(0.003));
        SIMULATED_FEATURES.forEach((_, index) => {
          seen[index] = (seen[index] ?? 0) + Math.floor(random() * 50 * (index + 1));
          distinct[index]?.set(seen[index] ?? 0);
          uniqueRate[index]?.set(0.2 + 0.1 * index + 0.05 * random());
        });
      },
    };
  }
  const misses = node.counter('index_miss_count').labels();
  const missRatio = node.gauge('index_miss_ratio').labels();
  const gradientMisses = node.counter('gradient_id_miss_count').labels();
  const lookup = node.histogram('lookup_mixed_batch_time_cost').labels();
  const update = node.histogram('update_gradient_time_cost').labels();
  return {
    step() {
      step += 1;
      const ratio = Math.min(1, 0.02 + 0.5 * drift() + 0.01 * random());
      missRatio.set(ratio);
      misses.inc(Math.round(ratio * 512));
      if (random() < 0.05) gradientMisses.inc();
      lookup.observe(latencyOf(0.002));
      update.observe(latencyOf(0.0015));
    },
  };
}
