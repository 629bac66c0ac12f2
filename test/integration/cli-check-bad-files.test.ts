/**
 * `persia-metrics check` on bad files, run as a user runs it (the built CLI): exit 2 and one readable line
 * naming the file, no stack trace, no secret. (Moved from test/unit/config/config-fuzz.test.ts: it needs a build.)
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configFileWriter } from '../helpers/config-files.js';

const write = configFileWriter('persia-check-bad-files-');

describe('persia-metrics check on bad files', () => {
  const MAIN = join(import.meta.dirname, '../../dist/src/cli/main.js');
  const bad = [
    '', // empty file
    'just a string\n',
    '- a\n- list\n',
    'other_section: {}\n',
    'PersiaMetricsConfig:\n  push_interval_sec: 10\n', // PersiaML's own misspelling
    'PersiaMetricsConfig:\n  push_interval_seconds: "ten"\n',
    'PersiaMetricsConfig:\n  push_interval_seconds: 1e999\n',
    'PersiaMetricsConfig:\n  job_name: [a, b]\n',
    'PersiaMetricsConfig:\n  bearer_token: t0ken-in-file\n',
    'PersiaMetricsConfig:\n\tjob_name: tab\n',
    'PersiaMetricsConfig: {job_name: x,\n',
  ];

  it.each(bad.map((text, index) => [index, text] as const))('bad file #%i: exit 2 and one readable line', (_index, text) => {
    const file = write(text);
    let status = 0;
    let stderr = '';
    try {
      execFileSync(process.execPath, [MAIN, 'check', '--config', file], { env: { ...process.env, PERSIA_GLOBAL_CONFIG: '' }, stdio: 'pipe' });
    } catch (error) {
      status = (error as { status: number }).status;
      stderr = String((error as { stderr: Buffer }).stderr);
    }
    expect(status).toBe(2);
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^persia-metrics: error: ${file.replace(/[.]/g, '\\.')}`));
    expect(stderr).not.toMatch(/at .*\.js:\d+|t0ken-in-file/); // no stack trace, no secret
  });
});
