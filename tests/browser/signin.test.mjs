// The sign-in form's errors, each against a real server answer: a wrong password, the login throttle (the wait the
// page shows is the server's own), and a server that is gone.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Api, PASSWORD, newEmail } from '../lib/api.mjs';
import { NETWORK_DOWN, assertNoErrors, httpStatus, launchBrowser } from './lib/browser.mjs';
import { startServer } from '../lib/server.mjs';
import { openApp, signIn } from './lib/ui.mjs';

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

async function submit(page, email, password, mode = 'login') {
  await page.locator('#email').fill(email);
  await page.locator('#password').fill(password);
  await page.locator(`#signin button[value="${mode}"]`).click();
}

/** Waits for #signin-error to say something; returns it. */
async function errorText(page) {
  const el = page.locator('#signin-error');
  await page.waitForFunction(() => document.getElementById('signin-error')?.textContent.trim() !== '', null,
    { timeout: 10_000 });
  assert.equal(await el.getAttribute('role'), 'alert');
  return el.innerText();
}

test('a wrong password is refused with a message; the right one signs in', async () => {
  const server = await startServer();
  const { context, page, errors } = await openApp(browser, server.url);
  try {
    const email = newEmail('wrong');
    await new Api(server).register(email, PASSWORD);
    await submit(page, email, 'not-the-password');
    assert.match(await errorText(page), /password/i);
    assert.ok(await page.locator('#signin').isVisible(), 'the sign-in form went away');
    await signIn(page, email, PASSWORD);
    assert.ok(await page.locator('#sign-out').isVisible());
    // The refused login's 401 makes Chromium log its own "Failed to load resource … 401" line: ignored.
    assertNoErrors(errors, httpStatus(401));
  } finally {
    await context.close();
    await server.stop();
  }
});

test('the login throttle: the page shows the server\'s real wait in seconds', async () => {
  const attempts = 3;
  const server = await startServer({ env: { NETRA_LOGIN_ATTEMPTS_PER_MINUTE: String(attempts) } });
  const { context, page, errors } = await openApp(browser, server.url);
  try {
    const email = newEmail('throttle');
    await new Api(server).register(email, PASSWORD);
    for (let i = 0; i < attempts; i++) {
      const answer = page.waitForResponse((r) => r.url().endsWith('/auth/login'));
      await submit(page, email, `wrong-password-${i}`);
      assert.equal((await answer).status(), 401);
    }
    const answer = page.waitForResponse((r) => r.url().endsWith('/auth/login'));
    await submit(page, email, PASSWORD); // even the right password waits its turn
    const res = await answer;
    assert.equal(res.status(), 429);
    const body = await res.json();
    const wait = Math.ceil(body.retry_after_ms / 1000);
    assert.equal(Number(res.headers()['retry-after']), wait, 'Retry-After and retry_after_ms disagree');
    assert.ok(wait > 1 && wait <= 60);
    const inSeconds = /(\d+)\s*(?:s\b|sec|second)/i;
    await page.waitForFunction((re) => new RegExp(re, 'i').test(document.getElementById('signin-error')?.textContent),
      inSeconds.source, { timeout: 10_000 }).catch(() => {}); // the assertion below says what was shown instead
    const text = await errorText(page);
    const m = inSeconds.exec(text);
    assert.ok(m, `no wait in seconds in "${text}"`);
    assert.equal(Number(m[1]), wait, `"${text}" does not give the server's wait of ${wait} s`);
    // Chromium's own lines for the refused logins (401, 429): ignored.
    assertNoErrors(errors, httpStatus(401, 429));
  } finally {
    await context.close();
    await server.stop();
  }
});

test('a server that is gone: the page says it cannot be reached', async () => {
  const server = await startServer();
  const { context, page, errors } = await openApp(browser, server.url);
  try {
    await page.locator('#email').waitFor();
    await server.kill();
    await submit(page, newEmail('gone'), PASSWORD);
    assert.match(await errorText(page), /reach/i);
    // The server is killed on purpose: Chromium logs its own connection-refused line for the login request.
    assertNoErrors(errors, NETWORK_DOWN);
  } finally {
    await context.close();
    await server.stop();
  }
});
