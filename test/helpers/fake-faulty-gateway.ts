/**
 * A FAKE gateway, for the two faults a real Pushgateway cannot be made to produce on demand:
 * - `hang`: accepts the connection, reads the request, and never answers (a wedged gateway, a half-open
 *   connection behind a load balancer);
 * - `500`: answers every request with 500 (a gateway in trouble, or a proxy in front of it).
 * Everything else in the suite runs against the real `prometheus-pushgateway`.
 *
 * It records what the client did, so tests can check the client's discipline: how many requests arrived,
 * and the most that were open at once per URL (never two pushes of one group in flight).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type FakeFault = 'hang' | '500';

export interface FakeFaultyGateway {
  /** `127.0.0.1:PORT`, the form gateway_addr takes. */
  readonly address: string;
  /** Requests received, all URLs. */
  readonly requests: () => number;
  /** Requests open right now (received, not answered, connection not closed). */
  readonly open: () => number;
  /** The most requests ever open at once for one URL. */
  readonly maxOpenPerUrl: () => number;
  close(): Promise<void>;
}

export async function startFakeFaultyGateway(fault: FakeFault): Promise<FakeFaultyGateway> {
  let requests = 0;
  let maxOpenPerUrl = 0;
  const openByUrl = new Map<string, number>();
  const sockets = new Set<Socket>();

  const handler = (request: IncomingMessage, response: ServerResponse): void => {
    requests += 1;
    const url = request.url ?? '';
    const opened = (openByUrl.get(url) ?? 0) + 1;
    openByUrl.set(url, opened);
    maxOpenPerUrl = Math.max(maxOpenPerUrl, opened);
    let closed = false;
    const done = (): void => {
      if (closed) return;
      closed = true;
      openByUrl.set(url, (openByUrl.get(url) ?? 1) - 1);
    };
    // The client giving up (timeout) closes the socket: that ends this request's "open" period.
    response.on('close', done);
    request.resume(); // drain the body so the client's upload completes, as it would on a real gateway
    request.on('end', () => {
      if (fault === '500') {
        response.writeHead(500, { 'content-type': 'text/plain' }).end('fake gateway: internal error\n');
      }
      // 'hang': deliberately nothing.
    });
  };

  const server = createServer(handler);
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    address: `127.0.0.1:${port}`,
    requests: () => requests,
    open: () => [...openByUrl.values()].reduce((sum, count) => sum + count, 0),
    maxOpenPerUrl: () => maxOpenPerUrl,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
