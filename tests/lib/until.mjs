import assert from 'node:assert/strict';

/** Polls `fn` every 50 ms until it returns something truthy (returned), failing after `timeoutMs` with `what`. */
export async function until(fn, what, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
