/**
 * One real Pushgateway for the tests of a describe block (or a file): `usePushgateway()` registers the
 * beforeAll that starts it (src/local-stack/pushgateway-process.ts) and the afterAll that ends the users'
 * programs the tests started (test/helpers/user-program.ts) and then stops it, and returns the gateway.
 *
 * The returned object is usable as soon as the block's tests run: each member reads the gateway beforeAll
 * started (before that, reading one throws, naming the cause). A block that needs more servers (a
 * Prometheus scraping this gateway) registers its own beforeAll after this call: vitest runs beforeAll hooks
 * in order and afterAll hooks in reverse, so the gateway is up before that server and stops after it.
 */
import { afterAll, beforeAll } from 'vitest';
import { startPushgateway, type RunningPushgateway, type StartPushgatewayOptions } from '../../src/local-stack/pushgateway-process.js';
import { killUserPrograms } from './user-program.js';

export function usePushgateway(options: StartPushgatewayOptions = {}): RunningPushgateway {
  let started: RunningPushgateway | undefined;
  beforeAll(async () => {
    started = await startPushgateway(options);
  });
  afterAll(async () => {
    killUserPrograms();
    await started?.stop();
  });
  const gateway = (): RunningPushgateway => {
    if (started === undefined) throw new Error('the Pushgateway of usePushgateway() is read before its beforeAll started it (or after it failed to start)');
    return started;
  };
  return {
    get url() {
      return gateway().url;
    },
    get port() {
      return gateway().port;
    },
    get address() {
      return gateway().address;
    },
    stop: () => gateway().stop(),
    kill: () => gateway().kill(),
    pause: () => gateway().pause(),
    resume: () => gateway().resume(),
    restart: () => gateway().restart(),
    metricsText: () => gateway().metricsText(),
    groups: () => gateway().groups(),
    wipe: () => gateway().wipe(),
    output: () => gateway().output(),
  };
}
