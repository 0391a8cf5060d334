// Screenshots of the web UI's main screens for docs/ui/ (or the directory given): sign-in, the data request, a live
// timeline, the report with its charts, a phone's width and the dark theme. It starts a server of its own on a temp
// directory, registers, uploads a generated usage log, runs a message, and overwrites the PNGs on every run.
// Usage: node screenshots.mjs [OUT_DIR]   (scripts/ui-screenshots.sh wraps it)
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Api, PASSWORD } from '../lib/api.mjs';
import { launchBrowser } from './lib/browser.mjs';
import { startServer } from '../lib/server.mjs';
import { openApp, runLi, sendMessage, signIn, uploadThrough, waitConnected, waitRunStatus } from './lib/ui.mjs';
import { usageCsv } from '../lib/usage.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.resolve(process.argv[2] ?? path.join(here, '../../docs/ui'));
mkdirSync(out, { recursive: true });
const DESKTOP = { viewport: { width: 1280, height: 860 } };
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };
const shot = async (page, name) => {
  await page.screenshot({ path: path.join(out, `${name}.png`) });
  console.log(`${path.join(out, `${name}.png`)}`);
};

/**
 * Brings `selector` (inside the run) to the top of its scrolling container only: Element.scrollIntoView would also
 * scroll the document and push the header off the shot.
 */
const scrollTo = (page, runId, selector) => page.evaluate(([id, sel]) => {
  const run = document.querySelector(`#timeline li.run[data-run-id="${id}"]`);
  const el = sel ? run?.querySelector(sel) : run;
  if (!el) return;
  let box = el.parentElement;
  while (box && !(box.scrollHeight > box.clientHeight && /(auto|scroll)/.test(getComputedStyle(box).overflowY))) {
    box = box.parentElement;
  }
  if (box) box.scrollTop += el.getBoundingClientRect().top - box.getBoundingClientRect().top - 8;
  window.scrollTo(0, 0);
}, [runId, selector]);
const scrollToFigures = (page, runId) => scrollTo(page, runId, '.figures');

/** Opens the same account and thread (the main page's URL names the open thread) in another size or theme. */
async function sameView(browser, main, options, runId) {
  const context = await browser.newContext({ ...options, storageState: await main.context().storageState() });
  const page = await context.newPage();
  await page.goto(main.url());
  await waitConnected(page);
  await waitRunStatus(page, runId, 'completed');
  return { context, page };
}

const server = await startServer();
const browser = await launchBrowser();
try {
  const email = 'dana@example.com';
  const api = new Api(server);
  const { context, page } = await openApp(browser, server.url, DESKTOP);
  await page.locator('#email').fill(email);
  await shot(page, 'sign-in');

  await signIn(page, email, PASSWORD, 'register');
  await api.login(email, PASSWORD);
  const ask = await sendMessage(page, 'How can we cut our LLM costs?');
  await waitRunStatus(page, ask, 'completed');
  await scrollTo(page, ask, '.data-request');
  await shot(page, 'data-request');

  const usage = usageCsv();
  await uploadThrough(page, runLi(page, ask).locator('.data-request button.upload'),
    { name: 'usage-2025-q3.csv', mimeType: 'text/csv', buffer: Buffer.from(usage.csv) });
  // Slow the profiling and the pricing down so the live timeline can be caught mid-run.
  await api.setFault({ target: 'tool:profile_dataset', mode: 'latency', latency_ms: 4_000, duration_s: 60 });
  const runId = await sendMessage(page, 'Here is our usage log for the last 20 days. Where does the money go?');
  await runLi(page, runId).locator('li.step[data-agent="data"]').waitFor({ timeout: 15_000 });
  await page.waitForTimeout(3_300); // past 3 s the run shows its agent status too
  await scrollTo(page, runId, null);
  await shot(page, 'live-timeline');
  await api.clearFaults();
  await waitRunStatus(page, runId, 'completed');
  await scrollTo(page, runId, '.report');
  await shot(page, 'report');
  await scrollToFigures(page, runId);
  await shot(page, 'report-charts');

  for (const [name, options] of [['phone', PHONE], ['dark', { ...DESKTOP, colorScheme: 'dark' }]]) {
    const view = await sameView(browser, page, options, runId);
    await scrollToFigures(view.page, runId);
    await shot(view.page, name);
    await view.context.close();
  }
  await context.close();
} finally {
  await browser.close();
  await server.stop();
}
