// The server's HTTP API as the tests use it to check what the page shows against what the server stored.
import assert from 'node:assert/strict';

export class Api {
  /** @param {import('./server.mjs').Server} server */
  constructor(server) {
    this.server = server;
    this.token = null;
  }

  async request(method, path, { body, headers = {}, raw = false } = {}) {
    const res = await fetch(this.server.url + path, {
      method,
      headers: {
        ...(body !== undefined && typeof body !== 'string' ? { 'content-type': 'application/json' } : {}),
        ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    if (raw) return res;
    const text = await res.text();
    let json;
    try { json = JSON.parse(text); } catch { json = undefined; }
    if (!res.ok) throw new Error(`${method} ${path} → ${res.status}: ${text.slice(0, 500)}`);
    return json;
  }

  async register(email, password) {
    const r = await this.request('POST', '/auth/register', { body: { email, password } });
    this.token = r.access_token;
    return r;
  }

  async login(email, password) {
    const r = await this.request('POST', '/auth/login', { body: { email, password } });
    this.token = r.access_token;
    return r;
  }

  threads() { return this.request('GET', '/api/threads?limit=200').then((r) => r.data); }
  run(id) { return this.request('GET', `/api/runs/${encodeURIComponent(id)}`); }
  dataset(id) { return this.request('GET', `/api/datasets/${encodeURIComponent(id)}`); }
  messages(threadId) {
    return this.request('GET', `/api/threads/${encodeURIComponent(threadId)}/messages?limit=200`).then((r) => r.data);
  }

  /** Every stored event of a run matching `query` (type, agent), read on page by page through next_cursor. */
  async events(runId, query = {}) {
    const out = [];
    let after = null;
    for (;;) {
      const q = new URLSearchParams({ ...query, ...(after !== null ? { after_seq: after } : {}) });
      const page = await this.request('GET', `/api/runs/${encodeURIComponent(runId)}/events?${q}`);
      out.push(...page.data);
      if (page.next_cursor === null || page.next_cursor === undefined) return out;
      after = page.next_cursor;
    }
  }

  /** Polls GET /api/runs/{id} until the run has ended; returns it. */
  async waitRunEnded(runId, timeoutMs = 60_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const run = await this.run(runId);
      if (['completed', 'failed', 'cancelled'].includes(run.status)) return run;
      assert.ok(Date.now() < deadline, `run ${runId} still ${run.status} after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  // Fault injection (the server runs with NETRA_FAULT_INJECTION=1 and this suite's bypass key).
  setFault(spec) {
    return this.request('POST', '/api/admin/faults', { body: spec, headers: { 'X-E2E-Bypass-Key': this.server.bypassKey } });
  }
  clearFaults() {
    return this.request('DELETE', '/api/admin/faults', { headers: { 'X-E2E-Bypass-Key': this.server.bypassKey } });
  }
}

/** The data helper's tool held for `ms` (SlowDataHelperFault of the staging suite): a run caught in progress. */
export const slowDataHelper = (ms) => ({
  target: 'tool:build_data_request', mode: 'latency', latency_ms: ms, duration_s: 120,
});

let counter = 0;
/** A fresh e-mail address per call, unique across test files run in parallel. */
export const newEmail = (tag = 'user') => `${tag}-${process.pid}-${Date.now()}-${++counter}@example.com`;
export const PASSWORD = 'a-long-password-for-tests';
