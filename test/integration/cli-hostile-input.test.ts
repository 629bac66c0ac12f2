/**
 * Outside input is hostile (issue 19 §4), through the built CLI as a user runs it: files named in the
 * configuration that are not plain files or are huge, a key of any length, a deployment directory with a
 * planted symbolic link, credentials bound for a gateway in clear text.
 */
import { execFileSync } from 'node:child_process';
import { linkSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli-runner.js';

const dir = mkdtempSync(join(tmpdir(), 'persia-hostile-input-'));
const fifo = join(dir, 'pipe');
execFileSync('mkfifo', [fifo]);

/** A run of `check` that must end quickly with exit 2 and one error line naming `file`. */
async function refused(args: readonly string[], env: NodeJS.ProcessEnv, file: string): Promise<string> {
  const started = Date.now();
  const result = await runCli(['check', ...args], { PERSIA_GLOBAL_CONFIG: '', ...env }, { timeoutMs: 10_000 });
  expect(result.code).toBe(2);
  expect(Date.now() - started).toBeLessThan(10_000);
  const lines = result.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toContain(`persia-metrics: error: ${file}:`);
  return lines[0] ?? '';
}

describe('files named in the configuration', () => {
  it('check --config on a device or a FIFO exits 2 at once, refusing it unread', async () => {
    expect(await refused(['--config', '/dev/zero'], {}, '/dev/zero')).toMatch(/character device, not a regular file/);
    expect(await refused(['--config', fifo], {}, fifo)).toMatch(/FIFO \(named pipe\), not a regular file/);
  });

  it('a config file over 1 MiB is refused with the limit named', async () => {
    const big = join(dir, 'big.yaml');
    writeFileSync(big, `PersiaMetricsConfig:\n  job_name: x\n#${'x'.repeat(1024 * 1024)}\n`);
    expect(await refused(['--config', big], {}, big)).toMatch(/larger than 1 MiB/);
  });

  it('secret and CA files get the same reader: a device, a FIFO, a huge secret', async () => {
    const user = { PERSIA_METRICS_BASIC_AUTH_USERNAME: 'u' };
    expect(await refused([], { ...user, PERSIA_METRICS_BASIC_AUTH_PASSWORD_FILE: '/dev/zero' }, '/dev/zero')).toMatch(/secret file is a character device/);
    expect(await refused([], { PERSIA_METRICS_TLS_CA_FILE: fifo }, fifo)).toMatch(/tls_ca_file is a FIFO/);
    const huge = join(dir, 'huge-secret');
    writeFileSync(huge, 's'.repeat(65 * 1024));
    const line = await refused([], { ...user, PERSIA_METRICS_BASIC_AUTH_PASSWORD_FILE: huge }, huge);
    expect(line).toMatch(/secret file is larger than 64 KiB/);
    expect(line).not.toContain('sss');
  });

  it('an unknown 100,000-character key is a typed error naming the key clipped, not a RegExp crash', async () => {
    const file = join(dir, 'huge-key.yaml');
    writeFileSync(file, `PersiaMetricsConfig:\n  ${'k'.repeat(100_000)}: 1\n`);
    const line = await refused(['--config', file], {}, file);
    expect(line).toMatch(/unknown key "k+\.\.\. \(100000 characters\)"/);
    expect(line.length).toBeLessThan(1000);
    expect(line).not.toMatch(/regular expression/i);
  });
});

describe('init --dir with planted symbolic links', () => {
  it('refuses to write through a link at a file or a directory, with or without --force, and leaves the target untouched', async () => {
    const root = mkdtempSync(join(tmpdir(), 'persia-init-links-'));
    const outside = join(root, 'outside');
    mkdirSync(outside);
    writeFileSync(join(outside, 'victim'), 'ORIGINAL\n');
    const deploy = join(root, 'deploy');
    mkdirSync(deploy);
    symlinkSync(join(outside, 'victim'), join(deploy, 'docker-compose.yml'));
    for (const force of [[], ['--force']]) {
      const result = await runCli(['init', '--dir', deploy, '--job', 'links', ...force]);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/refusing to write through .*docker-compose\.yml: it is a symbolic link/);
    }
    // A directory on the way: files would land in the outside directory.
    const second = join(root, 'deploy2');
    mkdirSync(second);
    symlinkSync(outside, join(second, 'config'));
    for (const force of [[], ['--force']]) {
      const result = await runCli(['init', '--dir', second, '--job', 'links', ...force]);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/refusing to write through .*config: it is a symbolic link/);
    }
    expect(readFileSync(join(outside, 'victim'), 'utf8')).toBe('ORIGINAL\n');
    expect(readdirSync(outside)).toEqual(['victim']);
    // Nothing was written beside the link either: all or nothing.
    expect(readdirSync(deploy)).toEqual(['docker-compose.yml']);
    expect(readdirSync(second)).toEqual(['config']);
  });
});

describe('init --force over a planted hard link', () => {
  it('replaces the link with a new file and leaves the file outside DIR it shared its content with as it was', async () => {
    const root = mkdtempSync(join(tmpdir(), 'persia-init-hardlink-'));
    const outside = join(root, 'outside');
    mkdirSync(outside);
    writeFileSync(join(outside, 'precious'), 'PRECIOUS\n');
    const deploy = join(root, 'deploy');
    expect((await runCli(['init', '--dir', deploy, '--job', 'first'])).code).toBe(0);
    const compose = join(deploy, 'docker-compose.yml');
    unlinkSync(compose);
    linkSync(join(outside, 'precious'), compose);
    const result = await runCli(['init', '--dir', deploy, '--job', 'second', '--force']);
    expect(result.code).toBe(0);
    expect(readFileSync(join(outside, 'precious'), 'utf8')).toBe('PRECIOUS\n');
    expect(statSync(join(outside, 'precious')).nlink).toBe(1);
    expect(readFileSync(compose, 'utf8')).toContain('second');
    // No temporary file is left beside what was written.
    expect(readdirSync(deploy).filter((name) => name.startsWith('.'))).toEqual([]);
    expect(readdirSync(outside)).toEqual(['precious']);
  });
});

describe('init --dir naming something that is not a directory', () => {
  it('refuses a regular file (and a path below one) with the typed refusal and exit 2, leaving the file as it was', async () => {
    const root = mkdtempSync(join(tmpdir(), 'persia-init-file-'));
    const file = join(root, 'not-a-dir');
    writeFileSync(file, 'KEEP\n');
    for (const target of [file, join(file, 'below')]) {
      const result = await runCli(['init', '--dir', target, '--job', 'x']);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/refusing to write through .*not-a-dir.*: it is (a file where a directory belongs|below a file)/);
      expect(result.stderr).not.toMatch(/ENOTDIR|lstat/);
      const json = await runCli(['init', '--dir', target, '--job', 'x', '--json']);
      expect(json.code).toBe(2);
      expect((JSON.parse(json.stdout) as { error: { code: string } }).error.code).toBe('PERSIA_INIT_UNSAFE_PATH');
    }
    expect(readFileSync(file, 'utf8')).toBe('KEEP\n');
    // The directory itself may be a link the user named: init writes into what it names.
    const real = join(root, 'real');
    mkdirSync(real);
    symlinkSync(real, join(root, 'named-link'));
    expect((await runCli(['init', '--dir', join(root, 'named-link'), '--job', 'x'])).code).toBe(0);
    expect(readdirSync(real)).toContain('docker-compose.yml');
  });
});

describe('init --dir that cannot be created (found by a README-only session)', () => {
  it('a directory whose parent takes no new entries (/proc) ends at once with exit 2, not a spin at 100 % CPU', async () => {
    const started = Date.now();
    const result = await runCli(['init', '--dir', '/proc/persia-init-test/sub', '--job', 'x'], {}, { timeoutMs: 10_000 });
    expect(result.code, result.stderr).toBe(2);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(result.stderr).toMatch(/--dir: cannot create or read the directory .*proc\/persia-init-test \(ENOENT\)/);
  });

  it('a link to nothing on the way is refused by name with exit 2, not a bare ENOENT', async () => {
    const root = mkdtempSync(join(tmpdir(), 'persia-init-dangling-'));
    symlinkSync(join(root, 'missing'), join(root, 'dangling'));
    const result = await runCli(['init', '--dir', join(root, 'dangling', 'sub'), '--job', 'x', '--json']);
    expect(result.code, result.stderr).toBe(2);
    const error = (JSON.parse(result.stdout) as { error: { code: string; message: string } }).error;
    expect(error.code).toBe('PERSIA_INIT_UNSAFE_PATH');
    expect(error.message).toMatch(/refusing to write through .*dangling: it is a symbolic link to nothing/);
    expect(readdirSync(root)).toEqual(['dangling']);
    // Directories that are missing on the way are still created.
    expect((await runCli(['init', '--dir', join(root, 'a', 'b'), '--job', 'x'])).code).toBe(0);
    expect(readdirSync(join(root, 'a', 'b'))).toContain('docker-compose.yml');
  });

  it('--second-job naming the same job as --job exits 2 and writes nothing', async () => {
    const root = mkdtempSync(join(tmpdir(), 'persia-init-second-'));
    const result = await runCli(['init', '--dir', join(root, 'out'), '--job', 'dlrm', '--second-job', 'dlrm']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--second-job "dlrm" is the job of --job/);
    expect(readdirSync(root)).toEqual([]);
  });
});

describe('credentials to a gateway in clear text', () => {
  const password = join(dir, 'password');
  writeFileSync(password, 'pw\n');
  const auth = { PERSIA_METRICS_BASIC_AUTH_USERNAME: 'u', PERSIA_METRICS_BASIC_AUTH_PASSWORD_FILE: password, PERSIA_GLOBAL_CONFIG: '' };
  const warning = /warning: basic auth .* is sent in clear text to http:\/\/gateway\.example\.invalid:9091/;

  it('check warns once for a non-loopback http gateway (never contacted), not for loopback or https', async () => {
    const exposed = await runCli(['check'], { ...auth, PERSIA_METRICS_GATEWAY_ADDR: 'gateway.example.invalid:9091,127.0.0.1:9091' });
    expect(exposed.code).toBe(0);
    expect(exposed.stderr.match(new RegExp(warning.source, 'g'))).toHaveLength(1);
    expect(exposed.stderr).not.toContain('127.0.0.1:9091 (gateway_addr');
    for (const address of ['127.0.0.1:9091', 'localhost:9091', 'https://gateway.example.invalid:9091']) {
      const quiet = await runCli(['check'], { ...auth, PERSIA_METRICS_GATEWAY_ADDR: address });
      expect(quiet.code).toBe(0);
      expect(quiet.stderr).not.toMatch(/clear text/);
    }
  });
});
