/**
 * Regenerates docs/view.png (run by scripts/screenshot.sh after `npm run build`): starts `persia-metrics
 * demo` as a user would, opens the URL it prints first in Debian's chromium once the job has run for a
 * while (one middleware made a straggler with --slow), and saves a screenshot of the page. Usage: tsx test/screenshot/view-screenshot.ts [OUT.png]
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { launchChromium } from '../helpers/chromium.js';
import { CLI_MAIN } from '../helpers/cli-runner.js';

const out = process.argv[2] ?? join(import.meta.dirname, '../../docs/view.png');
/** Seconds of data before the picture: most of the page's 2-minute window. */
const RUN_SECONDS = 125;

const demo = spawn(process.execPath, [CLI_MAIN, 'demo', '--duration', String(RUN_SECONDS + 60), '--slow', 'middleware/rep_1=3'], { stdio: ['ignore', 'pipe', 'inherit'] });
let output = '';
demo.stdout.setEncoding('utf8').on('data', (text: string) => {
  output += text;
  process.stdout.write(text);
});
const exited = new Promise<void>((resolve) => demo.once('exit', () => resolve()));

try {
  let url: string | undefined;
  for (let waited = 0; url === undefined; waited += 200) {
    if (waited > 60_000 || demo.exitCode !== null) throw new Error(`the demo printed no view URL:\n${output}`);
    url = /^View:\s+(http:\/\/\S+)/m.exec(output)?.[1];
    await sleep(200);
  }
  process.stderr.write(`screenshot: waiting ${RUN_SECONDS} s for the job's data\n`);
  await sleep(RUN_SECONDS * 1000);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1440, height: 1600 }, deviceScaleFactor: 1 });
    await page.goto(`${url}&window=2m`);
    // Polled with evaluate (the page's CSP forbids the string eval of waitForFunction).
    const allDrawn = `[...document.querySelectorAll('.panel')].every((p) => p.dataset.state === 'data') && document.querySelectorAll('.panel').length > 0`;
    for (let waited = 0; !(await page.evaluate<boolean>(allDrawn)); waited += 500) {
      if (waited > 30_000) throw new Error('panels without data after 30 s');
      await sleep(500);
    }
    await sleep(1000);
    await page.screenshot({ path: out });
    process.stderr.write(`screenshot: wrote ${out}\n`);
  } finally {
    await browser.close();
  }
} finally {
  demo.kill('SIGINT');
  await Promise.race([exited, sleep(30_000)]);
  if (demo.exitCode === null) demo.kill('SIGKILL');
}
