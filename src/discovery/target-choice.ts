/**
 * Which address of each gateway goes into the target files, decided by who reads them
 * (src/discovery/scrape-reader.ts):
 *   - a Prometheus container that reads the folder: the gateway's address on a network they share (its
 *     published 127.0.0.1 port would be the container itself), and nothing for a gateway one of its own
 *     scrape jobs already finds;
 *   - no such container (a Prometheus on the host, the usual reader of published ports): the published address.
 * One address per gateway: two addresses of one gateway would be two targets scraping it twice.
 */
import { DiscoveryError } from '../errors.js';
import type { GatewayEndpoint } from './gateway-discovery.js';
import { coveringJob, type ScrapeReader } from './scrape-reader.js';

/** `auto` follows the reader; the other two force one kind of address (for a reader discover cannot see). */
export type AddressChoice = 'auto' | 'published' | 'internal';
export const ADDRESS_CHOICES: readonly AddressChoice[] = ['auto', 'published', 'internal'];

export interface TargetDecision {
  readonly gateway: GatewayEndpoint;
  /** The address written for it, or undefined. */
  readonly target: string | undefined;
  /** Why no address is written: the scrape job that already finds it, or what is missing. */
  readonly note: string | undefined;
  /** True when nothing scrapes the gateway: no covering job and no usable address. */
  readonly unscraped: boolean;
}

export interface TargetPlan {
  /** The reader the addresses are for, when one was found. */
  readonly reader: ScrapeReader | undefined;
  readonly kind: 'published' | 'internal';
  readonly decisions: readonly TargetDecision[];
}

function internalAddress(gateway: GatewayEndpoint, reader: ScrapeReader | undefined): string | undefined {
  if (gateway.kind === 'service' || reader === undefined) return gateway.internal[0];
  const index = gateway.networks.findIndex((network) => reader.networks.includes(network));
  return index < 0 ? undefined : gateway.internal[index];
}

export function planTargets(gateways: readonly GatewayEndpoint[], readers: readonly ScrapeReader[], choice: AddressChoice): TargetPlan {
  if (readers.length > 1 && choice !== 'published') {
    // Each may need another address (other networks) and cover other gateways: one file cannot serve both.
    throw new DiscoveryError(
      `${readers.length} Prometheus containers read the target folder (${readers.map((r) => r.name).join(', ')}): give each its own --out, or --address published`,
    );
  }
  const reader = choice === 'published' ? undefined : readers[0];
  const kind = choice === 'auto' ? (reader === undefined ? 'published' : 'internal') : choice;
  const decisions = gateways.map((gateway): TargetDecision => {
    const covered = readers.map((r) => coveringJob(r, gateway)).find((job) => job !== undefined);
    if (covered !== undefined) return { gateway, target: undefined, note: `scraped by job ${covered}`, unscraped: false };
    const target = kind === 'published' ? gateway.published : internalAddress(gateway, reader);
    if (target !== undefined) return { gateway, target, note: undefined, unscraped: false };
    const note =
      kind === 'published' ? 'has no published address' : reader === undefined ? 'has no internal address' : `shares no network with Prometheus container ${reader.name}`;
    return { gateway, target: undefined, note, unscraped: true };
  });
  return { reader, kind, decisions };
}
