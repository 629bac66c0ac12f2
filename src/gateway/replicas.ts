/**
 * The replica set of a job's gateway, and which replica this node pushes to.
 *
 * Replicas come from `PERSIA_METRICS_GATEWAY_ADDR`: a comma-separated list, and/or a DNS name that resolves
 * to several addresses (Docker Swarm's `tasks.metrics_gateway`: one A record per running replica). The
 * node picks one by rendezvous hashing of its grouping path, so every node decides alone and, when a
 * replica comes or goes, only the nodes that scored it highest move. Names are re-resolved every
 * `refreshSeconds`, because replicas are rescheduled while a training job runs for days.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { GatewayAddress } from './address.js';
import { rankReplicas } from './rendezvous.js';

/** Expands one configured address into the replicas behind it. Injectable for tests. */
export type ReplicaResolver = (address: GatewayAddress) => Promise<readonly GatewayAddress[]>;

/** The node's first choice before and after a re-resolution. */
export interface FirstChoiceChange {
  readonly from: GatewayAddress;
  readonly to: GatewayAddress;
}

/**
 * A name with several IPv4 records becomes one replica per record, with the configured port. A name with
 * one record, an IP, and any https address are kept as written: the Host header (and a TLS certificate's
 * name) then stay what the user configured, so a single gateway behind a proxy behaves as before.
 */
export const dnsReplicaResolver: ReplicaResolver = async (address) => {
  if (address.scheme !== 'http' || isIP(address.host) !== 0) return [address];
  const records = await lookup(address.host, { all: true, family: 4 });
  const hosts = [...new Set(records.map((record) => record.address))].sort();
  if (hosts.length < 2) return [address];
  return hosts.map((host) => ({ scheme: address.scheme, host, port: address.port, baseUrl: `http://${host}:${address.port}` }));
};

/** True when some configured address is a name that DNS might expand into several replicas. */
export function needsResolution(addresses: readonly GatewayAddress[]): boolean {
  return addresses.some((address) => address.scheme === 'http' && isIP(address.host) === 0);
}

export interface GatewayReplicasOptions {
  /** The configured addresses (the parsed comma-separated list). */
  readonly addresses: readonly GatewayAddress[];
  /** The rendezvous key: the node's grouping path. */
  readonly key: string;
  readonly refreshSeconds: number;
  /** A lookup that takes longer is abandoned for this round (the previous set stays). @default 2 */
  readonly resolveTimeoutSeconds?: number;
  readonly resolve?: ReplicaResolver;
  readonly now?: () => number;
}

export class GatewayReplicas {
  private replicas: readonly GatewayAddress[];
  /** What each configured entry (by baseUrl) expanded to at its last successful lookup. */
  private readonly lastExpansion = new Map<string, readonly GatewayAddress[]>();
  /** `replicas` best first for this node: computed once per replica set. */
  private ranking: readonly GatewayAddress[];
  private nextRefreshMs = 0;
  private resolvedOnce = false;
  private setVersion = 0;
  /** False for a list of IPs and https addresses without an injected resolver: nothing to re-resolve. */
  private readonly resolvable: boolean;
  private readonly resolve: ReplicaResolver;
  private readonly now: () => number;

  constructor(private readonly options: GatewayReplicasOptions) {
    if (options.addresses.length === 0) throw new RangeError('GatewayReplicas needs at least one gateway address');
    this.replicas = options.addresses;
    this.ranking = rankReplicas(this.replicas, options.key);
    this.resolvable = options.resolve !== undefined || needsResolution(options.addresses);
    this.resolve = options.resolve ?? dnsReplicaResolver;
    this.now = options.now ?? Date.now;
  }

  /** The node's first choice. */
  get first(): GatewayAddress {
    return this.ranking[0]!; // the constructor refuses an empty list, and a refresh never empties it
  }

  /** Every replica known after the last resolution, this node's first choice first. */
  get ranked(): readonly GatewayAddress[] {
    return this.ranking;
  }

  /** Incremented whenever a resolution changes the replica set. */
  get version(): number {
    return this.setVersion;
  }

  /** Every replica known after the last resolution, in the order configured and resolved. */
  get all(): readonly GatewayAddress[] {
    return this.replicas;
  }

  /** Re-resolves when due; returns the change when the node's first choice changed. */
  async refreshIfDue(): Promise<FirstChoiceChange | undefined> {
    if (!this.resolvable || this.now() < this.nextRefreshMs) return undefined;
    return this.refresh();
  }

  /**
   * Re-resolves every configured address now. A failed or slow lookup keeps that entry's previous replicas:
   * a DNS hiccup must not move every node of a job at once.
   */
  async refresh(): Promise<FirstChoiceChange | undefined> {
    this.nextRefreshMs = this.now() + this.options.refreshSeconds * 1000;
    const timeoutMs = (this.options.resolveTimeoutSeconds ?? 2) * 1000;
    const expanded = await Promise.all(
      this.options.addresses.map(async (address) => {
        const resolved = await withTimeout(this.resolve(address), timeoutMs).catch(() => undefined);
        if (resolved === undefined || resolved.length === 0) return this.lastExpansion.get(address.baseUrl) ?? [address];
        this.lastExpansion.set(address.baseUrl, resolved);
        return resolved;
      }),
    );
    const unique = new Map<string, GatewayAddress>();
    for (const replica of expanded.flat()) unique.set(replica.baseUrl, replica);
    const before = this.first;
    if (!sameSet(this.replicas, [...unique.values()])) {
      this.replicas = [...unique.values()];
      this.ranking = rankReplicas(this.replicas, this.options.key);
      this.setVersion += 1;
    }
    // The first resolution happens before the first push: nothing was pushed to the unexpanded name.
    const initial = !this.resolvedOnce;
    this.resolvedOnce = true;
    return initial || this.first.baseUrl === before.baseUrl ? undefined : { from: before, to: this.first };
  }
}

function sameSet(a: readonly GatewayAddress[], b: readonly GatewayAddress[]): boolean {
  if (a.length !== b.length) return false;
  const urls = new Set(a.map((replica) => replica.baseUrl));
  return b.every((replica) => urls.has(replica.baseUrl));
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`lookup took longer than ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
