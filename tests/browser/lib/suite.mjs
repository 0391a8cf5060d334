// The server and the browser a test file shares: started before its tests, closed after them. Live bindings: a test
// reads `server` and `browser` once the hooks have run (node --test runs each file in a process of its own).
import { after, before } from 'node:test';
import { startServer } from '../../lib/server.mjs';
import { launchBrowser } from './browser.mjs';

export let server;
export let browser;

/** @param {object} [options] passed to startServer (e.g. {env: {…}}) */
export function useServerAndBrowser(options) {
  before(async () => {
    server = await startServer(options);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });
}
