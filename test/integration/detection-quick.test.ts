/**
 * A quick run of the detection benchmark (`npm run detection -- --quick`) is for checking the bench or trying
 * a rule change: it prints its figures and writes them under a gitignored directory it names, and leaves the
 * committed data/detection-figures.json and docs/detection.md as they are (before, a quick run replaced them
 * with figures too few to quote). Runs the built bench (dist/bench/detection/run.js) with one scenario per kind.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DETECTION_FIGURES_FILE, DETECTION_PAGE_FILE, detectionOutputs, type DetectionFigures } from '../../bench/detection/figures.js';
import { requireBinary } from '../helpers/binaries.js';

const ROOT = new URL('../../', import.meta.url);
const RUN = fileURLToPath(new URL('dist/bench/detection/run.js', ROOT));
const path = (relative: string): string => fileURLToPath(new URL(relative, ROOT));
if (!existsSync(RUN) && process.env['CI'] === 'true') throw new Error(`CI=true and ${RUN} is missing: run npm run build first`);

describe.skipIf(requireBinary('promtool') === undefined || !existsSync(RUN))('npm run detection -- --quick', () => {
  it('prints its figures and writes them to .tmp/detection-quick/, never over the committed figures and page', () => {
    const committed = [DETECTION_FIGURES_FILE, DETECTION_PAGE_FILE].map((file) => readFileSync(path(file), 'utf8'));
    const quick = detectionOutputs('quick');
    for (const file of [quick.figures, quick.page]) rmSync(path(file), { force: true });

    const run = spawnSync(process.execPath, [RUN, '--quick=1'], { cwd: path('.'), encoding: 'utf8', timeout: 120_000 });
    expect(run.status, run.stderr).toBe(0);

    expect([DETECTION_FIGURES_FILE, DETECTION_PAGE_FILE].map((file) => readFileSync(path(file), 'utf8'))).toEqual(committed);
    const figures = JSON.parse(readFileSync(path(quick.figures), 'utf8')) as DetectionFigures;
    expect(figures.mode).toBe('quick');
    expect(figures.setup.perKind).toBe(1);
    expect(readFileSync(path(quick.page), 'utf8')).toContain('**Quick mode**');
    // It names where it wrote, and prints one line per fault kind.
    expect(run.stderr).toContain(quick.figures);
    for (const kind of figures.kinds) expect(run.stdout).toMatch(new RegExp(`^${kind.kind}: median .*, precision .*, false alerts .* per 1,000 healthy node-hours$`, 'm'));
    // The directory is one git ignores: nothing of a quick run can be committed by accident.
    expect(spawnSync('git', ['check-ignore', '-q', quick.figures], { cwd: path('.') }).status).toBe(0);
  });

  it('refuses a malformed scenario count instead of running a full bench', () => {
    const run = spawnSync(process.execPath, [RUN, '--quick=none'], { cwd: path('.'), encoding: 'utf8', timeout: 60_000 });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('--quick=none: expected --quick or --quick=N');
  });
});
