/**
 * Label values come from whoever pushed to the gateway (issue 19 §4): a pushed instance
 * `\r\e[1A\e[2Kmiddleware  rep_0` must not repaint the STALE row above it as a running node in the
 * operator's terminal. The built CLI against a real Pushgateway: status, expire and end-job print such a
 * value escaped, never raw.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../src/local-stack/wait-for.js';
import { requireBinary } from '../helpers/binaries.js';
import { runCli } from '../helpers/cli-runner.js';
import { usePushgateway } from '../helpers/pushgateway-fixture.js';

const servers = requireBinary('prometheus-pushgateway') !== undefined;
const HOSTILE = '\r\u001b[1A\u001b[2Kmiddleware  rep_0';
// Anything a terminal would obey: C0 (but the newline that ends a line), DEL, C1.
// eslint-disable-next-line no-control-regex
const STEERING = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

describe.skipIf(!servers)('label values a pusher chose, in the operator terminal', () => {
  const gateway = usePushgateway();

  beforeAll(async () => {
    const put = async (role: string, instance: string): Promise<void> => {
      const encoded = Buffer.from(instance).toString('base64url');
      const response = await fetch(`${gateway.url}/metrics/job/hostile/role/${role}/instance@base64/${encoded}`, {
        method: 'PUT',
        // A 0.1 s interval: expire judges a node by its own pace, so its group is old enough within ~1.2 s.
        body: 'persia_node_incarnation 5\npersia_node_push_interval_seconds 0.1\n',
      });
      expect(response.status).toBe(200);
    };
    await put('middleware', 'rep_0');
    await put('trainer', HOSTILE);
  });

  it('status shows the value escaped, and every row stays where it is', async () => {
    const result = await runCli(['status', '--job', 'hostile', '--gateway', gateway.address, '--stale-after', '0.001']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).not.toMatch(STEERING);
    expect(result.stdout).toContain('\\r\\e[1A\\e[2Kmiddleware  rep_0');
    expect(result.stdout).toMatch(/^middleware\s+rep_0\s.*STALE/m);
    expect(result.stdout).toMatch(/^trainer\s+\\r\\e\[1A.*STALE/m);
  });

  it('expire and end-job name the group escaped', async () => {
    const expire = await waitFor(
      async () => {
        const run = await runCli(['expire', '--gateway', gateway.address, '--after', '1s', '--include-other-pushers', '--dry-run']);
        return run.stdout.includes('would delete job="hostile" role="trainer"') && run;
      },
      { timeoutMs: 15_000, intervalMs: 200, what: 'the groups older than 1 s' },
    );
    expect(expire.stdout).not.toMatch(STEERING);
    expect(expire.stdout).toContain('instance="\\r\\u001b[1A\\u001b[2Kmiddleware  rep_0"');

    const endJob = await runCli(['end-job', '--job', 'hostile', '--gateway', gateway.address, '--dry-run']);
    expect(endJob.code, endJob.stderr).toBe(0);
    expect(endJob.stdout + endJob.stderr).not.toMatch(STEERING);
  });
});
