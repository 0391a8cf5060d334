// Steps through the web UI by its DOM contract (ids, classes and data-* attributes the UI promises), shared by the
// tests and the screenshot script.
import assert from 'node:assert/strict';
import { watchErrors } from './browser.mjs';

/** A fresh context (own localStorage) and page at `url`, its errors collected. */
export async function openApp(browser, url, contextOptions = {}) {
  const context = await browser.newContext(contextOptions);
  const page = await context.newPage();
  const errors = watchErrors(page);
  await page.goto(url);
  return { context, page, errors };
}

/** Signs in (or registers) through the form; resolves once the WebSocket is connected. */
export async function signIn(page, email, password, mode = 'login') {
  await page.locator('#email').fill(email);
  await page.locator('#password').fill(password);
  await page.locator(`#signin button[value="${mode}"]`).click();
  await page.locator('#signin').waitFor({ state: 'hidden' });
  await waitConnected(page);
}

export async function waitConnected(page, timeout = 15_000) {
  await page.locator('#connection[data-state="connected"]').waitFor({ timeout });
}

/** Run ids shown in the timeline, in order. */
export function runIds(page) {
  return page.$$eval('#timeline li.run[data-run-id]', (lis) => lis.map((li) => li.dataset.runId).filter(Boolean));
}

/**
 * Types `text` into the composer and sends it (clicking #send, or pressing Enter); resolves with the id of the run
 * that appears for it.
 */
export async function sendMessage(page, text, { via = 'click' } = {}) {
  const before = await runIds(page);
  await page.locator('#message').fill(text);
  if (via === 'enter') await page.locator('#message').press('Enter');
  else await page.locator('#send').click();
  const handle = await page.waitForFunction(
    (known) => [...document.querySelectorAll('#timeline li.run[data-run-id]')]
      .map((li) => li.dataset.runId)
      .find((id) => id && !known.includes(id)),
    before,
    { timeout: 15_000 },
  );
  return handle.jsonValue();
}

export const runLi = (page, runId) => page.locator(`#timeline li.run[data-run-id="${runId}"]`);

export async function waitRunStatus(page, runId, status, timeout = 60_000) {
  await page.locator(`#timeline li.run[data-run-id="${runId}"][data-status="${status}"]`).waitFor({ timeout });
}

/** The seqs the page says it applied to a run (data-seqs), as numbers. */
export async function appliedSeqs(page, runId) {
  const s = await runLi(page, runId).getAttribute('data-seqs');
  return s ? s.split(',').map(Number) : [];
}

/** The agents of the run's steps, in page order. */
export function stepAgents(page, runId) {
  return runLi(page, runId).locator('li.step[data-agent]').evaluateAll((lis) => lis.map((li) => li.dataset.agent));
}

/** [1, 2, …, n] */
export const oneTo = (n) => Array.from({ length: n }, (_, i) => i + 1);

/**
 * Checks the page applied exactly the run's stored events (1..last_seq, each once, in order) and shows one step per
 * agent_started, in the server's order.
 */
export async function assertRunMatchesServer(page, api, runId) {
  const events = await api.events(runId);
  const run = await api.run(runId);
  assert.deepEqual(events.map((e) => e.seq), oneTo(run.last_seq), 'the API\'s stored events are 1..last_seq');
  assert.deepEqual(await appliedSeqs(page, runId), oneTo(run.last_seq), `run ${runId}: data-seqs is not 1..${run.last_seq}`);
  const started = events.filter((e) => e.type === 'agent_started').map((e) => e.agent_name);
  assert.deepEqual(await stepAgents(page, runId), started, 'the steps are not the agents in agent_started order');
  return { events, run };
}

/**
 * Uploads a file through a button that opens the file picker (#file-input); resolves with the new dataset's id once
 * the upload summary shows it.
 */
export async function uploadThrough(page, buttonLocator, file) {
  const previous = await page.evaluate(() => document.querySelector('#upload-summary')?.dataset.datasetId ?? null);
  const chooserP = page.waitForEvent('filechooser', { timeout: 10_000 });
  await buttonLocator.click();
  const chooser = await chooserP;
  assert.equal(await chooser.element().getAttribute('id'), 'file-input', 'the picker is not #file-input');
  await chooser.setFiles(file);
  const handle = await page.waitForFunction(
    (prev) => {
      const id = document.querySelector('#upload-summary')?.dataset.datasetId;
      const bar = document.querySelector('#upload-progress');
      return id && id !== prev && bar?.dataset.state === 'done' ? id : null;
    },
    previous,
    { timeout: 30_000 },
  );
  return handle.jsonValue();
}

/** en-US money and percent, as the figures promise: $1,234.56 and 98.6% */
export const usd = (v) => v.toLocaleString('en-US', { style: 'currency', currency: 'USD', minimumFractionDigits: 2 });
export const pct = (v) => `${v.toLocaleString('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 })}%`;
