/**
 * The `persia-metrics view` server: one page, its assets from the installed package (the compiled page
 * modules beside this file, uPlot from node_modules; nothing from a CDN), the panel definitions, and the
 * Prometheus query endpoints the page needs (prometheus-proxy.ts). Plain node:http, GET only.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { fileURLToPath } from 'node:url';
import { ViewError } from '../errors.js';
import type { GatewayAccess } from '../gateway/endpoint.js';
import { VIEW_CONTRACT_MODULE, VIEW_PATHS, type ViewSettings } from '../monitoring/view-contract.js';
import { GatewayProbes, unscrapableGateways } from './gateway-scrape.js';
import { PAGE_CSS, pageHtml } from './page-html.js';
import { PROXIED_PATHS, prometheusUpstream, proxyQuery, queryScalar, sendBusy, sendJson, upstreamDeadlineMs } from './prometheus-proxy.js';
import { ViewBudget, type BudgetShare } from './view-budget.js';
import { DEFAULT_VIEW_WINDOW, VIEW_WINDOWS, isViewWindowName, promqlStringContent, viewPanels, type ViewWindowName } from './view-panels.js';

export interface ViewServerOptions {
  /** Prometheus base URL (`http://host:9090`, a path prefix and `user:password@` allowed). */
  readonly prometheusUrl: string;
  /** The password for the user of `prometheusUrl`, when it is not in the URL (read from a file or the environment). */
  readonly prometheusPassword?: string | undefined;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** Job shown first (else the page picks the first job Prometheus knows). */
  readonly job?: string | undefined;
  /** Time window the page opens with. @default '15m' */
  readonly window?: ViewWindowName;
  /** Seconds between two refreshes of the page. @default 5 */
  readonly refreshSeconds?: number;
  /** Give up one Prometheus request when it has not started answering after this long. @default 10000 */
  readonly timeoutMs?: number;
  /** The largest answer of Prometheus the view forwards. @default MAX_ANSWER_BYTES (20 MB) */
  readonly maxAnswerBytes?: number;
  /** Requests to Prometheus in flight at once; past it the view answers 503. @default MAX_REQUESTS_IN_FLIGHT */
  readonly maxRequestsInFlight?: number;
  /** Bytes of answers held at once for all clients; past it the view answers 503. @default MAX_BUFFERED_BYTES (64 MiB) */
  readonly maxBufferedBytes?: number;
  /**
   * The job's push_interval_seconds: a node that publishes no interval (PersiaML's) is judged by it, as status,
   * expire and the stale alert judge it. @default DEFAULT_MONITORING_OPTIONS.pushIntervalSeconds
   */
  readonly statedPushIntervalSeconds?: number;
  /** Gateways (base URLs) whose /metrics the view probes itself, to name the groups that break it (gateway-scrape.ts). */
  readonly gateways?: readonly string[];
  /** Credentials and TLS trust for `gateways` (the nodes' own). */
  readonly gatewayAccess?: GatewayAccess;
}

export interface RunningViewServer {
  /** `http://host:port/` (the job as `?job=` when one was given). */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

const PAGE_DIR = fileURLToPath(new URL('./page/', import.meta.url));
/** The module the page shares with this server, at the path the page's relative import reaches. */
const CONTRACT_FILE = fileURLToPath(new URL(`..${VIEW_CONTRACT_MODULE}`, import.meta.url));
const require = createRequire(import.meta.url);

/** Asset name → [file, content type]; the page's own modules are added by name pattern below. */
const VENDOR_ASSETS: Record<string, readonly [string, string]> = {
  'uPlot.iife.min.js': [require.resolve('uplot/dist/uPlot.iife.min.js'), 'text/javascript; charset=utf-8'],
  'uPlot.min.css': [require.resolve('uplot/dist/uPlot.min.css'), 'text/css; charset=utf-8'],
};
const PAGE_MODULE = /^[a-z][a-z0-9-]*\.js$/;

const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

function hostName(address: string): string {
  return address.includes(':') ? `[${address}]` : address;
}

/**
 * The Host headers this server answers: its address, `localhost`, the --host given (and, listening on every
 * address, each address of this machine), with its port. Exact names: a page elsewhere that points a DNS
 * name of its own at this machine (DNS rebinding, `127.attacker.example`) cannot read the job's metrics
 * through the user's browser, because its requests carry that name.
 */
function allowedHosts(givenHost: string, bound: AddressInfo): Set<string> {
  const names = new Set([hostName(givenHost.toLowerCase()), hostName(bound.address), 'localhost']);
  if (bound.address === '0.0.0.0' || bound.address === '::') {
    for (const address of Object.values(networkInterfaces()).flat()) if (address !== undefined) names.add(hostName(address.address));
  }
  // A browser leaves out the default port.
  return new Set([...names].flatMap((name) => (bound.port === 80 ? [`${name}:80`, name] : [`${name}:${bound.port}`])));
}

/**
 * A request another site's page made, as the browser tells (Sec-Fetch-Site, else Origin): the view's
 * credentials for Prometheus must not run that page's PromQL, even if it cannot read the answer.
 */
function crossSite(request: IncomingMessage): boolean {
  const site = request.headers['sec-fetch-site'];
  if (site === 'cross-site' || site === 'same-site') return true;
  const origin = request.headers.origin;
  return origin !== undefined && origin.toLowerCase() !== `http://${(request.headers.host ?? '').toLowerCase()}`;
}

async function serveFile(response: ServerResponse, file: string, contentType: string): Promise<void> {
  let body: Buffer;
  try {
    body = await readFile(file);
  } catch {
    response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
    return;
  }
  response.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-cache', ...SECURITY_HEADERS }).end(body);
}

export async function startViewServer(options: ViewServerOptions): Promise<RunningViewServer> {
  const host = options.host ?? '127.0.0.1';
  const upstream = prometheusUpstream(options.prometheusUrl, options.timeoutMs ?? 10_000, options.prometheusPassword);
  const budget = new ViewBudget(options.maxRequestsInFlight, options.maxBufferedBytes);
  let hosts = new Set<string>();
  const settings: ViewSettings = {
    job: options.job ?? null,
    refreshSeconds: options.refreshSeconds ?? 5,
    windows: Object.keys(VIEW_WINDOWS),
    defaultWindow: options.window ?? DEFAULT_VIEW_WINDOW,
  };

  const probes =
    options.gateways === undefined || options.gateways.length === 0
      ? undefined
      : new GatewayProbes({
          gateways: options.gateways,
          ...(options.gatewayAccess === undefined ? {} : { access: options.gatewayAccess }),
          reuseMs: settings.refreshSeconds * 500,
        });

  const knownIntervals = new Map<string, number>();
  const panels = async (url: URL, response: ServerResponse, share: BudgetShare): Promise<void> => {
    const job = url.searchParams.get('job') ?? '';
    const windowName = url.searchParams.get('window') ?? DEFAULT_VIEW_WINDOW;
    if (job === '' || !isViewWindowName(windowName)) {
      sendJson(response, 400, { status: 'error', errorType: 'bad_data', error: `expected ?job=NAME&window=${Object.keys(VIEW_WINDOWS).join('|')}` });
      return;
    }
    // The health dashboard counts stale nodes in push intervals: use the job's own (its slowest node's).
    const selector = `job="${promqlStringContent(job)}"`;
    // The last known value while Prometheus is away: a changed threshold would redraw every panel empty.
    const interval = (await queryScalar(upstream, `max(persia_node_push_interval_seconds{${selector}})`, share)) ?? knownIntervals.get(job);
    if (interval !== undefined) knownIntervals.set(job, interval);
    sendJson(response, 200, viewPanels(job, windowName, interval, options.statedPushIntervalSeconds));
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('the view is read-only\n');
      return;
    }
    if (!hosts.has((request.headers.host ?? '').toLowerCase())) {
      response.writeHead(421, { 'content-type': 'text/plain; charset=utf-8' }).end(`this view answers to ${[...hosts].join(', ')} only\n`);
      return;
    }
    const url = new URL(request.url ?? '/', 'http://view.invalid');
    const path = url.pathname;
    if (path.startsWith('/api/') && crossSite(request)) {
      sendJson(response, 403, { status: 'error', errorType: 'cross_site', error: "the view answers its own page only, not another site's" });
      return;
    }
    const queriesPrometheus = path === VIEW_PATHS.panels || path === VIEW_PATHS.gatewayScrape || PROXIED_PATHS.has(path);
    const share = queriesPrometheus ? budget.admit(response) : undefined;
    if (queriesPrometheus && share === undefined) {
      sendBusy(response);
      return;
    }
    if (path === '/' || path === '/index.html') {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache', ...SECURITY_HEADERS }).end(pageHtml());
    } else if (path === '/assets/view.css') {
      response.writeHead(200, { 'content-type': 'text/css; charset=utf-8', 'cache-control': 'no-cache', ...SECURITY_HEADERS }).end(PAGE_CSS);
    } else if (path.startsWith('/assets/')) {
      const name = path.slice('/assets/'.length);
      const vendor = VENDOR_ASSETS[name];
      if (vendor !== undefined) await serveFile(response, vendor[0], vendor[1]);
      else if (PAGE_MODULE.test(name)) await serveFile(response, `${PAGE_DIR}${name}`, 'text/javascript; charset=utf-8');
      else response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
    } else if (path === VIEW_CONTRACT_MODULE) {
      await serveFile(response, CONTRACT_FILE, 'text/javascript; charset=utf-8');
    } else if (path === VIEW_PATHS.settings) {
      sendJson(response, 200, settings);
    } else if (share !== undefined && path === VIEW_PATHS.panels) {
      await panels(url, response, share);
    } else if (share !== undefined && path === VIEW_PATHS.gatewayScrape) {
      sendJson(response, 200, await unscrapableGateways(upstream, share, url.searchParams.get('job') ?? '', probes));
    } else if (share !== undefined) {
      await proxyQuery(upstream, `${path}${url.search}`, response, share, options.maxAnswerBytes);
    } else {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
    }
  };

  const server: Server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) sendJson(response, 500, { status: 'error', errorType: 'internal', error: error instanceof Error ? error.message : String(error) });
      else response.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      const why = error.code === 'EADDRINUSE' ? 'the port is in use' : error.code === 'EADDRNOTAVAIL' ? 'no such local address' : (error.code ?? error.message);
      reject(new ViewError(`cannot listen on ${host}:${options.port}: ${why} (choose another --host / --port)`, error));
    });
    server.listen(options.port, host, () => resolve());
  });
  const bound = server.address() as AddressInfo;
  const { port } = bound;
  hosts = allowedHosts(host, bound);
  // A client that stops reading holds its answer (and its share of the budget) until its socket goes idle this long.
  server.setTimeout(upstreamDeadlineMs(upstream) + 30_000);
  // A wildcard address is no address to open: the browser on this machine reaches it over loopback.
  const shownHost = host === '::' ? '[::1]' : host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  const query = options.job === undefined ? '' : `?${new URLSearchParams({ job: options.job }).toString()}`;
  return {
    url: `http://${shownHost}:${port}/${query}`,
    port,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await probes?.close();
    },
  };
}
