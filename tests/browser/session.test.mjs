// The session across tabs and the first messages of a conversation: two tabs renewing the same tokens at the same
// moment stay signed in (refresh tokens rotate; the tabs take turns under a Web Lock, and a token presented twice
// within the server's reuse grace window gets the same successor instead of revoking the session), and a second
// message sent before the first one's ack in a new conversation joins the first one's thread.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { browser, server, useServerAndBrowser } from './lib/suite.mjs';
import { Api, PASSWORD, newEmail } from '../lib/api.mjs';
import { assertNoErrors, watchErrors } from './lib/browser.mjs';
import { runIds, signIn, waitConnected, waitRunStatus } from './lib/ui.mjs';

// Access tokens of 65 s: the UI renews them a minute before expiry, so 5 s after a page loads.
useServerAndBrowser({ env: { NETRA_ACCESS_TOKEN_TTL_S: '65' } });

test('two tabs renewing their tokens at the same moment both stay signed in', async () => {
  const email = newEmail('tabs-refresh');
  const context = await browser.newContext();
  try {
    const tab1 = await context.newPage();
    const errors1 = watchErrors(tab1);
    await tab1.goto(server.url);
    await signIn(tab1, email, PASSWORD, 'register');
    const tab2 = await context.newPage();
    const errors2 = watchErrors(tab2);
    await tab2.goto(server.url);
    await waitConnected(tab2);
    const before = await tab1.evaluate(() => localStorage.getItem('netra.refresh'));
    // Both reload together: both schedule their renewal for the same moment, 5 s on.
    await Promise.all([tab1.reload(), tab2.reload()]);
    await Promise.all([waitConnected(tab1), waitConnected(tab2)]);
    await tab1.waitForFunction((old) => localStorage.getItem('netra.refresh') !== old, before, { timeout: 15_000 });
    await tab1.waitForTimeout(2_000); // the second tab's turn, had it renewed with the old token
    for (const [tab, name] of [[tab1, 'tab 1'], [tab2, 'tab 2']]) {
      assert.ok(await tab.locator('#workspace').isVisible(), `${name} was signed out`);
      assert.equal(await tab.locator('#signin-error').innerText(), '', `${name} shows a sign-in error`);
    }
    // The renewed tokens work: the API answers them and a message goes through from the second tab.
    const api = new Api(server);
    api.token = await tab2.evaluate(() => localStorage.getItem('netra.access'));
    assert.ok(Array.isArray(await api.threads()));
    await tab2.locator('#message').fill('Still signed in?');
    await tab2.locator('#send').click();
    await tab2.waitForFunction(() => document.querySelector('#timeline li.run[data-run-id]'), null, { timeout: 15_000 });
    const [runId] = await runIds(tab2);
    await waitRunStatus(tab2, runId, 'completed');
    assertNoErrors(errors1);
    assertNoErrors(errors2);
  } finally {
    await context.close();
  }
});

test('a new conversation: a second message sent before the first ack joins the same thread', async () => {
  const email = newEmail('two-quick');
  const api = new Api(server);
  await api.register(email, PASSWORD);
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = watchErrors(page);
  try {
    await page.goto(server.url);
    await signIn(page, email, PASSWORD);
    // Every database access slowed: the first ack cannot arrive before the second message is sent.
    await api.setFault({ target: 'database', mode: 'latency', latency_ms: 300, duration_s: 30 });
    try {
      for (const text of ['First question', 'Second question, right away']) {
        await page.locator('#message').fill(text);
        await page.locator('#message').press('Enter');
      }
      await page.waitForFunction(() => document.querySelectorAll('#timeline li.run[data-run-id]').length === 2, null,
        { timeout: 30_000 });
    } finally {
      await api.clearFaults();
    }
    const ids = await runIds(page);
    for (const id of ids) await waitRunStatus(page, id, 'completed');
    const threads = await api.threads();
    assert.equal(threads.length, 1, `the two messages made ${threads.length} threads`);
    const users = (await api.messages(threads[0].id)).filter((m) => m.role === 'user').map((m) => m.content);
    assert.deepEqual(users, ['First question', 'Second question, right away']);
    assertNoErrors(errors);
  } finally {
    await context.close();
  }
});
