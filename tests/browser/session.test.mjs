// The first messages of a conversation: a second message sent before the first one's ack in a new conversation joins
// the first one's thread.
// Not covered yet: two tabs renewing the same tokens at the same moment. The renewal takes turns across tabs (a Web
// Lock), yet a test of it signed a tab out in about one run of three under load, cause not found; and a page
// unloaded while its renewal is in flight loses the rotated token the server already issued, so the next renewal
// counts as reuse. A short reuse grace window on the server would answer both.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { browser, server, useServerAndBrowser } from './lib/suite.mjs';
import { Api, PASSWORD, newEmail } from '../lib/api.mjs';
import { assertNoErrors, watchErrors } from './lib/browser.mjs';
import { runIds, signIn, waitRunStatus } from './lib/ui.mjs';

useServerAndBrowser();

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
