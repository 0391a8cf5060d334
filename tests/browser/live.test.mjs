// Runs in progress: cancelling one, a dropped connection mid-run, two tabs on one thread, a reload mid-run. A latency
// fault on the data helper's tool (the staging suite's SlowDataHelperFault) holds each run in progress long enough.
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { browser, server, useServerAndBrowser } from './lib/suite.mjs';
import { Api, PASSWORD, newEmail, slowDataHelper } from '../lib/api.mjs';
import { NETWORK_DOWN, assertNoErrors, watchErrors } from './lib/browser.mjs';
import { startProxy } from './lib/proxy.mjs';
import {
  appliedSeqs, assertRunMatchesServer, oneTo, openApp, runLi, sendMessage, signIn, waitConnected, waitRunStatus,
} from './lib/ui.mjs';

useServerAndBrowser();
// A fault left by a failed test must not slow the next one.
afterEach(async () => {
  const admin = new Api(server);
  await admin.clearFaults();
});

async function newUser(tag) {
  const api = new Api(server);
  const email = newEmail(tag);
  await api.register(email, PASSWORD);
  return { api, email };
}

test('cancel: #cancel stops the running run, in the page and on the server', async () => {
  const { api, email } = await newUser('cancel');
  const { context, page, errors } = await openApp(browser, server.url);
  try {
    await signIn(page, email, PASSWORD);
    await api.setFault(slowDataHelper(30_000));
    const runId = await sendMessage(page, 'How can we cut our LLM costs?');
    const run = runLi(page, runId);
    await run.locator('li.step[data-agent="data_helper"]').waitFor({ timeout: 15_000 });
    assert.equal(await run.getAttribute('data-status'), 'running');
    // A run going for more than 3 s says what it is doing.
    await run.locator('.agent-status').waitFor({ timeout: 8_000 });
    await page.locator('#cancel').click();
    await waitRunStatus(page, runId, 'cancelled', 15_000);
    assert.equal((await api.waitRunEnded(runId, 15_000)).status, 'cancelled');
    assert.equal((await api.run(runId)).status, 'cancelled');
    await page.locator('#cancel').waitFor({ state: 'hidden', timeout: 5_000 });
    await assertRunMatchesServer(page, api, runId);
    assertNoErrors(errors);
  } finally {
    await context.close();
  }
});

test('dropped connection mid-run: reconnects and resumes without a duplicate or a gap', async () => {
  const { api, email } = await newUser('drop');
  const proxy = await startProxy(server.port);
  const { context, page, errors } = await openApp(browser, proxy.url);
  try {
    await signIn(page, email, PASSWORD);
    await api.setFault(slowDataHelper(8_000));
    const runId = await sendMessage(page, 'How can we cut our LLM costs?');
    await runLi(page, runId).locator('li.step[data-agent="data_helper"]').waitFor({ timeout: 15_000 });
    // Every state #connection goes through from here on, with its text at that moment.
    await page.evaluate(() => {
      const el = document.getElementById('connection');
      window.__states = [];
      new MutationObserver(() => window.__states.push({ state: el.dataset.state, text: el.textContent }))
        .observe(el, { attributes: true, childList: true, characterData: true, subtree: true });
    });
    assert.ok(proxy.dropAll() >= 1, 'the page had no open connection through the proxy');
    assert.equal((await api.run(runId)).status, 'running', 'the run ended before the drop: the test proves nothing');
    await page.waitForFunction(() => window.__states.some((s) => s.state === 'reconnecting'), null, { timeout: 10_000 });
    const reconnecting = await page.evaluate(() => window.__states.find((s) => s.state === 'reconnecting'));
    assert.match(reconnecting.text, /reconnecting/i, '#connection says reconnecting in words too');
    await waitConnected(page);
    assert.match(await page.locator('#connection').innerText(), /connected/i);
    await waitRunStatus(page, runId, 'completed', 30_000);
    // Exactly 1..last_seq and each step once, in the server's order.
    await assertRunMatchesServer(page, api, runId);
    // The drop makes Chromium log its own network failure lines (the reset WebSocket, requests cut short): those
    // only are ignored here.
    assertNoErrors(errors, NETWORK_DOWN);
  } finally {
    await context.close();
    await proxy.close();
  }
});

test('two tabs on one thread: a message sent in one appears, with its run, in the other', async () => {
  const { api, email } = await newUser('tabs');
  const context = await browser.newContext(); // one context: both tabs share localStorage
  try {
    const tab1 = await context.newPage();
    const errors1 = watchErrors(tab1);
    await tab1.goto(server.url);
    await signIn(tab1, email, PASSWORD);
    const first = await sendMessage(tab1, 'How can we cut our LLM costs?');
    await waitRunStatus(tab1, first, 'completed');
    const threadId = (await api.run(first)).thread_id;
    await tab1.locator(`#thread-list li.current[data-thread-id="${threadId}"]`).waitFor();

    const tab2 = await context.newPage();
    const errors2 = watchErrors(tab2);
    await tab2.goto(server.url);
    await waitConnected(tab2); // signed in already, from the shared localStorage
    await tab2.locator(`#thread-list li[data-thread-id="${threadId}"] button.open`).click();
    await tab2.locator(`#thread-list li.current[data-thread-id="${threadId}"]`).waitFor();
    await waitRunStatus(tab2, first, 'completed');

    await api.setFault(slowDataHelper(4_000)); // so tab 2 must follow the run live (with room for a slow machine)
    const text = 'Sent from tab 1 while tab 2 watches';
    const second = await sendMessage(tab1, text);
    await waitRunStatus(tab2, second, 'running', 15_000);
    await tab2.locator('#timeline li.message.user[data-message-id]', { hasText: text }).waitFor({ timeout: 10_000 });
    await waitRunStatus(tab1, second, 'completed');
    await waitRunStatus(tab2, second, 'completed');
    const { run } = await assertRunMatchesServer(tab1, api, second);
    assert.deepEqual(await appliedSeqs(tab2, second), oneTo(run.last_seq), 'tab 2 applied other seqs');
    await assertRunMatchesServer(tab2, api, second);
    const user2 = tab2.locator('#timeline li.message.user[data-message-id]');
    assert.deepEqual(await user2.allInnerTexts(), ['How can we cut our LLM costs?', text]);
    assertNoErrors(errors1);
    assertNoErrors(errors2);
  } finally {
    await context.close();
  }
});

test('reload mid-run: the thread reopens with its history and the run continues to the end', async () => {
  const { api, email } = await newUser('reload');
  const { context, page, errors } = await openApp(browser, server.url);
  try {
    await signIn(page, email, PASSWORD);
    const first = await sendMessage(page, 'We spend $40k/month on GPT-4o for customer support.');
    await waitRunStatus(page, first, 'completed');
    await api.setFault(slowDataHelper(8_000));
    const runId = await sendMessage(page, 'How can we cut our LLM costs?');
    await runLi(page, runId).locator('li.step[data-agent="data_helper"]').waitFor({ timeout: 15_000 });
    const threadId = (await api.run(runId)).thread_id;

    await page.reload();
    assert.equal((await api.run(runId)).status, 'running', 'the run ended before the reload: the test proves nothing');
    await waitConnected(page);
    await page.locator(`#thread-list li.current[data-thread-id="${threadId}"]`).waitFor({ timeout: 10_000 });
    const users = page.locator('#timeline li.message.user[data-message-id]');
    await users.nth(1).waitFor();
    assert.deepEqual(await users.allInnerTexts(),
      ['We spend $40k/month on GPT-4o for customer support.', 'How can we cut our LLM costs?']);
    await waitRunStatus(page, first, 'completed');
    await waitRunStatus(page, runId, 'completed', 30_000);
    await assertRunMatchesServer(page, api, first);
    await assertRunMatchesServer(page, api, runId);
    assertNoErrors(errors);
  } finally {
    await context.close();
  }
});
