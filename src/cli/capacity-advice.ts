/**
 * `init --nodes N --series-per-node M`: the sizing model's suggestion (src/monitoring/capacity.ts, figures
 * measured by bench/capacity.ts, explained in docs/capacity.md) as a few lines, and whether the gateways the
 * command is about to deploy are enough.
 */
import { capacityFigures, MAX_GATEWAYS, suggestGatewayShards } from '../monitoring/capacity.js';
import { CHECK_OFF_FLAG, consistencyCheckAdvice } from '../monitoring/consistency-check.js';
import { DeployUsageError } from '../errors.js';

export interface CapacityAdviceInput {
  readonly nodes?: number | undefined;
  readonly seriesPerNode?: number | undefined;
  readonly intervalSeconds: number;
  /** Gateways the rendered deployment runs: --gateways for Kubernetes; compose runs one. */
  readonly gateways: number;
  readonly target: 'compose' | 'kubernetes';
}

/** The advice text, '' without --nodes; a DeployUsageError when only one of the two options is given. */
export function capacityAdvice(input: CapacityAdviceInput): string {
  const { nodes, seriesPerNode } = input;
  if (nodes === undefined && seriesPerNode === undefined) return '';
  if (nodes === undefined || seriesPerNode === undefined) {
    throw new DeployUsageError(
      `${nodes === undefined ? '--series-per-node needs --nodes' : '--nodes needs --series-per-node'}: the sizing takes both (e.g. --nodes 512 --series-per-node 2000)`,
    );
  }
  const s = suggestGatewayShards({ nodes, seriesPerNode, intervalSeconds: input.intervalSeconds });
  const check = consistencyCheckAdvice({ nodes, seriesPerNode, intervalSeconds: input.intervalSeconds });
  const lines = [
    `sizing for ${nodes.toLocaleString('en-US')} nodes × ${seriesPerNode.toLocaleString('en-US')} series every ${input.intervalSeconds} s ` +
      `(${s.totalSeries.toLocaleString('en-US')} series; model measured ${capacityFigures().measuredAt}, see docs/capacity.md):`,
    `  gateways: ${s.shards} (${s.limitedBy}), consistency check ${check.on ? 'on' : 'off'}`,
    check.on
      ? `  consistency check: on, as the model allows (${check.reason}): a type clash between two nodes then costs only the clashing family; ` +
        (input.target === 'kubernetes'
          ? `gateway.yaml runs the gateway without ${CHECK_OFF_FLAG} (docs/expiry.md)`
          : `the compose files run the gateway without ${CHECK_OFF_FLAG} (docs/expiry.md)`)
      : `  consistency check: off (${check.reason}): a type clash breaks the gateway's /metrics until \`persia-metrics repair\` deletes the group; ` +
        'the view, status and PersiaGatewayDown say so (docs/expiry.md)',
    `  gateway cores: ${(s.gatewayCores + (check.on ? check.cores : 0)).toFixed(1)} · gateway memory: ${s.gatewayGiB.toFixed(1)} GiB (all gateways together)`,
    `  Prometheus: ${s.prometheusCores.toFixed(1)} cores for ${Math.round(s.samplesPerSecond).toLocaleString('en-US')} samples/s (15 s scrapes)`,
  ];
  if (s.shards > MAX_GATEWAYS)
    lines.push(
      `  ${input.target === 'kubernetes' ? `--gateways ${input.gateways} is not enough: ` : ''}this job needs ${s.shards} gateways, more than the ${MAX_GATEWAYS} init renders: split its nodes into several jobs`,
    );
  else if (input.target === 'kubernetes')
    lines.push(input.gateways >= s.shards ? `  --gateways ${input.gateways} is enough` : `  --gateways ${input.gateways} is not enough: use --gateways ${s.shards}`);
  else if (s.shards > 1)
    lines.push(
      `  one compose gateway is not enough: run ${s.shards} gateway services listed in PERSIA_METRICS_GATEWAY_ADDR (see docker-compose.swarm.yml), or --target kubernetes --gateways ${s.shards}`,
    );
  else lines.push('  the one compose gateway is enough');
  return `${lines.join('\n')}\n`;
}
