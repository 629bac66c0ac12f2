/**
 * Every usage error has one shape on stderr, whoever finds it (src/cli/kit/output.ts, errorText): commander
 * while parsing (an unknown option, a value a flag parser refuses, an option given twice) or a command's action
 * (a UsageError): `persia-metrics: error: <message>` and the hint to --help, exit 2. `agent` printed both
 * shapes (its --scrape errors with the prefix, its --role and --max-scrape-bytes errors as commander's bare
 * `error:`, --role with the schema library's raw text), found by a README-only session. Nothing is contacted.
 */
import { describe, expect, it } from 'vitest';
import { runInProcess } from '../../helpers/in-process-cli.js';

const NOWHERE = '127.0.0.1:9';
const SCRAPE = 'http://127.0.0.1:9/metrics';
/** One line naming the problem, then the hint: nothing else (no stack, no second format). */
const USAGE_ERROR = /^persia-metrics: error: [^\n]+\n\(run with --help for usage\)\n$/;

describe('a usage error, found by commander or by the command', () => {
  it.each([
    [
      'agent --role unknown',
      ['agent', '--role', 'unknown', '--scrape', SCRAPE],
      `option '--role <role>' argument 'unknown' is invalid. expected trainer | middleware | server, found "unknown"`,
    ],
    ['agent --max-scrape-bytes 0', ['agent', '--role', 'trainer', '--scrape', SCRAPE, '--max-scrape-bytes', '0'], "option '--max-scrape-bytes <bytes>' argument '0' is invalid"],
    ['agent --scrape without a scheme', ['agent', '--role', 'trainer', '--scrape', '127.0.0.1:9/metrics'], "option '--scrape <url>' argument '127.0.0.1:9/metrics' is invalid"],
    ['agent without --scrape', ['agent', '--role', 'trainer'], 'agent needs at least one --scrape URL'],
    ['status, unknown option', ['status', '--bogus'], "unknown option '--bogus'"],
    ['status, an empty --job', ['status', '--job', '', '--gateway', NOWHERE], '--job is empty'],
    ['expire, a bad --after', ['expire', '--gateway', NOWHERE, '--after', 'soon'], "option '--after <duration>' argument 'soon' is invalid"],
    ['an unknown command', ['bogus'], "unknown command 'bogus'"],
  ])('%s: exit 2, one line in the one format, then the hint', async (_, args, message) => {
    const { code, err } = await runInProcess(args);
    expect(code, err).toBe(2);
    expect(err).toMatch(USAGE_ERROR);
    expect(err).toContain(`persia-metrics: error: ${message}`);
    expect(err).not.toContain('Invalid option');
  });

  it('an error that is not of the invocation (a config file that cannot be read) has the same prefix, no hint', async () => {
    const { code, err } = await runInProcess(['check', '--config', '/nonexistent/global_config.yaml']);
    expect(code, err).toBe(2);
    expect(err).toMatch(/^persia-metrics: error: [^\n]+\n$/);
  });
});
