// A chat UI built on useStream (@langchain/langgraph-sdk/react, the hook LangGraph's chat UIs use) in Debian's
// Chromium, against a fresh Netra's /langgraph: chat-ui/ is bundled by esbuild and served, with /langgraph proxied to
// Netra from the same origin, by lib/chat-ui-server.mjs. A person types and sends, sends again, stops, reloads; what
// the page shows and asks is checked against what Netra stored (GET /api/threads/{id}/messages, GET /api/runs/{id}
// and its events). Any console error or uncaught exception in the page fails the test. Without Chromium every test
// is skipped with the reason (the SDK tests of this suite still run).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Api, PASSWORD, newEmail, slowDataHelper } from '../lib/api.mjs';
import { startServer } from '../lib/server.mjs';
import { assertNoErrors, launchBrowser, noChromium, watchErrors } from './lib/browser.mjs';
import { startChatUi } from './lib/chat-ui-server.mjs';
import { until } from '../lib/until.mjs';

const skip = noChromium;
// With stated figures a run goes through triage, the data and optimization agents and reporting, and answers with a
// full report. (An uploaded dataset cannot be attached through /langgraph: its input is messages only.)
const QUESTION = 'We spend $40k/month on GPT-4o for customer support, 2M requests per month. How can we cut costs?';
const FOLLOW_UP = 'What about latency?';
// Without figures the data helper's tool (build_data_request) runs: slowed by a fault, it holds a run in progress.
const VAGUE = 'How can we cut our LLM costs?';

let server;
let api;
let ui;
let browser;

before(async () => {
  if (skip) return;
  server = await startServer();
  api = new Api(server);
  await api.register(newEmail('use-stream'), PASSWORD);
  ui = await startChatUi(server.url);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await ui?.close();
  await server?.stop();
});

/**
 * A fresh context (its own sessionStorage) on the chat UI, signed in as the suite's user, with the page's errors and
 * its requests to /langgraph ({method, path, body, lastEventId, at}) collected.
 */
async function openChat() {
  const context = await browser.newContext();
  // The graph id as the assistant, as a chat UI is usually configured (Netra takes it, as LangGraph does).
  await context.addInitScript((cfg) => { window.netraChat = cfg; }, { token: api.token, assistantId: 'netra' });
  const page = await context.newPage();
  const errors = watchErrors(page);
  const requests = [];
  page.on('request', (r) => {
    const { pathname } = new URL(r.url());
    if (!pathname.startsWith('/langgraph/')) return;
    requests.push({ method: r.method(), path: pathname, body: r.postData(), lastEventId: r.headers()['last-event-id'] });
  });
  await page.goto(ui.url);
  await page.locator('#composer').waitFor();
  return { context, page, errors, requests };
}

const attr = (page, name) => page.locator('#chat').getAttribute(name);
const posts = (requests) => requests.filter((r) => r.method === 'POST').map((r) => r.path);

/** Types `text` into the composer and clicks Send; resolves with the id of the run it started (useStream's onCreated). */
async function send(page, text) {
  const known = ((await attr(page, 'data-run-ids')) || '').split(',').filter(Boolean).length;
  await page.locator('#input').fill(text);
  await page.locator('#send').click();
  const handle = await page.waitForFunction(
    (n) => {
      const ids = (document.querySelector('#chat').dataset.runIds || '').split(',').filter(Boolean);
      return ids.length > n ? ids.at(-1) : null;
    },
    known,
    { timeout: 15_000 },
  );
  return handle.jsonValue();
}

async function waitIdle(page, timeout = 60_000) {
  await page.locator('#chat[data-loading="false"]').waitFor({ state: 'attached', timeout });
}

/** The messages on screen: [{type, id, text}]. */
function shownMessages(page) {
  return page.$$eval('#messages li.msg', (lis) =>
    lis.map((li) => ({ type: li.dataset.type, id: li.dataset.id, text: li.textContent })));
}

/** Netra's stored messages of a thread in LangChain's terms: [{type, text, runId}]. */
async function storedMessages(threadId) {
  const messages = await api.messages(threadId);
  return messages.map((m) => ({ type: m.role === 'user' ? 'human' : 'ai', text: m.content, runId: m.run_id }));
}

const typesAndTexts = (messages) => messages.map(({ type, text }) => ({ type, text }));

/** Resolves once the run is held in the slowed data helper's tool. */
const untilInSlowTool = (runId) =>
  until(async () => (await api.events(runId, { type: 'tool_executing' })).some((e) => e.payload.tool === 'build_data_request'),
    'the run to reach the data helper\'s tool');

test('a message sent from the UI: useStream creates the thread, streams the run, shows the stored report', { skip, timeout: 120_000 }, async () => {
  const { context, page, errors, requests } = await openChat();
  try {
    assert.equal(await attr(page, 'data-thread-id'), '');
    const runId = await send(page, QUESTION);
    await waitIdle(page);
    const threadId = await attr(page, 'data-thread-id');
    assert.ok(threadId, 'onThreadId gave no thread id');
    assert.equal(new URL(page.url()).searchParams.get('thread'), threadId);

    const run = await api.waitRunEnded(runId);
    assert.equal(run.status, 'completed');
    assert.equal(run.thread_id, threadId, 'the run is not on the thread useStream created');
    const stored = await storedMessages(threadId);
    assert.deepEqual(typesAndTexts(stored).map((m) => m.type), ['human', 'ai']);
    assert.equal(stored[0].text, QUESTION, 'the typed message is not the one Netra stored');
    assert.equal(stored[1].runId, runId);
    const agents = (await api.events(runId, { type: 'agent_completed' })).map((e) => e.agent_name);
    assert.ok(agents.includes('optimization') && agents.at(-1) === 'reporting', `not the full path: ${agents}`);

    const shown = await shownMessages(page);
    assert.deepEqual(typesAndTexts(shown), typesAndTexts(stored), 'the page does not show the stored thread');
    assert.equal(shown[1].id, `run-${runId}`);
    // isLoading: false, true while the run streamed, false once it ended. The answer grew on screen while loading
    // (several lengths of it were rendered): it came chunk by chunk, not in one piece at the end.
    assert.equal(await attr(page, 'data-loading-log'), 'false true false');
    const streamed = Number(await attr(page, 'data-streamed'));
    assert.ok(streamed > 1, `the answer was on screen at ${streamed} length(s) while loading: not streamed`);

    // What useStream asked: the thread created once, then one streamed run on it, in the modes the UI reads.
    assert.deepEqual(posts(requests), ['/langgraph/threads', `/langgraph/threads/${threadId}/runs/stream`]);
    const body = JSON.parse(requests.find((r) => r.path.endsWith('/runs/stream')).body);
    assert.deepEqual(body.input, { messages: [{ type: 'human', content: QUESTION }] });
    assert.deepEqual([...body.stream_mode].sort(), ['messages-tuple', 'values']);
    assertNoErrors(errors);
  } finally {
    await context.close();
  }
});

test('a second message in the same thread: both turns on screen, the thread id unchanged', { skip, timeout: 120_000 }, async () => {
  const { context, page, errors, requests } = await openChat();
  try {
    const first = await send(page, QUESTION);
    await waitIdle(page);
    const threadId = await attr(page, 'data-thread-id');
    const second = await send(page, FOLLOW_UP);
    await waitIdle(page);
    assert.notEqual(second, first);
    assert.equal(await attr(page, 'data-thread-id'), threadId, 'the thread id changed');
    assert.equal(new URL(page.url()).searchParams.get('thread'), threadId);
    assert.equal((await api.waitRunEnded(second)).status, 'completed');
    assert.equal((await api.run(second)).thread_id, threadId);

    const stored = await storedMessages(threadId);
    assert.deepEqual(stored.filter((m) => m.type === 'ai').map((m) => m.runId), [first, second]);
    const shown = await shownMessages(page);
    assert.deepEqual(shown.map((m) => m.type), ['human', 'ai', 'human', 'ai']);
    assert.deepEqual(typesAndTexts(shown), typesAndTexts(stored), 'the page does not show both stored turns');
    assert.equal(shown[2].text, FOLLOW_UP);
    assert.deepEqual([shown[1].id, shown[3].id], [`run-${first}`, `run-${second}`]);
    assert.equal(await attr(page, 'data-loading-log'), 'false true false true false');
    // One thread created; the second run went to it.
    assert.deepEqual(posts(requests), [
      '/langgraph/threads',
      `/langgraph/threads/${threadId}/runs/stream`,
      `/langgraph/threads/${threadId}/runs/stream`,
    ]);
    assertNoErrors(errors);
  } finally {
    await context.close();
  }
});

test('Stop (stream.stop()) mid-run: Netra cancels the run, the page stops loading and shows what was kept', { skip, timeout: 120_000 }, async () => {
  const { context, page, errors, requests } = await openChat();
  await api.setFault(slowDataHelper(10_000));
  try {
    const runId = await send(page, VAGUE);
    await untilInSlowTool(runId);
    assert.equal((await api.run(runId)).status, 'running');
    assert.equal(await attr(page, 'data-loading'), 'true');
    const threadId = await attr(page, 'data-thread-id');
    const t0 = Date.now();
    await page.locator('#stop').click();
    // Within the 10 s the tool is held: the stop, not the run's own end.
    const run = await api.waitRunEnded(runId, 8_000);
    assert.equal(run.status, 'cancelled');
    assert.ok(Date.now() - t0 < 5_000, `the cancel took ${Date.now() - t0} ms`);
    assert.equal((await api.events(runId)).at(-1).type, 'run_cancelled');
    const lgRun = await api.request('GET', `/langgraph/threads/${threadId}/runs/${runId}`);
    assert.equal(lgRun.status, 'interrupted');
    assert.ok(posts(requests).includes(`/langgraph/threads/${threadId}/runs/${runId}/cancel`),
      'stop() did not ask Netra to cancel the run');

    await waitIdle(page, 5_000);
    assert.equal(await attr(page, 'data-loading-log'), 'false true false');
    assert.equal(await page.locator('#stop').isDisabled(), true);
    const shown = await shownMessages(page);
    assert.equal(shown[0].text, VAGUE);
    assert.deepEqual(typesAndTexts(shown), typesAndTexts(await storedMessages(threadId)));
    assertNoErrors(errors);
  } finally {
    await api.clearFaults();
    await context.close();
  }
});

test('a reload mid-run: reconnectOnMount rejoins the run from the start and ends on the stored report', { skip, timeout: 120_000 }, async () => {
  const { context, page, errors, requests } = await openChat();
  await api.setFault(slowDataHelper(8_000));
  try {
    const runId = await send(page, VAGUE);
    await untilInSlowTool(runId);
    const threadId = await attr(page, 'data-thread-id');
    // useStream keeps the run in sessionStorage under its thread: what a reload finds.
    assert.equal(await page.evaluate((k) => sessionStorage.getItem(k), `lg:stream:${threadId}`), runId);

    const joinPath = `/langgraph/threads/${threadId}/runs/${runId}/stream`;
    const joined = page.waitForRequest((r) => r.method() === 'GET' && new URL(r.url()).pathname === joinPath);
    const sent = requests.length;
    await page.reload();
    const join = await joined;
    // Still held in the tool: the page rejoined a run in progress, not a finished one.
    assert.equal((await api.run(runId)).status, 'running', 'the run ended before the rejoin: the test proves nothing');
    assert.equal(join.headers()['last-event-id'], '-1', 'useStream rejoins from the start');
    await waitIdle(page);
    assert.equal(await attr(page, 'data-loading-log'), 'true false', 'the reloaded page was not loading while it rejoined');
    assert.equal(await attr(page, 'data-thread-id'), threadId);

    assert.equal((await api.waitRunEnded(runId)).status, 'completed');
    const stored = await storedMessages(threadId);
    assert.deepEqual(stored.map((m) => m.type), ['human', 'ai']);
    const shown = await shownMessages(page);
    assert.deepEqual(typesAndTexts(shown), typesAndTexts(stored), 'the page does not show the stored report');
    assert.equal(shown[1].id, `run-${runId}`);
    // No second run and no second thread: the reload only read the thread and joined.
    const after = requests.slice(sent);
    assert.deepEqual(posts(after), []);
    assert.deepEqual(after.filter((r) => r.path === joinPath).length, 1);
    assert.equal(await page.evaluate((k) => sessionStorage.getItem(k), `lg:stream:${threadId}`), null,
      'the finished run is still kept for a rejoin');
    assertNoErrors(errors);
  } finally {
    await api.clearFaults();
    await context.close();
  }
});
