// A phone's width (390×844): nothing scrolls sideways, and the composer and the timeline are there and usable, the
// report's wide tables included.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { browser, server, useServerAndBrowser } from './lib/suite.mjs';
import { PASSWORD, newEmail } from '../lib/api.mjs';
import { assertNoErrors } from './lib/browser.mjs';
import { openApp, runLi, sendMessage, signIn, waitRunStatus } from './lib/ui.mjs';

useServerAndBrowser();

const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

async function assertNoSideScroll(page, when) {
  const [scrollWidth, innerWidth] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  assert.ok(scrollWidth <= innerWidth, `${when}: the page scrolls sideways (${scrollWidth} > ${innerWidth})`);
}

/** Visible and wholly inside the viewport's width. */
async function assertOnScreen(page, selector) {
  const el = page.locator(selector);
  assert.ok(await el.isVisible(), `${selector} is not visible`);
  const box = await el.boundingBox();
  assert.ok(box && box.x >= 0 && box.x + box.width <= 390 + 0.5, `${selector} sticks out: ${JSON.stringify(box)}`);
}

test('phone width: no sideways scroll; composer and timeline visible and usable', async () => {
  const { context, page, errors } = await openApp(browser, server.url, PHONE);
  try {
    await assertNoSideScroll(page, 'sign-in');
    await signIn(page, newEmail('phone'), PASSWORD, 'register');
    await assertNoSideScroll(page, 'signed in');
    for (const sel of ['#composer', '#message', '#send']) await assertOnScreen(page, sel);
    await page.locator('#message').tap();
    const runId = await sendMessage(page, 'How can we cut our LLM costs?');
    await waitRunStatus(page, runId, 'completed');
    await runLi(page, runId).locator('.report.markdown').waitFor();
    await assertOnScreen(page, '#timeline');
    await assertNoSideScroll(page, 'with a report');
    for (const sel of ['#message', '#send']) await assertOnScreen(page, sel);
    assertNoErrors(errors);
  } finally {
    await context.close();
  }
});
