/**
 * The view's banner for a gateway Prometheus cannot scrape. One group pushed with a clashing type, or with a
 * grouping value that is not UTF-8, makes a gateway's whole /metrics answer 500 while every push is still
 * accepted: the job's nodes and panels go quiet, and nothing on the page would say why. Two sources:
 * - Prometheus: the gateways' scrape jobs' `up == 0` (the alert PersiaGatewayDown's own expression), for the
 *   targets labelled with the job or with no job;
 * - the gateways given with `view --gateway`: the view probes their /metrics itself through the gateway client,
 *   and names the groups that break it (src/discovery/scrape-diagnosis.ts). The view never probes an address
 *   it only learnt from Prometheus: a target list is no permission to send the gateways' credentials there.
 * Every text that holds a pushed value is escaped on this side (scrape-diagnosis.ts); the page shows it as text.
 */
import { diagnoseScrape, groupText, type ScrapeDiagnosis } from '../discovery/scrape-diagnosis.js';
import { GatewayClient } from '../gateway/client.js';
import { gatewayEndpoint, type GatewayAccess } from '../gateway/endpoint.js';
import { escapeControl } from '../errors.js';
import { gatewaysDownPromql } from '../monitoring/health.js';
import type { GatewayScrapeAnswer, UnscrapableGateway } from '../monitoring/view-contract.js';
import { promqlStringContent } from './page/promql-string.js';
import { queryVector, type PrometheusUpstream } from './prometheus-proxy.js';
import type { BudgetShare } from './view-budget.js';

export interface GatewayProbeOptions {
  /** Base URLs (`http://host:port`) of the gateways to probe. */
  readonly gateways: readonly string[];
  readonly access?: GatewayAccess;
  /** @default 5 */
  readonly timeoutSeconds?: number;
  /** A probe this recent is reused: every page and every refresh shares one round of probes. */
  readonly reuseMs: number;
}

/** host:port of a base URL, as a user writes a gateway (PERSIA_METRICS_GATEWAY_ADDR, Prometheus's instance). */
function hostPort(baseUrl: string): string {
  return baseUrl.replace(/^https?:\/\//, '');
}

/** A word a POSIX shell reads as itself: a target's name is not the view's to trust in a command to copy. */
function shellWord(text: string): string {
  return /^[A-Za-z0-9_.:@%+=,[\]/-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

export function repairCommand(gateway: string): string {
  return escapeControl(`persia-metrics repair --gateway ${shellWord(gateway)}`);
}

/** The gateways `view --gateway` names, probed at most once per `reuseMs` whoever asks. */
export class GatewayProbes {
  private readonly clients: ReadonlyArray<{ readonly gateway: string; readonly client: GatewayClient }>;
  private last: { readonly at: number; readonly result: Promise<ReadonlyArray<readonly [string, ScrapeDiagnosis]>> } | undefined;

  constructor(private readonly options: GatewayProbeOptions) {
    this.clients = options.gateways.map((base) => ({
      gateway: hostPort(base),
      client: new GatewayClient(gatewayEndpoint(base, { timeoutSeconds: options.timeoutSeconds ?? 5, ...(options.access === undefined ? {} : { access: options.access }) })),
    }));
  }

  probe(): Promise<ReadonlyArray<readonly [string, ScrapeDiagnosis]>> {
    const now = Date.now();
    if (this.last === undefined || now - this.last.at >= this.options.reuseMs) {
      this.last = { at: now, result: Promise.all(this.clients.map(async ({ gateway, client }) => [gateway, await diagnoseScrape(client)] as const)) };
    }
    return this.last.result;
  }

  async close(): Promise<void> {
    await Promise.all(this.clients.map(({ client }) => client.close()));
  }
}

/**
 * The job's gateways Prometheus cannot scrape: its down targets (when Prometheus answers) merged by host:port
 * with the view's own probes. A probe that answers 200 for a target Prometheus sees down is kept: the page
 * then says the gateway answers, so the trouble is between Prometheus and it.
 */
export async function unscrapableGateways(upstream: PrometheusUpstream, share: BudgetShare, job: string, probes: GatewayProbes | undefined): Promise<GatewayScrapeAnswer> {
  const [down, probed] = await Promise.all([
    queryVector(upstream, `${gatewaysDownPromql(`persia_job="${promqlStringContent(job)}"`)} or ${gatewaysDownPromql('persia_job=""')}`, share),
    probes?.probe() ?? Promise.resolve([]),
  ]);
  const found = new Map<string, { scrapeJobs: Set<string>; probe: ScrapeDiagnosis | undefined }>();
  for (const series of down ?? []) {
    const instance = series.metric?.['instance'] ?? '';
    const entry = found.get(instance) ?? { scrapeJobs: new Set<string>(), probe: undefined };
    entry.scrapeJobs.add(series.metric?.['job'] ?? '');
    found.set(instance, entry);
  }
  for (const [gateway, diagnosis] of probed) {
    const entry = found.get(gateway);
    if (entry !== undefined) entry.probe = diagnosis;
    else if (!diagnosis.ok) found.set(gateway, { scrapeJobs: new Set(), probe: diagnosis });
  }
  const unscrapable: UnscrapableGateway[] = [...found].map(([gateway, { scrapeJobs, probe }]) => ({
    gateway: escapeControl(gateway),
    scrapeJobs: [...scrapeJobs].sort().map(escapeControl),
    probe: probe === undefined ? null : { statusCode: probe.statusCode, detail: probe.detail },
    breakingGroups: (probe?.breakingGroups ?? []).map((group) => ({ group: groupText(group.labels), problems: group.problems })),
    repair: repairCommand(gateway),
  }));
  return { unscrapable: unscrapable.sort((a, b) => (a.gateway < b.gateway ? -1 : a.gateway > b.gateway ? 1 : 0)) };
}
