// The thread list: create, rename, delete (each through its dialog) and keyboard navigation, every change checked
// against GET /api/threads.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { browser, server, useServerAndBrowser } from './lib/suite.mjs';
import { Api, PASSWORD, newEmail } from '../lib/api.mjs';
import { assertNoErrors } from './lib/browser.mjs';
import { openApp, sendMessage, signIn, waitRunStatus } from './lib/ui.mjs';

useServerAndBrowser();

/** Polls `fn` until it returns a truthy value (the UI's PATCH/DELETE land a moment after the click). */
async function eventually(fn, what, timeoutMs = 5_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    assert.ok(Date.now() < deadline, `never: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('threads: create, rename, delete and keyboard navigation, as the API sees them', async () => {
  const email = newEmail('threads');
  const api = new Api(server);
  await api.register(email, PASSWORD);
  const { context, page, errors } = await openApp(browser, server.url);
  try {
    await signIn(page, email, PASSWORD);
    const li = (id) => page.locator(`#thread-list > li[data-thread-id="${id}"]`);

    // Create three threads, each with one question.
    const threads = [];
    for (const q of ['First thread question', 'Second thread question', 'Third thread question']) {
      await page.locator('#new-thread').click();
      const runId = await sendMessage(page, q);
      await waitRunStatus(page, runId, 'completed');
      const id = (await api.run(runId)).thread_id;
      assert.ok(!threads.some((t) => t.id === id), 'a message after #new-thread went to an existing thread');
      await page.locator(`#thread-list > li.current[data-thread-id="${id}"]`).waitFor();
      threads.push({ id, q });
    }
    const listed = async () => page.$$eval('#thread-list > li[data-thread-id]', (lis) => lis.map((l) => l.dataset.threadId));
    const fromApi = await api.threads();
    assert.deepEqual(new Set(await listed()), new Set(fromApi.map((t) => t.id)), 'the list differs from the API');
    for (const t of fromApi) {
      assert.equal((await li(t.id).locator('button.open .title').innerText()).trim(), t.title, 'title differs');
      assert.equal(await li(t.id).locator('button.open time').count(), 1, 'no <time> in the thread button');
    }

    // Rename through the button and the dialog.
    const [a, b, c] = threads;
    const newTitle = 'Budget review <b>Q3</b>';
    await li(a.id).locator('button.rename').click();
    await page.locator('#rename-dialog').waitFor({ state: 'visible' });
    await page.locator('#rename-input').fill(newTitle);
    await page.locator('#rename-dialog button[value="save"]').click();
    await page.locator('#rename-dialog').waitFor({ state: 'hidden' });
    await eventually(async () => (await api.threads()).find((t) => t.id === a.id)?.title === newTitle,
      'the API has the new title');
    // The list may redraw a moment after the API has the title: wait for it, then compare exactly.
    await li(a.id).locator('.title', { hasText: newTitle }).waitFor({ timeout: 5_000 });
    assert.equal((await li(a.id).locator('.title').innerText()).trim(), newTitle, 'the new title is not shown as typed');

    // F2 opens the rename dialog on the focused thread; cancel changes nothing.
    const titleB = (await api.threads()).find((t) => t.id === b.id).title;
    await li(b.id).locator('button.open').focus();
    await page.keyboard.press('F2');
    await page.locator('#rename-dialog').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#rename-input').inputValue(), titleB, 'the dialog does not start from the title');
    await page.locator('#rename-input').fill('not saved');
    await page.locator('#rename-dialog button[value="cancel"]').click();
    await page.locator('#rename-dialog').waitFor({ state: 'hidden' });
    assert.equal((await api.threads()).find((t) => t.id === b.id).title, titleB, 'cancel renamed the thread');

    // The Delete key asks first; cancel keeps the thread.
    await li(c.id).locator('button.open').focus();
    await page.keyboard.press('Delete');
    await page.locator('#delete-dialog').waitFor({ state: 'visible' });
    await page.locator('#delete-dialog button[value="cancel"]').click();
    await page.locator('#delete-dialog').waitFor({ state: 'hidden' });
    assert.equal(await li(c.id).count(), 1);
    assert.ok((await api.threads()).some((t) => t.id === c.id), 'cancel deleted the thread');

    // Delete through the button and the dialog.
    await li(c.id).locator('button.delete').click();
    await page.locator('#delete-dialog').waitFor({ state: 'visible' });
    await page.locator('#delete-dialog button[value="delete"]').click();
    await li(c.id).waitFor({ state: 'detached' });
    await eventually(async () => !(await api.threads()).some((t) => t.id === c.id), 'the API no longer lists it');
    const gone = await api.request('GET', `/api/threads/${c.id}`, { raw: true });
    assert.equal(gone.status, 404);

    // Keyboard: ArrowDown/ArrowUp move between the thread buttons, Enter opens the focused one.
    const order = await listed();
    assert.equal(order.length, 2);
    assert.deepEqual(new Set(order), new Set([a.id, b.id]));
    const focusedThread = () => page.evaluate(() => {
      const el = document.activeElement;
      return el?.matches('button.open') ? el.closest('li[data-thread-id]').dataset.threadId : null;
    });
    await li(order[0]).locator('button.open').focus();
    await page.keyboard.press('ArrowDown');
    assert.equal(await focusedThread(), order[1], 'ArrowDown did not move to the next thread');
    await page.keyboard.press('ArrowUp');
    assert.equal(await focusedThread(), order[0], 'ArrowUp did not move back');
    const target = order[0] === a.id ? a : b;
    const other = target === a ? b : a;
    // Open the other thread by click first, so Enter visibly switches.
    await li(other.id).locator('button.open').click();
    await page.locator(`#thread-list > li.current[data-thread-id="${other.id}"]`).waitFor();
    await li(target.id).locator('button.open').focus();
    await page.keyboard.press('Enter');
    await page.locator(`#thread-list > li.current[data-thread-id="${target.id}"]`).waitFor();
    await page.locator('#timeline li.message.user', { hasText: target.q }).waitFor();
    assert.deepEqual(await page.locator('#timeline li.message.user').allInnerTexts(), [target.q]);
    assertNoErrors(errors);
  } finally {
    await context.close();
  }
});
