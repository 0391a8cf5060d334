// The checks every browser test makes on a page — no console error, no uncaught exception — shared by the suites that
// drive Chromium (tests/browser, tests/langgraph). No dependency: each suite launches the browser with its own
// playwright-core.
import assert from 'node:assert/strict';

/**
 * Collects a page's console errors and uncaught exceptions.
 * @returns {{list: string[]}}
 */
export function watchErrors(page) {
  const list = [];
  page.on('console', (m) => {
    if (m.type() === 'error') {
      const loc = m.location();
      list.push(`console.error: ${m.text()}${loc?.url ? ` (${loc.url}:${loc.lineNumber})` : ''}`);
    }
  });
  page.on('pageerror', (e) => list.push(`pageerror: ${e.stack || e.message}`));
  return { list };
}

/** Asserts that no error was collected except those matching `allowed`. */
export function assertNoErrors(watch, allowed = []) {
  const bad = watch.list.filter((line) => !allowed.some((re) => re.test(line)));
  assert.deepEqual(bad, [], `the page logged errors:\n${bad.join('\n')}`);
}
