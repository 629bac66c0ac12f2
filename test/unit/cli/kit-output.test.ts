/**
 * What the CLI prints (src/cli/kit/output.ts, program.ts, until-signal.ts): table cells cannot steer the
 * terminal, `--version` prints the package's version, and the one run-until-signal loop stops cleanly at
 * the first SIGINT/SIGTERM and at once at the second, all in-process.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { escapeControl, formatTable, quoted, ShownCell } from '../../../src/cli/kit/output.js';
import { bytesQuoted } from '../../../src/gateway/label-bytes.js';
import { runUntilSignal, sleepUnlessStopped } from '../../../src/cli/kit/until-signal.js';
import { packageVersion } from '../../../src/cli/kit/version.js';
import { contextForTest, runInProcess, signalsForTest } from '../../helpers/in-process-cli.js';

const HOSTILE_INSTANCE = '\r\u001b[1A\u001b[2Kmiddleware  rep_0';

describe('table cells', () => {
  it('a pushed instance value that would repaint the row above is shown, not obeyed', () => {
    const table = formatTable(
      ['ROLE', 'INSTANCE', 'STATE'],
      [
        ['middleware', 'rep_0', 'STALE'],
        ['trainer', HOSTILE_INSTANCE, 'running'],
      ],
    );
    // eslint-disable-next-line no-control-regex
    expect(table).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    expect(table.split('\n')).toHaveLength(4);
    expect(table).toContain('trainer     \\r\\e[1A\\e[2Kmiddleware  rep_0  running');
  });

  it('C1 controls, DEL and bidirectional overrides are escaped too; ordinary text is unchanged', () => {
    expect(escapeControl('a\u009b2Jb\u007fc\u202ed')).toBe('a\\u009b2Jb\\u007fc\\u202ed');
    expect(escapeControl('dlrm_v1.0 rep_1 µs ü')).toBe('dlrm_v1.0 rep_1 µs ü');
    expect(quoted('job\u009b')).toBe('"job\\u009b"');
  });

  it('format characters, separators and the backslash itself: every different text shows differently', () => {
    const cells = formatTable(['V'], [['n1'], ['n1\u200b'], ['n1\u00ad'], ['n1\u2028'], ['n1\u00a0'], ['n\u001b'], ['n\\e'], ['n1\u{e0001}']])
      .split('\n')
      .slice(2);
    expect(cells).toEqual(['n1', 'n1\\u200b', 'n1\\u00ad', 'n1\\u2028', 'n1\\u00a0', 'n\\e', 'n\\\\e', 'n1\\udb40\\udc01']);
    expect(quoted('n\u001b')).not.toBe(quoted('n\\e'));
    expect(quoted('n1\u200b')).toBe('"n1\\u200b"');
    // A cell shown where it was made is printed as it is; a long value is clipped to its start and length.
    expect(formatTable(['V'], [[new ShownCell('x\\xff')]]).split('\n')[2]).toBe('x\\xff');
    expect(formatTable(['V'], [['v'.repeat(500)]]).split('\n')[2]).toBe(`${'v'.repeat(79)}… (500 characters)`);
  });

  it('a label value by its bytes: a byte that is not UTF-8, a real U+FFFD and the text backslash-x read apart', () => {
    expect(bytesQuoted(Uint8Array.from([0x78, 0xff]))).toBe('"x\\xff"');
    expect(bytesQuoted(Buffer.from('x\uFFFD'))).toBe('"x\uFFFD"');
    expect(bytesQuoted(Buffer.from('x\\xff'))).toBe('"x\\\\xff"');
    expect(bytesQuoted(Buffer.from('y'.repeat(200)))).toBe(`"${'y'.repeat(79)}… (200 bytes)"`);
  });
});

describe('--version', () => {
  const version = (JSON.parse(readFileSync(join(import.meta.dirname, '../../../package.json'), 'utf8')) as { version: string }).version;

  it.each([['--version'], ['-V']])('%s prints the version of package.json and exits 0', async (flag) => {
    const result = await runInProcess([flag]);
    expect(result).toEqual({ code: 0, out: `${version}\n`, err: '' });
  });

  it('is found from a compiled file deeper in the package (dist/src/cli/kit)', () => {
    expect(packageVersion(join(import.meta.dirname, '../../../dist/src/cli/kit'))).toBe(version);
  });

  it('help lists it', async () => {
    expect((await runInProcess(['--help'])).out).toContain('-V, --version');
  });
});

describe('run until SIGINT/SIGTERM', () => {
  it('the first signal aborts the work, saying so; the second exits at once with 128 + its number', async () => {
    const signals = signalsForTest();
    const { context, output } = contextForTest({ signals });
    let sweeps = 0;
    const run = runUntilSignal(
      context,
      async (stop) => {
        while (!stop.aborted) {
          sweeps += 1;
          await sleepUnlessStopped(3600, stop);
        }
        return 'done';
      },
      { first: 'stopping after the sweep in progress', again: 'stopped at once' },
    );
    await signals.listening();
    signals.send('SIGTERM');
    await expect(run).resolves.toBe('done');
    expect(sweeps).toBe(1);
    expect(output().err).toBe('persia-metrics: SIGTERM: stopping after the sweep in progress\n');
    expect(signals.send('SIGINT')).toBe(false); // no longer listening once the work is done

    const hung = runUntilSignal(context, () => new Promise<never>(() => {}), { again: 'stopped at once' });
    await signals.listening();
    signals.send('SIGINT');
    signals.send('SIGINT');
    expect(output().exitedNow).toBe(130);
    expect(output().err).toContain('persia-metrics: SIGINT again: stopped at once\n');
    void hung;
  });

  it('a short command does not listen: a Ctrl-C ends it as Node does', async () => {
    const signals = signalsForTest();
    await runInProcess(['explain'], { signals });
    expect(signals.send('SIGINT')).toBe(false);
  });
});
