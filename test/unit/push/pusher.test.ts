/**
 * The push loop's discipline, with an in-memory transport whose answers the test controls: one push in
 * flight whatever the callers do, failures reported once per streak, shutdown within its deadline.
 */
import { describe, expect, it } from 'vitest';
import { ExtraSourceError, NodeStoppedError, PushHttpError, PushNetworkError, ShutdownTimeoutError } from '../../../src/errors.js';
import { KeepAlive } from '../../../src/gateway/keep-alive.js';
import { TEXT_CONTENT_TYPE } from '../../../src/metrics/exposition-format.js';
import type { PusherOptions } from '../../../src/push/push-contract.js';
import { Pusher } from '../../../src/push/pusher.js';
import type { ExchangeResult, GatewayMethod, GatewayTransport } from '../../../src/gateway/transport.js';

type Answer = 'ok' | 'refused' | 'hang' | ((body: string | undefined) => 'ok' | Error);

/** Counts concurrent sends; each send is answered per `answer`. `hang` resolves only when destroyed. */
class FakeTransport implements GatewayTransport {
  readonly currentBaseUrl = 'http://gateway';
  open = 0;
  maxOpen = 0;
  readonly sent: Array<{ method: string; body: string | undefined }> = [];
  destroyed = false;
  private readonly hung: Array<(error: Error) => void> = [];

  constructor(
    public answer: Answer = 'ok',
    private readonly delayMs = 5,
  ) {}

  async send(method: GatewayMethod, path: string, data?: string | Uint8Array): Promise<ExchangeResult> {
    const body = typeof data === 'string' ? data : data === undefined ? undefined : new TextDecoder().decode(data);
    const url = `${this.currentBaseUrl}${path}`;
    this.open += 1;
    this.maxOpen = Math.max(this.maxOpen, this.open);
    this.sent.push({ method, body });
    try {
      if (this.answer === 'hang') {
        await new Promise((_, reject) => this.hung.push(reject));
      }
      await new Promise((resolve) => setTimeout(resolve, this.delayMs));
      const result = typeof this.answer === 'function' ? this.answer(body) : this.answer;
      if (result === 'refused') throw new PushNetworkError(method, url, new Error('ECONNREFUSED'));
      if (result instanceof Error) throw result;
      return { statusCode: 200, durationSeconds: this.delayMs / 1000, baseUrl: this.currentBaseUrl };
    } finally {
      this.open -= 1;
    }
  }

  async close(): Promise<void> {}

  async destroy(): Promise<void> {
    this.destroyed = true;
    for (const reject of this.hung.splice(0)) reject(new PushNetworkError('PUT', 'x', new Error('destroyed')));
  }
}

function pusher(transport: FakeTransport, overrides: Partial<Omit<PusherOptions, 'path' | 'url'>> = {}): { pusher: Pusher; warnings: string[] } {
  const warnings: string[] = [];
  const created = new Pusher({
    path: '/metrics/job/j',
    transport,
    intervalSeconds: 60,
    retries: 0,
    deleteOnShutdown: false,
    shutdownTimeoutSeconds: 1,
    body: () => '# TYPE m counter\nm 1\n',
    logger: { warn: (message) => warnings.push(message), info: () => {} },
    ...overrides,
  });
  return { pusher: created, warnings };
}

describe('Pusher', () => {
  it('never has two pushes in flight, however many flush() calls race', async () => {
    const transport = new FakeTransport('ok', 10);
    const { pusher: one } = pusher(transport);
    one.start();
    await Promise.all([one.flush(), one.flush(), one.flush(), one.flush()]);
    expect(transport.sent.length).toBe(5);
    expect(transport.maxOpen).toBe(1);
    await one.shutdown();
    expect(transport.maxOpen).toBe(1);
  });

  it('reports a failure streak once, counts every attempt, and says when it is over', async () => {
    const transport = new FakeTransport('refused', 1);
    const { pusher: one, warnings } = pusher(transport);
    for (let index = 0; index < 5; index += 1) await one.flush().catch(() => {});
    expect(warnings).toHaveLength(1);
    expect(one.stats.failures).toBe(5);
    transport.answer = 'ok';
    await one.flush();
    expect(one.stats.consecutiveFailures).toBe(0);
    transport.answer = 'refused';
    await one.flush().catch(() => {});
    expect(warnings).toHaveLength(2); // a new streak is a new report
  });

  it('shutdown rejects at its deadline and aborts the hung request instead of waiting for it', async () => {
    const transport = new FakeTransport('hang');
    const { pusher: one } = pusher(transport, { shutdownTimeoutSeconds: 0.2 });
    one.start();
    const started = Date.now();
    await expect(one.shutdown()).rejects.toBeInstanceOf(ShutdownTimeoutError);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(transport.destroyed).toBe(true);
    // Nothing is sent after the deadline: no final push or DELETE racing the exiting process.
    const sentAtDeadline = transport.sent.length;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(transport.sent.length).toBe(sentAtDeadline);
  });

  it('does not retry a 4xx (the same body fails the same way) but retries a 5xx', async () => {
    const transport = new FakeTransport(() => new PushHttpError('PUT', 'x', 500, 'boom'), 1);
    const { pusher: one } = pusher(transport, { retries: 1, intervalSeconds: 10 });
    await one.flush().catch(() => {});
    expect(transport.sent.length).toBe(2);
    transport.answer = () => new PushHttpError('PUT', 'x', 400, 'bad body');
    await one.flush().catch(() => {});
    expect(transport.sent.length).toBe(3);
  });

  it('after shutdown, flush() rejects with NodeStoppedError: nothing sent, counted or logged', async () => {
    const transport = new FakeTransport('ok', 1);
    const { pusher: one, warnings } = pusher(transport);
    await one.shutdown();
    const sent = transport.sent.length;
    await expect(one.flush()).rejects.toBeInstanceOf(NodeStoppedError);
    await expect(one.flush()).rejects.toMatchObject({ code: 'PERSIA_NODE_STOPPED' });
    expect(transport.sent.length).toBe(sent);
    expect(one.stats.failures).toBe(0);
    expect(warnings).toEqual([]);
  });

  it('during shutdown a failure says the node gives up, even in the middle of a reported streak', async () => {
    const transport = new FakeTransport('refused', 1);
    const { pusher: one, warnings } = pusher(transport, { deleteOnShutdown: true });
    await one.flush().catch(() => {});
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/retrying every 60 s/);
    await expect(one.shutdown()).rejects.toMatchObject({ code: 'PERSIA_PUSH_NETWORK' });
    expect(warnings.slice(1)).toEqual([
      expect.stringMatching(/^final push failed: .*; giving up \(shutdown\)/),
      expect.stringMatching(/^deleting the node's group failed: .*; giving up \(shutdown\)/),
    ]);
  });

  it('a push without a bad extra source goes out, is counted as extra_source, and the explicit flush says so', async () => {
    const transport = new FakeTransport('ok', 1);
    const heldBack: string[] = [];
    const bad = new ExtraSourceError(0, 'threw', 'metrics() threw: boom');
    const { pusher: one } = pusher(transport, {
      body: () => ({ data: 'm 1\n', contentType: TEXT_CONTENT_TYPE, contains: () => true, heldBackSources: [bad] }),
      observer: { onSuccess: () => {}, onFailure: () => {}, onHeldBack: (reason) => heldBack.push(reason) },
    });
    await expect(one.flush()).rejects.toBe(bad);
    expect(transport.sent).toHaveLength(1);
    expect(one.stats.pushes).toBe(1);
    expect(heldBack).toEqual(['extra_source']);
  });

  it("an explicit call holds the process (one ref'd handle) exactly while it is pending", async () => {
    const keepAlive = new KeepAlive();
    let release: () => void = () => {};
    const call = keepAlive.during(() => new Promise<void>((resolve) => (release = resolve)));
    const other = keepAlive.during(() => Promise.reject(new Error('fails')));
    expect(keepAlive.holding).toBe(true);
    await expect(other).rejects.toThrow('fails');
    expect(keepAlive.holding).toBe(true); // the first call is still pending
    release();
    await call;
    expect(keepAlive.holding).toBe(false);
  });
});
