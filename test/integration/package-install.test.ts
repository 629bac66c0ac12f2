/**
 * Issue 16 §1, the way a user gets the library into an application: `npm pack` of this checkout, the
 * tarball installed as a training node installs it (`npm install --omit=optional`) into a fresh application
 * folder outside the repository, and programs there that import `persia-metrics` by its name (an ES module,
 * a CommonJS module, TypeScript compiled for CommonJS and for NodeNext) pushing to the real Pushgateway;
 * then the installed `persia-metrics` binary, which has no dockerode in that install.
 *
 * Needs `npm run build` first: the tarball is packed from this checkout's dist/ with --ignore-scripts (its
 * `prepare` would rebuild dist/ under the other test files that run it). npm installs the dependencies from
 * its cache (--prefer-offline), filled by this checkout's own `npm ci`.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPushgateway, type RunningPushgateway } from '../../src/local-stack/pushgateway-process.js';
import { requireBinary } from '../helpers/binaries.js';
import { parseExposition, seriesKey } from '../helpers/parse-exposition.js';
import { killUserPrograms, nodeEnv, runUserCommand, runUserProgram, type UserProgramExit } from '../helpers/user-program.js';

const REPO = resolve(import.meta.dirname, '../..');
const TSC = join(REPO, 'node_modules/typescript/bin/tsc');
const execFileAsync = promisify(execFile);
const gatewayInstalled = requireBinary('prometheus-pushgateway') !== undefined;

/** npm as a user runs it: without the npm_* variables of the `npm test` that may have started vitest. */
async function npm(args: readonly string[], cwd: string): Promise<string> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.toLowerCase().startsWith('npm_')));
  try {
    return (await execFileAsync('npm', args, { cwd, env, maxBuffer: 16 * 1024 * 1024 })).stdout;
  } catch (error) {
    const failed = error as { stderr?: string; message: string };
    throw new Error(`npm ${args.join(' ')} failed in ${cwd}: ${failed.stderr ?? failed.message}`, { cause: error });
  }
}

/** `tsc -p <project>` in `dir` with this checkout's TypeScript; the exit code and what it printed. */
async function tsc(dir: string, project: string): Promise<{ code: number; output: string }> {
  try {
    const { stdout } = await execFileAsync(process.execPath, [TSC, '-p', project], { cwd: dir });
    return { code: 0, output: stdout };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof failed.code === 'number' ? failed.code : -1, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
}

/**
 * A tsconfig for `files` under `module`: strict; @types/node as a user installs it beside. The library's
 * declaration files (and zod's and undici's behind them) are checked in full under nodenext only, the
 * setting the README recommends: that check is most of tsc's time, and the other settings are about
 * resolution (under commonjs zod's own declarations need esModuleInterop or skipLibCheck: both are set,
 * as `tsc --init` sets them).
 */
function tsconfig(module: string, files: readonly string[], extra: Record<string, unknown> = {}): string {
  const moduleResolution = module === 'commonjs' ? 'node10' : module === 'esnext' ? 'bundler' : module;
  return JSON.stringify({
    compilerOptions: {
      module,
      moduleResolution,
      target: 'es2022',
      strict: true,
      outDir: `out-${module}`,
      typeRoots: [join(REPO, 'node_modules/@types')],
      types: ['node'],
      skipLibCheck: module !== 'nodenext',
      ...extra,
    },
    files,
  });
}

const ESM_PROGRAM = `import { startNodeMetrics } from 'persia-metrics';
const metrics = startNodeMetrics();
metrics.counter('nan_count').labels('f').inc(Number(process.argv[2]));
await metrics.shutdown();
console.log('pushed');
`;

const COMMONJS_PROGRAM = `const { startNodeMetrics } = require('persia-metrics');
const { startPushgateway } = require('persia-metrics/local-stack');
const metrics = startNodeMetrics();
metrics.counter('nan_count').labels('f').inc(Number(process.argv[2]));
metrics.shutdown().then(() => console.log('pushed', 'local-stack', typeof startPushgateway));
`;

/** Typed use of the library: an unresolved or untyped import fails to compile under strict. */
const TYPESCRIPT_PROGRAM = `import { startNodeMetrics, type NodeMetrics, type PersiaErrorCode } from 'persia-metrics';
import type { RunningPushgateway } from 'persia-metrics/local-stack';
const metrics: NodeMetrics = startNodeMetrics();
const stopped: PersiaErrorCode = 'PERSIA_NODE_STOPPED';
const address: RunningPushgateway['address'] | undefined = process.env['PERSIA_METRICS_GATEWAY_ADDR'];
metrics.counter('nan_count').labels('f').inc(Number(process.argv[2]));
void metrics.shutdown().then(() => console.log('pushed', address !== undefined, stopped));
`;

/**
 * Typed use that needs nothing of Node's own types: the library's declarations must not either (found by a
 * new-user session: `NodeJS.Signals` in shutdown-signals.d.ts failed with TS2503 once `types` was empty).
 */
const NO_NODE_TYPES_PROGRAM = `import { startNodeMetrics, handleShutdownSignals, type ShutdownSignal } from 'persia-metrics';
import { startPushgateway } from 'persia-metrics/local-stack';
const signals: ShutdownSignal[] = ['SIGTERM', 'SIGINT'];
const metrics = startNodeMetrics({ options: { enableMetrics: false } });
handleShutdownSignals(metrics, { signals });
await metrics.shutdown();
export const started = typeof startPushgateway;
`;

describe.skipIf(!gatewayInstalled)('the packed tarball installed into an application (issue 16 §1)', () => {
  let workDir: string;
  let app: string;
  let gateway: RunningPushgateway;

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'persia-install-'));
    const [packed] = JSON.parse(await npm(['pack', '--ignore-scripts', '--json', '--pack-destination', workDir], REPO)) as [{ filename: string }];
    app = join(workDir, 'training-app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'training-app', version: '1.0.0', private: true }));
    await npm(['install', '--omit=optional', '--prefer-offline', '--no-audit', '--no-fund', join(workDir, packed.filename)], app);
    gateway = await startPushgateway();
  });
  afterAll(async () => {
    killUserPrograms();
    await gateway?.stop();
    if (workDir !== undefined) rmSync(workDir, { recursive: true, force: true });
  });

  /** nan_count{feature="f"} of `job`'s trainer rep_0 in the gateway. */
  async function pushed(job: string): Promise<number | undefined> {
    return parseExposition(await gateway.metricsText()).samples.get(seriesKey('nan_count', { feature: 'f', instance: 'rep_0', job, role: 'trainer' }));
  }

  function expectPushed(exit: UserProgramExit): void {
    expect(exit.code, exit.stderr).toBe(0);
    expect(exit.stdout).toContain('pushed');
  }

  it("brings the library's own dependencies only: no dockerode (ssh2, cpu-features), no prom-client", () => {
    const lock = JSON.parse(readFileSync(join(app, 'node_modules/.package-lock.json'), 'utf8')) as { packages: Record<string, unknown> };
    const installed = Object.keys(lock.packages)
      .map((path) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length))
      .sort();
    // The README's Install section gives this count and its size: change both together.
    expect(installed).toEqual(['argparse', 'commander', 'js-yaml', 'persia-metrics', 'undici', 'uplot', 'yaml', 'zod']);
  });

  it('an ES module and a CommonJS module import it by name and push to the real gateway', async () => {
    const [esm, commonjs] = await Promise.all([
      runUserProgram(ESM_PROGRAM, { dir: app, fileName: 'esm-program.mjs', args: ['3'], env: nodeEnv(gateway.address, 'install_esm') }),
      runUserProgram(COMMONJS_PROGRAM, { dir: app, fileName: 'commonjs-program.cjs', args: ['5'], env: nodeEnv(gateway.address, 'install_commonjs') }),
    ]);
    expectPushed(esm);
    expectPushed(commonjs);
    expect(commonjs.stdout).toContain('local-stack function');
    expect(await pushed('install_esm')).toBe(3);
    expect(await pushed('install_commonjs')).toBe(5);
  });

  // tsc is CPU-bound: five compilations on a shared 2-core machine get more than the default minute.
  it('TypeScript resolves the types under module commonjs, nodenext and bundler; the compiled programs push', { timeout: 120_000 }, async () => {
    writeFileSync(join(app, 'program.ts'), TYPESCRIPT_PROGRAM);
    writeFileSync(join(app, 'tsconfig.commonjs.json'), tsconfig('commonjs', ['program.ts'], { esModuleInterop: true }));
    writeFileSync(join(app, 'tsconfig.nodenext.json'), tsconfig('nodenext', ['program.ts']));
    writeFileSync(join(app, 'tsconfig.bundler.json'), tsconfig('esnext', ['program.ts'], { noEmit: true }));
    const compiled = await Promise.all(['commonjs', 'nodenext', 'bundler'].map((module) => tsc(app, `tsconfig.${module}.json`)));
    for (const { code, output } of compiled) expect(code, output).toBe(0);

    const [commonjs, nodenext] = await Promise.all([
      runUserCommand(app, 'out-commonjs/program.js', { args: ['7'], env: nodeEnv(gateway.address, 'install_ts_commonjs') }),
      runUserCommand(app, 'out-nodenext/program.js', { args: ['11'], env: nodeEnv(gateway.address, 'install_ts_nodenext') }),
    ]);
    expectPushed(commonjs);
    expectPushed(nodenext);
    expect(await pushed('install_ts_commonjs')).toBe(7);
    expect(await pushed('install_ts_nodenext')).toBe(11);
  });

  // TypeScript 6 and later default `types` to none; the library's declarations are checked in full (no skipLibCheck).
  it('under nodenext with "types": [] and no skipLibCheck the declarations compile: they need no @types/node', { timeout: 120_000 }, async () => {
    writeFileSync(join(app, 'no-node-types.mts'), NO_NODE_TYPES_PROGRAM);
    writeFileSync(join(app, 'tsconfig.no-node-types.json'), tsconfig('nodenext', ['no-node-types.mts'], { types: [], skipLibCheck: false, noEmit: true }));
    const { code, output } = await tsc(app, 'tsconfig.no-node-types.json');
    expect(code, output).toBe(0);
  });

  it('under module node16 an ES module file compiles; a CommonJS file gets TS1479, as the README says', { timeout: 120_000 }, async () => {
    writeFileSync(join(app, 'program.mts'), TYPESCRIPT_PROGRAM);
    writeFileSync(join(app, 'program.cts'), TYPESCRIPT_PROGRAM);
    writeFileSync(join(app, 'tsconfig.node16-esm.json'), tsconfig('node16', ['program.mts'], { noEmit: true }));
    writeFileSync(join(app, 'tsconfig.node16-cjs.json'), tsconfig('node16', ['program.cts'], { noEmit: true }));
    const [esm, commonjs] = await Promise.all([tsc(app, 'tsconfig.node16-esm.json'), tsc(app, 'tsconfig.node16-cjs.json')]);
    expect(esm.code, esm.output).toBe(0);
    expect(commonjs.code).not.toBe(0);
    expect(commonjs.output).toContain('TS1479');
  });

  it('the installed persia-metrics binary prints its version and help; discover --help works without dockerode, discover itself says what to install', async () => {
    const bin = 'node_modules/.bin/persia-metrics';
    const help = await runUserCommand(app, bin, { args: ['--help'] });
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toContain('Usage: persia-metrics');

    const { version } = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const printed = await runUserCommand(app, bin, { args: [flag] });
      expect(printed.code, printed.stderr).toBe(0);
      expect(printed.stdout.trim()).toBe(version);
    }

    const discoverHelp = await runUserCommand(app, bin, { args: ['discover', '--help'] });
    expect(discoverHelp.code, discoverHelp.stderr).toBe(0);
    expect(discoverHelp.stdout).toContain('Usage: persia-metrics discover');

    const discover = await runUserCommand(app, bin, { args: ['discover', '--print', '--json'] });
    expect(discover.code).toBe(2);
    expect(JSON.parse(discover.stdout)).toMatchObject({ error: { code: 'PERSIA_DEPENDENCY_MISSING' } });
    expect(discover.stderr).toContain('npm install dockerode');
  });
});
