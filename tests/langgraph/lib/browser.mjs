// Debian's Chromium driven by playwright-core (nothing here downloads a browser), and the page checks of the
// browser suite (tests/browser/lib/browser.mjs) this suite needs: no console error, no uncaught exception. A copy
// rather than an import: that module resolves playwright-core from tests/browser/node_modules, which this suite's
// `npm ci` does not install.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';

/** CHROMIUM overrides the browser binary; Debian's package installs /usr/bin/chromium. */
export const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';

/** Why the browser tests cannot run here (a test's `skip` reason), or false. */
export const noChromium = existsSync(chromiumPath)
  ? false
  : `no Chromium at ${chromiumPath} (apt-get install chromium, or set CHROMIUM)`;

export const launchBrowser = () => chromium.launch({ executablePath: chromiumPath });

/** Collects a page's console errors and uncaught exceptions. */
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

export function assertNoErrors(watch) {
  assert.deepEqual(watch.list, [], `the page logged errors:\n${watch.list.join('\n')}`);
}
