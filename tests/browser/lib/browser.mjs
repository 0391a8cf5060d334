// Debian's Chromium driven by playwright-core (nothing here downloads a browser), and the checks every test makes
// on a page: no console error, no uncaught exception.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';

/** CHROMIUM overrides the browser binary; Debian's package installs /usr/bin/chromium. */
export const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';

export async function launchBrowser() {
  assert.ok(existsSync(chromiumPath), `no Chromium at ${chromiumPath} (apt-get install chromium, or set CHROMIUM)`);
  return chromium.launch({ executablePath: chromiumPath });
}

/**
 * Collects a page's console errors and uncaught exceptions.
 * @returns {{list: string[]}}
 */
export function watchErrors(page) {
  const list = [];
  page.on('console', (m) => {
    if (m.type() === 'error') {
      const loc = m.location();
      list.push(`console.error: ${m.text()}${loc?.url ? ` (${loc.url}:${loc.lineNumber})` : ''}`);
    }
  });
  page.on('pageerror', (e) => list.push(`pageerror: ${e.stack || e.message}`));
  return { list };
}

// The lines Chromium itself logs when a connection fails (not the page's own code): "Failed to load resource:
// net::ERR_…" and "WebSocket connection to '…' failed: …". Only tests that cut the connection or kill the server on
// purpose may ignore them.
export const NETWORK_DOWN = [
  /^console\.error: Failed to load resource: net::ERR_/,
  /^console\.error: WebSocket connection to '[^']+' failed/,
];
// The line Chromium logs for an HTTP error answer ("… responded with a status of 401 (Unauthorized)"): only for
// tests that provoke that status on purpose.
export const httpStatus = (...codes) =>
  codes.map((c) => new RegExp(`^console\\.error: Failed to load resource: the server responded with a status of ${c}\\b`));

/** Asserts that no error was collected except those matching `allowed`. */
export function assertNoErrors(watch, allowed = []) {
  const bad = watch.list.filter((line) => !allowed.some((re) => re.test(line)));
  assert.deepEqual(bad, [], `the page logged errors:\n${bad.join('\n')}`);
}
