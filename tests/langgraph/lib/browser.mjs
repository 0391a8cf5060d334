// Debian's Chromium driven by playwright-core (nothing here downloads a browser), and the page checks shared with the
// browser suite (tests/lib/page-errors.mjs). Not tests/browser/lib/browser.mjs itself: that module resolves
// playwright-core from tests/browser/node_modules, which this suite's `npm ci` does not install.
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';

/** CHROMIUM overrides the browser binary; Debian's package installs /usr/bin/chromium. */
export const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';

/** Why the browser tests cannot run here (a test's `skip` reason), or false. */
export const noChromium = existsSync(chromiumPath)
  ? false
  : `no Chromium at ${chromiumPath} (apt-get install chromium, or set CHROMIUM)`;

export const launchBrowser = () => chromium.launch({ executablePath: chromiumPath });

export { assertNoErrors, watchErrors } from '../../lib/page-errors.mjs';
