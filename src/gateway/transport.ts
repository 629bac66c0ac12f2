/**
 * How a push reaches a gateway. The Pusher knows the group's path and a `GatewayTransport`: a GatewayClient
 * (client.ts) talks to one gateway, and replicated-transport.ts composes several of them behind the same
 * interface (a replica list, failover, clean-up behind a node that moved).
 */

/** PUT replaces the node's group, DELETE drops it: the only two requests a node makes. */
export type GatewayMethod = 'PUT' | 'DELETE';

export interface ExchangeResult {
  readonly statusCode: number;
  readonly durationSeconds: number;
  /** `scheme://host:port` of the gateway that answered: where the node's group is now. */
  readonly baseUrl: string;
}

export interface GatewayTransport {
  /** `scheme://host:port` of the gateway the next request goes to (what NodeMetrics.gatewayUrl shows). */
  readonly currentBaseUrl: string;
  /**
   * 200 and 202 are success; anything else rejects with a GatewayRequestError (src/errors.ts): PushHttpError,
   * PushTimeoutError, PushNetworkError or GatewayAnswerTooLargeError. A failure that moved the node to
   * another replica says so in the error's `failover`.
   */
  send(method: GatewayMethod, path: string, body?: string | Uint8Array, contentType?: string): Promise<ExchangeResult>;
  /**
   * At shutdown, before close: the clean-up this transport still owes (a replicated transport deletes the
   * copies of the group left on replicas it moved away from). Never rejects; reports what it could not do.
   */
  deleteLeftCopies?(): Promise<void>;
  /** Graceful: lets requests in flight finish first. */
  close(): Promise<void>;
  /** At once: aborts any request in flight (a shutdown whose deadline passed must not wait for a hung socket). */
  destroy(): Promise<void>;
}
