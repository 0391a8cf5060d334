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

export { assertNoErrors, watchErrors } from '../../lib/page-errors.mjs';

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
