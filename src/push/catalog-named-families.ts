/**
 * A source's family named like one of the catalog's. On a node that records the catalog itself such a name
 * is taken (exposition-check.ts reports the clash). On a node that records only its health (the agent,
 * StartNodeMetricsInput.catalog 'health') the source may write it: a Python trainer timing its RPCs in a
 * prometheus_client histogram `lookup_rpc_time_cost` (seconds, the catalog's unit for it). It must then be
 * that family, with its type and its labels: it is fed by the source and reaches the straggler rules and
 * dashboards (src/monitoring) exactly as a library node's does. Under another type the gateway refuses it
 * beside the job's library nodes (a name has one type per gateway), and under other labels the rules, which
 * read one series per node and `le`, would misread it.
 */
import { METRIC_CATALOG, type MetricSpec } from '../metrics/catalog.js';
import { sampleNames } from '../metrics/registry.js';

/** Every sample name a catalog family writes → that family. */
const CATALOG_SAMPLES: ReadonlyMap<string, MetricSpec> = new Map(METRIC_CATALOG.flatMap((spec) => sampleNames(spec).map((name) => [name, spec] as const)));

/**
 * For a family `name` of type `type` whose samples are `samples`: the catalog family it is (undefined when
 * no catalog family writes any of those names), or why it cannot be (text after "defines NAME").
 */
export function catalogFamilyOf(name: string, type: string, samples: readonly string[], line: number): { spec: MetricSpec } | { problem: string } | undefined {
  for (const sample of samples) {
    const spec = CATALOG_SAMPLES.get(sample);
    if (spec === undefined) continue;
    if (spec.name === name && spec.type === type) return { spec };
    const what = sample === name ? `at line ${line} as ${type === 'untyped' ? 'an untyped family (no TYPE line)' : `a ${type}`}` : `(its samples ${sample}) at line ${line}`;
    return {
      problem: `${what}, but the catalog's ${spec.type} ${spec.name} writes that name: under another type or name the gateway would refuse it beside the job's library nodes`,
    };
  }
  return undefined;
}

/** Why a sample of catalog family `spec` with these label names (sorted) does not fit it, or undefined. */
export function catalogLabelsProblem(spec: MetricSpec, sample: string, labels: readonly string[], line: number): string | undefined {
  const expected = [...spec.labels, ...(sample === `${spec.name}_bucket` ? ['le'] : [])].sort();
  if (labels.join() === expected.join()) return undefined;
  const has = labels.length === 0 ? 'no labels' : `the labels ${labels.join(', ')}`;
  return `${has} at line ${line}, but the catalog's ${spec.name} has ${expected.length === 0 ? 'none' : expected.join(', ')}: the rules and dashboards group it by those`;
}
