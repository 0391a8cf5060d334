// The main path through the UI against a real server: register, ask, get a data request, upload a usage log through
// it, ask again with the dataset attached, watch the run live and read the report — every number on the page
// checked against what the server stored for the run.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { browser, server, useServerAndBrowser } from './lib/suite.mjs';
import { Api, PASSWORD, newEmail } from '../lib/api.mjs';
import { assertNoErrors } from './lib/browser.mjs';
import {
  assertRunMatchesServer, openApp, pct, runLi, sendMessage, signIn, uploadThrough, usd, waitRunStatus,
} from './lib/ui.mjs';
import { usageCsv } from '../lib/usage.mjs';

useServerAndBrowser();

const FIGURES = ['current_monthly_usd', 'projected_monthly_usd', 'savings_usd', 'savings_pct'];

test('register → message → data request → upload → live timeline → report with figures and charts', async () => {
  const email = newEmail('report');
  const { context, page, errors } = await openApp(browser, server.url);
  const api = new Api(server);
  try {
    await signIn(page, email, PASSWORD, 'register');
    await api.login(email, PASSWORD); // the same account, for checking the page against the API

    // A question without data: the data helper asks for a usage log with a checklist.
    const askRun = await sendMessage(page, 'How can we cut our LLM costs?');
    await waitRunStatus(page, askRun, 'completed');
    const ask = runLi(page, askRun);
    await ask.locator('.data-request').waitFor();
    const helper = await api.events(askRun, { type: 'agent_completed', agent: 'data_helper' });
    assert.equal(helper.length, 1, 'the data helper ran once');
    const items = helper[0].payload.result.data_request.categories.flatMap((c) => c.items);
    assert.equal(await ask.locator('.data-request input[type=checkbox]').count(), items.length,
      'one checkbox per item the data helper asked for');
    assert.notEqual((await ask.locator('.data-request .instructions').innerText()).trim(), '', 'no instructions');

    // Upload through the data request's button: the progress bar fills, the summary tells rows, the rejected line
    // and the detected format, and the dataset is attached to the next message.
    const usage = usageCsv();
    const datasetId = await uploadThrough(page, ask.locator('.data-request button.upload'),
      { name: 'usage.csv', mimeType: 'text/csv', buffer: Buffer.from(usage.csv) });
    const bar = page.locator('#upload-progress');
    const [value, max] = await bar.evaluate((p) => [p.value, p.max]);
    assert.ok(max > 0 && value === max, `the progress bar stopped at ${value}/${max}`);
    const stored = await api.dataset(datasetId);
    assert.equal(stored.rows, usage.rows);
    assert.equal(stored.rejected_rows, 1);
    assert.equal(stored.name, 'usage.csv', 'the dataset is named after the file');
    const summary = page.locator('#upload-summary');
    const digits = async (sel) => (await summary.locator(sel).innerText()).replace(/\D/g, '');
    assert.equal(await digits('.rows'), String(usage.rows), 'rows in the summary');
    assert.equal(await digits('.rejected'), '1', 'rejected rows in the summary');
    assert.match(await summary.locator('.format').innerText(), new RegExp(stored.format, 'i'));
    const lineErrors = await summary.locator('.errors li').allInnerTexts();
    assert.ok(lineErrors.some((t) => new RegExp(`line ${usage.badLine}\\b`).test(t)),
      `no "line ${usage.badLine}: …" in ${JSON.stringify(lineErrors)}`);
    await page.locator('#attachment').waitFor({ state: 'visible' });
    assert.equal((await page.locator('#attachment .name').innerText()).trim(), 'usage.csv');

    // Slow the profiling down so the run is visibly in progress while the data agent works.
    await api.setFault({ target: 'tool:profile_dataset', mode: 'latency', latency_ms: 2500, duration_s: 60 });
    let runId;
    try {
      runId = await sendMessage(page, 'Here is our usage log. How can we cut our LLM costs?');
      const run = runLi(page, runId);
      await run.locator('li.step[data-agent="data"]').waitFor({ timeout: 15_000 });
      assert.equal(await run.getAttribute('data-status'), 'running', 'the data step showed only after the run ended');
      assert.ok(await run.locator('li.step[data-agent="triage"]').isVisible(), 'the triage step is not shown live');
    } finally {
      await api.clearFaults();
    }
    await waitRunStatus(page, runId, 'completed');
    const { run: storedRun } = await assertRunMatchesServer(page, api, runId);
    const userMessages = (await api.messages(storedRun.thread_id)).filter((m) => m.role === 'user');
    assert.equal(userMessages.at(-1).dataset_id, datasetId, 'the message was not sent with the uploaded dataset');

    // The report: rendered markdown with tables, figures equal to the run's result, four charts.
    const run = runLi(page, runId);
    const report = run.locator('.report.markdown');
    await report.waitFor();
    assert.ok(await report.locator('table').count() >= 1, 'the report has no <table>');
    assert.doesNotMatch(await report.innerText(), /\|\s*---/, 'markdown table syntax shown raw');
    const [completed] = await api.events(runId, { type: 'run_completed' });
    const result = completed.payload.result;
    for (const key of FIGURES) {
      const fig = run.locator(`.figures [data-figure="${key}"]`);
      assert.equal(typeof result[key], 'number', `the run result has no ${key}`);
      const shown = Number(await fig.getAttribute('data-value'));
      assert.ok(Math.abs(shown - result[key]) <= 1e-9 * Math.max(1, Math.abs(result[key])),
        `${key}: data-value ${shown} ≠ ${result[key]}`);
      const text = await fig.innerText();
      const want = key === 'savings_pct' ? pct(result[key]) : usd(result[key]);
      assert.ok(text.includes(want), `${key}: "${text}" does not show ${want}`);
    }
    for (const chart of ['strategies', 'by_model', 'by_feature', 'daily']) {
      assert.ok(await run.locator(`figure.chart[data-chart="${chart}"] svg`).count() >= 1, `no ${chart} chart`);
    }
    const [data] = await api.events(runId, { type: 'agent_completed', agent: 'data' });
    const anomalies = data.payload.result.profile.anomalies.map((a) => a.date).sort();
    assert.ok(anomalies.includes(usage.spikeDate), `the profile misses the spike day: ${anomalies}`);
    const marked = await run.locator('figure.chart[data-chart="daily"] [data-anomaly]')
      .evaluateAll((els) => [...new Set(els.map((e) => e.dataset.anomaly))].sort());
    assert.deepEqual(marked, anomalies, 'the daily chart marks other days than the profile\'s anomalies');

    assertNoErrors(errors);
  } finally {
    await context.close();
  }
});

test('a run\'s applied events and steps equal the stored ones (Shift+Enter is a newline, Enter sends)', async () => {
  const email = newEmail('seqs');
  const api = new Api(server);
  await api.register(email, PASSWORD);
  const { context, page, errors } = await openApp(browser, server.url);
  try {
    await signIn(page, email, PASSWORD);
    const box = page.locator('#message');
    await box.fill('How can we cut');
    await box.press('Shift+Enter');
    await box.pressSequentially('our LLM costs?');
    assert.equal(await box.inputValue(), 'How can we cut\nour LLM costs?', 'Shift+Enter did not insert a newline');
    assert.equal(await page.locator('#timeline li.run').count(), 0, 'Shift+Enter sent the message');
    await box.press('Enter');
    const runId = await (await page.waitForFunction(
      () => document.querySelector('#timeline li.run[data-run-id]')?.dataset.runId, null, { timeout: 15_000 })).jsonValue();
    await waitRunStatus(page, runId, 'completed');
    assert.equal(await box.inputValue(), '', 'the composer was not cleared after sending');
    const user = page.locator('#timeline li.message.user[data-message-id]');
    assert.equal(await user.count(), 1);
    assert.equal(await user.innerText(), 'How can we cut\nour LLM costs?', 'the user message is not shown as sent');
    const { run } = await assertRunMatchesServer(page, api, runId);
    assert.equal(run.status, 'completed');
    const [message] = await api.messages(run.thread_id);
    assert.equal(message.content, 'How can we cut\nour LLM costs?');
    assert.equal(await user.getAttribute('data-message-id'), message.id);
    assertNoErrors(errors);
  } finally {
    await context.close();
  }
});

test('drag and drop: a usage log dropped on the conversation uploads with progress and is attached', async () => {
  const email = newEmail('drop');
  const api = new Api(server);
  await api.register(email, PASSWORD);
  const { context, page, errors } = await openApp(browser, server.url);
  try {
    await signIn(page, email, PASSWORD);
    const usage = usageCsv();
    // What a file dragged from the desktop delivers: a drop event whose DataTransfer holds the file.
    await page.evaluate(({ csv }) => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([csv], 'dropped.csv', { type: 'text/csv' }));
      const chat = document.getElementById('chat');
      for (const type of ['dragenter', 'dragover', 'drop']) {
        chat.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: transfer }));
      }
    }, { csv: usage.csv });
    const handle = await page.waitForFunction(() => {
      const bar = document.querySelector('#upload-progress');
      return bar?.dataset.state === 'done' ? document.querySelector('#upload-summary')?.dataset.datasetId : null;
    }, null, { timeout: 30_000 });
    const datasetId = await handle.jsonValue();
    const [value, max] = await page.locator('#upload-progress').evaluate((p) => [p.value, p.max]);
    assert.ok(max >= usage.csv.length && value === max, `the progress bar stopped at ${value}/${max}`);
    const stored = await api.dataset(datasetId);
    assert.equal(stored.name, 'dropped.csv');
    assert.equal(stored.rows, usage.rows);
    assert.equal((await page.locator('#attachment .name').innerText()).trim(), 'dropped.csv');
    assert.ok(await page.locator('#drop-hint').isHidden(), 'the drop hint stays after the drop');

    // The attachment goes with the next message: the run's data agent profiles exactly that dataset.
    const runId = await sendMessage(page, 'Where does the money go?');
    await waitRunStatus(page, runId, 'completed');
    const [data] = await api.events(runId, { type: 'agent_completed', agent: 'data' });
    assert.equal(data.payload.result.profile.rows, usage.rows);
    assert.ok(await page.locator('#attachment').isHidden(), 'the attachment stays after it was sent');
    assertNoErrors(errors);
  } finally {
    await context.close();
  }
});
