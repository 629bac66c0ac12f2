/**
 * Debian's chromium driven by playwright-core, which never downloads a browser: tests and
 * scripts/screenshot.sh launch /usr/bin/chromium (scripts/install-deps.sh installs it). Without chromium a
 * developer gets a skip; under `CI=true` the test fails instead.
 */
import { accessSync, constants } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_PATH = process.env['PERSIA_CHROMIUM'] ?? '/usr/bin/chromium';

/** True when chromium is installed; throws under CI=true when it is not. */
export function requireChromium(): boolean {
  try {
    accessSync(CHROMIUM_PATH, constants.X_OK);
    return true;
  } catch {
    if (process.env['CI'] === 'true') throw new Error(`CI=true and ${CHROMIUM_PATH} is missing: install it with apt-get install --no-install-recommends chromium`);
    return false;
  }
}

/** A headless chromium with a fresh profile (playwright's own temporary user-data-dir), no network of its own. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
