/**
 * end-job and repair address, confirm and report a group by the exact bytes it was pushed under (issue 19
 * §1): the gateway's JSON API shows the byte 0xFF and a real U+FFFD alike, so a group of each beside the
 * other was deleted by the wrong path, the re-read could not tell which one was left, and both were
 * reported FAILED as `instance="\xff"`. The built CLI against a real Pushgateway, with its consistency
 * check on (the second push is refused, the group stays) and off (as shipped).
 */
import { describe, expect, it } from 'vitest';
import { requireBinary } from '../helpers/binaries.js';
import { runCli } from '../helpers/cli-runner.js';
import { usePushgateway } from '../helpers/pushgateway-fixture.js';

const servers = requireBinary('prometheus-pushgateway') !== undefined;

/** The instances, by their bytes, and how a line of the CLI must name each. */
const INSTANCES = [
  { bytes: Uint8Array.from([0xff]), shown: 'instance="\\xff"' },
  { bytes: Buffer.from('\uFFFD'), shown: 'instance="\uFFFD"' },
  { bytes: Buffer.from('\\xff'), shown: 'instance="\\\\xff"' },
];

describe.skipIf(!servers).each([
  ['with its consistency check', []],
  ['without its consistency check (as shipped)', ['--push.disable-consistency-check']],
])('groups the JSON API shows alike, on a real gateway %s', (_, extraArgs) => {
  const gateway = usePushgateway({ extraArgs });

  const put = async (job: string, instance: Uint8Array): Promise<void> => {
    const path = `/metrics/job/${job}/role/trainer/instance@base64/${Buffer.from(instance).toString('base64url') || '='}`;
    await fetch(`${gateway.url}${path}`, { method: 'PUT', body: '# TYPE foo gauge\nfoo 1\n' });
  };
  const instancesLeft = async (job: string): Promise<string[]> =>
    (await gateway.groups()).filter((group) => group.labels?.['job'] === job).map((group) => group.labels?.['instance'] ?? '');

  it('end-job deletes the byte 0xFF, the real U+FFFD and the text \\xff, each reported once by its own spelling', async () => {
    for (const { bytes } of INSTANCES) await put('alike', bytes);
    expect(await instancesLeft('alike')).toHaveLength(3);
    const result = await runCli(['end-job', '--job', 'alike', '--gateway', gateway.address]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain('job "alike": 3 of 3 groups deleted');
    expect(result.stdout).not.toContain('FAILED');
    const lines = result.stdout.split('\n').filter((line) => line.includes(' deleted job="alike"'));
    for (const { shown } of INSTANCES)
      expect(
        lines.filter((line) => line.includes(` ${shown} on `)),
        shown,
      ).toHaveLength(1);
    expect(await instancesLeft('alike')).toEqual([]);
  });

  it('repair deletes the group under the byte 0xFF and reports it deleted; the real U+FFFD beside it stays', async () => {
    await put('fixme', Uint8Array.from([0xff]));
    await put('fixme', Buffer.from('\uFFFD'));
    const result = await runCli(['repair', '--gateway', gateway.address]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain('1 of 1 group deleted; /metrics now answers 200');
    expect(result.stdout).toContain('job="fixme" role="trainer" instance="\\xff"');
    expect(result.stdout).not.toContain('FAILED');
    expect(await instancesLeft('fixme')).toEqual(['\uFFFD']);
  });
});
