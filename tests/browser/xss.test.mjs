// Nothing a user or a dataset puts in the page runs as script: a message, a dataset's name and feature names that
// reach the report's markdown tables and the charts are all shown as text.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { browser, server, useServerAndBrowser } from './lib/suite.mjs';
import { Api, PASSWORD, newEmail } from '../lib/api.mjs';
import { assertNoErrors } from './lib/browser.mjs';
import { openApp, runLi, sendMessage, signIn, uploadThrough, waitRunStatus } from './lib/ui.mjs';
import { usageCsv } from '../lib/usage.mjs';

useServerAndBrowser();

const MESSAGE = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=1">[click](javascript:window.__pwned=1)';
const FILE_NAME = '<img src=x onerror=window.__pwned=1>.csv';
const FEATURES = ['<img src=x onerror=window.__pwned=1>', '[click](javascript:window.__pwned=1)', 'support_chat'];

/** Script-capable markup found under the given containers: tags, on* attributes, javascript: links. */
function dangerous(page, selectors) {
  return page.evaluate((sels) => {
    const found = [];
    for (const sel of sels) {
      for (const root of document.querySelectorAll(sel)) {
        for (const el of [root, ...root.querySelectorAll('*')]) {
          const tag = el.tagName.toLowerCase();
          if (['script', 'iframe', 'object', 'embed'].includes(tag)) found.push(`${sel}: <${tag}>`);
          for (const attr of el.attributes) {
            if (/^on/i.test(attr.name)) found.push(`${sel}: <${tag} ${attr.name}>`);
            if (/^\s*javascript:/i.test(attr.value)) found.push(`${sel}: <${tag} ${attr.name}="${attr.value}">`);
          }
        }
      }
    }
    return found;
  }, selectors);
}

test('XSS: a message, a dataset name and feature names are shown as text, never run', async () => {
  const email = newEmail('xss');
  const api = new Api(server);
  await api.register(email, PASSWORD);
  const { context, page, errors } = await openApp(browser, server.url);
  try {
    await signIn(page, email, PASSWORD);
    const usage = usageCsv({ days: 8, perDay: 40, spikeDay: 5, badAfter: 100, features: FEATURES });
    const datasetId = await uploadThrough(page, page.locator('#attach'),
      { name: FILE_NAME, mimeType: 'text/csv', buffer: Buffer.from(usage.csv) });
    assert.equal((await api.dataset(datasetId)).name, FILE_NAME, 'the dataset is not named after the file');
    assert.equal(await page.locator('#attachment .name').innerText(), FILE_NAME, 'the chip does not show the name as is');
    // Checked now, while the upload summary is surely on screen (it may go once the message is sent).
    assert.deepEqual(await dangerous(page, ['#upload-summary', '#attachment']), []);

    const runId = await sendMessage(page, MESSAGE);
    await waitRunStatus(page, runId, 'completed');
    const user = page.locator('#timeline li.message.user[data-message-id]').last();
    assert.equal(await user.innerText(), MESSAGE, 'the message is not shown literally');
    // The feature names reach the report's tables and the by_feature chart: shown as the text they are.
    const report = runLi(page, runId).locator('.report.markdown');
    await report.waitFor();
    assert.ok((await report.innerText()).includes(FEATURES[0]), 'the report does not show the feature name as text');
    // An <img src=x> would have fired onerror by now; give it a moment to be sure.
    await page.waitForTimeout(500);
    assert.equal(await page.evaluate(() => window.__pwned), undefined, 'injected script ran');
    assert.deepEqual(await dangerous(page, ['#timeline', '#upload-summary', '#attachment', '#thread-list']), []);
    assertNoErrors(errors);
  } finally {
    await context.close();
  }
});
