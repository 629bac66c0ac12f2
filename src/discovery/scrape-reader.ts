/**
 * Which Prometheus reads the target files `discover` writes, and what it already scrapes by itself.
 *
 * A target file is only useful if the Prometheus reading it can reach the address in it: inside a container
 * 127.0.0.1 is the container itself, so the published address a host Prometheus needs is the wrong one
 * there. The reader is found through the engine: a running container that bind-mounts the output folder and
 * whose Prometheus config (read through its mounts) has a file_sd_configs glob over that folder. Its other
 * scrape jobs tell which gateways it finds on its own (DNS names, docker_sd, dockerswarm_sd): those get no
 * file target, or the gateway would be scraped twice and a dead target of one job would page for a healthy
 * gateway. `discover` may itself run in a container (init's discovery service): paths are then matched
 * through its own mounts.
 */
import { realpathSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join, posix, relative, resolve, sep } from 'node:path';
import yaml from 'js-yaml';
import type Docker from 'dockerode';
import { DiscoveryError, errorText } from '../errors.js';
import { readConfigText } from '../config/yaml-document.js';
import type { DockerEngine, GatewayEndpoint } from './gateway-discovery.js';

/** What Prometheus uses when no --config.file is given in the container's command (the image's default). */
const IMAGE_DEFAULT_CONFIG = '/etc/prometheus/prometheus.yml';
/** A Prometheus config is a few kB; anything far larger is not one (or is hostile). */
const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

/** One scrape job of the reader's config, as far as gateway discovery is concerned. */
export interface ReaderScrapeJob {
  readonly name: string;
  /** dns_sd_configs names: containers answering to one of them on the reader's networks are scraped. */
  readonly dnsNames: readonly string[];
  /** docker_sd_configs on an engine socket mounted into the reader: every labelled container is scraped. */
  readonly docker: boolean;
  /** dockerswarm_sd_configs on a mounted socket: every labelled swarm service is scraped. */
  readonly swarm: boolean;
}

export interface ScrapeReader {
  /** Container name. */
  readonly name: string;
  /** Networks the container is attached to: the gateways it can reach by their internal address. */
  readonly networks: readonly string[];
  /** Its config file, as seen from here. */
  readonly configFile: string;
  /** Its scrape jobs other than the one reading the target files. */
  readonly jobs: readonly ReaderScrapeJob[];
}

type Mount = { readonly Source?: string; readonly Destination?: string };

/** Where `from` (a path on one side of the mounts) is on the other side, through the most specific mount. */
function throughMounts(path: string, mounts: readonly Mount[], from: 'Source' | 'Destination'): string | undefined {
  const to = from === 'Source' ? 'Destination' : 'Source';
  const separator = from === 'Source' ? sep : posix.sep;
  let best: { length: number; path: string } | undefined;
  for (const mount of mounts) {
    const base = mount[from];
    const target = mount[to];
    if (base === undefined || target === undefined || base === '') continue;
    if (path !== base && !path.startsWith(base.endsWith(separator) ? base : `${base}${separator}`)) continue;
    if (best !== undefined && best.length >= base.length) continue;
    const rest = path.slice(base.length).split(separator).filter(Boolean);
    best = { length: base.length, path: from === 'Source' ? posix.join(target, ...rest) : join(target, ...rest) };
  }
  return best?.path;
}

/** The folder with symlinks resolved (the engine records resolved sources); a missing tail is kept as given. */
function resolvedFolder(dir: string): string {
  const absolute = resolve(dir);
  try {
    return realpathSync(absolute);
  } catch {
    const parent = dirname(absolute);
    return parent === absolute ? absolute : join(resolvedFolder(parent), basename(absolute));
  }
}

function configPathInContainer(command: string | undefined): string {
  const match = /(?:^|\s)--config\.file[= ](\S+)/.exec(command ?? '');
  return match?.[1] ?? IMAGE_DEFAULT_CONFIG;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

/** A file_sd glob (relative paths are relative to the config file, as Prometheus reads them) matches `file`. */
function globCovers(pattern: string, configDir: string, folder: string): boolean {
  const absolute = posix.resolve(configDir, pattern);
  if (posix.dirname(absolute) !== folder) return false;
  const name = posix.basename(absolute);
  const regex = new RegExp(
    `^${name
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '[^/]*')
      .replace(/\?/g, '[^/]')}$`,
  );
  return regex.test('gateway-job.json');
}

function socketMounted(host: unknown, mounts: readonly Mount[]): boolean {
  if (typeof host !== 'string' || !host.startsWith('unix://')) return false;
  const socket = host.slice('unix://'.length);
  return mounts.some((mount) => mount.Destination === socket);
}

/** The reader's scrape jobs, or undefined when none of them reads `folder` (it is no reader of ours). */
function scrapeJobs(config: unknown, configDir: string, folder: string, mounts: readonly Mount[]): ReaderScrapeJob[] | undefined {
  let readsFolder = false;
  const jobs: ReaderScrapeJob[] = [];
  for (const job of list(isRecord(config) ? config['scrape_configs'] : undefined)) {
    if (!isRecord(job)) continue;
    const files = list(job['file_sd_configs']).flatMap((sd) => (isRecord(sd) ? list(sd['files']) : []));
    if (files.some((pattern) => typeof pattern === 'string' && globCovers(pattern, configDir, folder))) {
      readsFolder = true;
      continue;
    }
    jobs.push({
      name: String(job['job_name']),
      dnsNames: list(job['dns_sd_configs']).flatMap((sd) => (isRecord(sd) ? list(sd['names']).filter((n): n is string => typeof n === 'string') : [])),
      docker: list(job['docker_sd_configs']).some((sd) => isRecord(sd) && socketMounted(sd['host'], mounts)),
      swarm: list(job['dockerswarm_sd_configs']).some((sd) => isRecord(sd) && socketMounted(sd['host'], mounts)),
    });
  }
  return readsFolder ? jobs : undefined;
}

/**
 * Where this process sees the engine host's paths. On the host: as they are. In a container (init's
 * discovery service): through its own mounts, so that the folder it writes and the reader's config file it
 * reads are matched by their host paths, as the engine records mounts.
 */
interface PathView {
  /** A path of this process, as the engine's host sees it (undefined: not on any mount). */
  toHost(path: string): string | undefined;
  /** A host path, as this process sees it (undefined: not mounted here). */
  fromHost(path: string): string | undefined;
}

const HOST_VIEW: PathView = { toHost: (path) => path, fromHost: (path) => path };

/**
 * The container this process runs in, among `containers`: the one whose id starts with this host's name,
 * which is what the engines name a container's host unless told otherwise (12 hex digits). No marker file
 * is needed (/.dockerenv, /run/.containerenv are not always there). A host named like a container id and
 * matching one would be read through that container's mounts: name a host otherwise.
 */
function ownContainer(containers: readonly Docker.ContainerInfo[]): Docker.ContainerInfo | undefined {
  const name = hostname();
  if (!/^[0-9a-f]{12,64}$/.test(name)) return undefined;
  return containers.find((info) => info.Id.startsWith(name));
}

function pathView(self: Docker.ContainerInfo | undefined): PathView {
  if (self === undefined) return HOST_VIEW;
  const mounts: readonly Mount[] = self.Mounts ?? [];
  return { toHost: (path) => throughMounts(path, mounts, 'Destination'), fromHost: (path) => throughMounts(path, mounts, 'Source') };
}

function readerFrom(info: Docker.ContainerInfo, folder: string, view: PathView): ScrapeReader | undefined {
  const mounts: readonly Mount[] = info.Mounts ?? [];
  const folderInside = throughMounts(folder, mounts, 'Source');
  if (folderInside === undefined) return undefined;
  const name = (info.Names?.[0] ?? info.Id.slice(0, 12)).replace(/^\//, '');
  const configInside = configPathInContainer(info.Command);
  const configOnHost = throughMounts(configInside, mounts, 'Destination');
  const configFile = configOnHost === undefined ? undefined : view.fromHost(configOnHost);
  // A container that sees the folder but runs no Prometheus we can read (Grafana, a shell) is not a reader.
  if (configFile === undefined) return undefined;
  let config: unknown;
  try {
    const stat = statSync(configFile);
    if (!stat.isFile() || stat.size > MAX_CONFIG_BYTES) return undefined;
    config = yaml.load(readConfigText(configFile));
  } catch (error) {
    if (!/prometheus/i.test(info.Image ?? '')) return undefined;
    throw new DiscoveryError(`container ${name} mounts ${folder}, but its Prometheus config ${configFile} cannot be read (${errorText(error)}): give --address`, error);
  }
  const jobs = scrapeJobs(config, posix.dirname(configInside), folderInside, mounts);
  if (jobs === undefined) return undefined;
  return { name, networks: Object.keys(info.NetworkSettings?.Networks ?? {}), configFile: relative(process.cwd(), configFile) || configFile, jobs };
}

/**
 * Containers whose Prometheus reads target files from `folder` (usually none or one): the running ones; if
 * none runs, the one stopped or restarting container that does. A Prometheus being restarted still reads
 * the folder when it is back: writing published addresses meanwhile would give it its own 127.0.0.1, and a
 * target for the gateway its DNS job finds (`discover --every` runs through such restarts).
 */
export async function findScrapeReaders(engine: DockerEngine, folder: string): Promise<ScrapeReader[]> {
  let containers: Docker.ContainerInfo[];
  try {
    // All, not only running ones: a stopped reader is still looked at (below).
    containers = await engine.listContainers({ all: true, filters: {} });
  } catch (error) {
    throw new DiscoveryError(`cannot list containers (${errorText(error)}); is the engine running and DOCKER_HOST right?`, error);
  }
  const running = containers.filter((info) => info.State === undefined || info.State === 'running');
  const self = ownContainer(running);
  const view = pathView(self);
  const resolved = view.toHost(resolvedFolder(folder));
  if (resolved === undefined) return [];
  const readersOf = (infos: readonly Docker.ContainerInfo[]) =>
    infos
      .filter((info) => info !== self)
      .map((info) => readerFrom(info, resolved, view))
      .filter((reader): reader is ScrapeReader => reader !== undefined);
  const active = readersOf(running);
  if (active.length > 0) return active;
  const stopped = readersOf(containers.filter((info) => !running.includes(info)));
  return stopped.length === 1 ? stopped : [];
}

/**
 * The reader's scrape job that already finds this gateway, if any. A DNS name is the more specific claim
 * (the rendered docker_sd job leaves the DNS job's gateway to it), so it is named first.
 */
export function coveringJob(reader: ScrapeReader, gateway: GatewayEndpoint): string | undefined {
  const sharesNetwork = gateway.networks.some((network) => reader.networks.includes(network));
  const names = gateway.kind === 'service' ? [`tasks.${gateway.name}`] : sharesNetwork ? [gateway.name, gateway.service].filter((n): n is string => n !== undefined) : [];
  const byDns = reader.jobs.find((job) => job.dnsNames.some((dns) => names.includes(dns)));
  const byEngine = reader.jobs.find((job) => (gateway.kind === 'service' ? job.swarm : job.docker));
  return (byDns ?? byEngine)?.name;
}
