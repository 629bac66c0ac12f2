/**
 * `simulate --slow ROLE/INSTANCE=FACTOR` and `--hang ROLE/INSTANCE[@SECONDS]` read a node the same way
 * (src/simulate/node-spec.ts): a bad node is a usage error (exit 2) naming the flag, what was expected and
 * what was found, the same words for both flags, before any node starts. In-process, through the command.
 */
import { describe, expect, it } from 'vitest';
import { PersiaMetricsError } from '../../../src/errors.js';
import { parseHungNode } from '../../../src/simulate/hung-nodes.js';
import { parseSlowNode } from '../../../src/simulate/slow-nodes.js';
import { runInProcess } from '../../helpers/in-process-cli.js';

const simulate = (flag: string, value: string): ReturnType<typeof runInProcess> => runInProcess(['simulate', flag, value, '--gateway', '127.0.0.1:1', '--duration', '1']);

describe('simulate --slow and --hang: one reading of ROLE/INSTANCE', () => {
  it.each([
    ['an unknown role', 'worker/rep_0', 'unknown role "worker" in "worker/rep_0', 'expected one of trainer, middleware, server'],
    ['no instance', 'server/', 'no instance in "server/', 'expected ROLE/INSTANCE'],
    ['no slash', 'server', 'expected ROLE/INSTANCE', 'found "server'],
  ])('%s: both flags exit 2 with the same words, naming the flag', async (_, node, first, second) => {
    for (const [flag, value] of [
      ['--slow', `${node}=3`],
      ['--hang', `${node}@3`],
    ] as const) {
      const result = await simulate(flag, value);
      expect(result.code, result.err).toBe(2);
      expect(result.err).toContain(`option '${flag} <spec>' argument '${value}' is invalid. ${flag}: `);
      expect(result.err).toContain(first);
      expect(result.err).toContain(second);
      expect(result.out).toBe('');
    }
  });

  it('the parsers throw a typed usage error (exit 2) that names the flag', () => {
    for (const parse of [() => parseSlowNode('worker/rep_0=3'), () => parseHungNode('server/@x')]) {
      let thrown: unknown;
      try {
        parse();
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(PersiaMetricsError);
      expect(thrown).toMatchObject({ code: 'PERSIA_DEPLOY_USAGE', exitCode: 2 });
      expect((thrown as Error).message).toMatch(/^--(slow|hang): /);
    }
  });

  it('each flag keeps its own value: a factor is required, seconds are not', () => {
    expect(parseHungNode('middleware/rep_1')).toEqual({ role: 'middleware', instance: 'rep_1', afterSeconds: 0 });
    expect(parseSlowNode('middleware/rep_1=2.5')).toEqual({ role: 'middleware', instance: 'rep_1', factor: 2.5 });
    expect(() => parseSlowNode('middleware/rep_1')).toThrow('--slow: expected ROLE/INSTANCE=FACTOR, e.g. middleware/rep_1=3, found "middleware/rep_1"');
    // An instance may hold the other flag's separator: only the flag's own one ends it.
    expect(parseHungNode('server/a=b@2')).toEqual({ role: 'server', instance: 'a=b', afterSeconds: 2 });
  });
});
