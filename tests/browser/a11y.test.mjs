// Usable by everyone: an axe-core audit (WCAG 2.1 A/AA and best practices: names and roles, labels, contrast,
// landmarks, headings) of every main screen in the light and the dark theme and at phone width, and a keyboard-only
// path through the page. axe is evaluated over the DevTools protocol, which the page's CSP does not govern, so the
// page under audit is the page users get.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { browser, server, useServerAndBrowser } from './lib/suite.mjs';
import { PASSWORD, newEmail } from '../lib/api.mjs';
import { assertNoErrors } from './lib/browser.mjs';
import { openApp, runLi, sendMessage, signIn, uploadThrough, waitRunStatus } from './lib/ui.mjs';
import { usageCsv } from '../lib/usage.mjs';

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

useServerAndBrowser();

async function audit(page, screen) {
  if (!(await page.evaluate(() => Boolean(window.axe)))) await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
    });
    return result.violations.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 4).map((n) => n.target.join(' ')).join(' | ')}`);
  });
  assert.deepEqual(violations, [], `${screen}: accessibility violations`);
}

for (const colorScheme of ['light', 'dark']) {
  test(`axe audit, ${colorScheme} theme: sign-in, data request, upload summary, report with charts, phone width`, async () => {
    const { context, page, errors } = await openApp(browser, server.url, { colorScheme, viewport: { width: 1280, height: 900 } });
    try {
      await audit(page, 'sign-in');
      await signIn(page, newEmail(`a11y-${colorScheme}`), PASSWORD, 'register');
      await audit(page, 'empty workspace');

      const ask = await sendMessage(page, 'How can we cut our LLM costs?');
      await waitRunStatus(page, ask, 'completed');
      await runLi(page, ask).locator('.data-request').waitFor();
      await audit(page, 'data request');

      const usage = usageCsv();
      await uploadThrough(page, runLi(page, ask).locator('.data-request button.upload'),
        { name: 'usage.csv', mimeType: 'text/csv', buffer: Buffer.from(usage.csv) });
      await audit(page, 'upload summary');

      const full = await sendMessage(page, 'Here is our usage log. How can we cut our LLM costs?');
      await waitRunStatus(page, full, 'completed');
      await runLi(page, full).locator('figure.chart[data-chart="daily"] svg').waitFor();
      await audit(page, 'report with figures and charts');

      await page.setViewportSize({ width: 390, height: 844 });
      await audit(page, 'phone width');
      await page.locator('#toggle-threads').click();
      await page.locator('#threads').waitFor({ state: 'visible' });
      await audit(page, 'phone width, threads open');
      assertNoErrors(errors);
    } finally {
      await context.close();
    }
  });
}

test('keyboard only: skip link, threads, composer and dialogs are reachable and in order', async () => {
  const { context, page, errors } = await openApp(browser, server.url);
  try {
    await signIn(page, newEmail('keys'), PASSWORD, 'register');
    const first = await sendMessage(page, 'We spend $40k/month on GPT-4o for customer support.');
    await waitRunStatus(page, first, 'completed');

    // Freshly loaded (the thread from the URL, so nothing takes focus), the first Tab lands on the skip link, which
    // takes focus to the message box.
    await page.reload();
    await page.locator('#thread-list li.current').waitFor();
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.className), 'skip');
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'message');

    // Tab order from the top of the page: header, threads, conversation, composer.
    await page.reload();
    await page.locator('#thread-list li.current').waitFor();
    const order = [];
    while (!order.includes('send') && order.length < 200) {
      await page.keyboard.press('Tab');
      order.push(await page.evaluate(() => {
        const a = document.activeElement;
        return a.id || a.className || a.tagName.toLowerCase();
      }));
    }
    const at = (name) => order.findIndex((x) => x.split(' ').includes(name) || x === name);
    for (const name of ['sign-out', 'new-thread', 'open', 'message', 'attach', 'policy', 'send']) {
      assert.ok(at(name) >= 0, `${name} is not reachable by Tab (order: ${order.join(', ')})`);
    }
    assert.ok(at('sign-out') < at('new-thread') && at('new-thread') < at('open') && at('open') < at('message') &&
      at('message') < at('attach') && at('attach') < at('send'), `tab order: ${order.join(', ')}`);

    // The rename dialog traps focus in its form and Escape closes it, giving focus back.
    await page.locator('#thread-list li.current button.open').focus();
    await page.keyboard.press('F2');
    await page.locator('#rename-dialog[open]').waitFor();
    assert.equal(await page.evaluate(() => document.activeElement.id), 'rename-input');
    await page.keyboard.press('Escape');
    await page.locator('#rename-dialog').waitFor({ state: 'hidden' });
    assertNoErrors(errors);
  } finally {
    await context.close();
  }
});
