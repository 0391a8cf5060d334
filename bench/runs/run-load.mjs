#!/usr/bin/env node
// Runs waiting on a slow LLM, all at once: registers U users, creates T threads each, times one run alone
// (median of 3), then submits one message to every thread at the same moment (U x T runs) and follows them to
// their end over HTTP, sampling the server's threads and memory from /proc/PID/status. Node 20, no npm packages;
// talks to an already running `netra serve` (bench/run-runs-bench.sh starts one against a fake LLM).
//
//   node bench/runs/run-load.mjs --url http://127.0.0.1:PORT --pid PID [--users 250] [--threads-per-user 4]
//        [--json OUT.json] [--poll-ms 200] [--poll-concurrency 64] [--register-concurrency 8]
//        [--max-sockets 256] [--singles 3] [--timeout-s 1800] [--content TEXT] [--redis-url URL]
//
// Several instances of one deployment (a cluster sharing PostgreSQL and Redis): --url and --pid take
// comma-separated lists, one pid per URL in the same order. User i talks only to instance i % n (register,
// threads, submits, polls; the singles are user 0's, so instance 0's); /proc figures are summed over the pids
// (and reported per instance), the /metrics run gauges summed over the instances, --max-sockets is per instance.
// Each run's executing instance (GET /api/runs/{id} instance_id, matched to each instance's GET /health
// instance_id) is counted per instance and listed in the JSON. --redis-url (or NETRA_BENCH_REDIS_URL, which keeps
// the password off the command line): Redis INFO stats/commandstats are read before the load and after the last
// run ended, and the deltas reported per run.
//
// Routes: POST /auth/register, POST /api/threads, POST /api/threads/{id}/messages, GET /api/runs/{id},
// GET /api/runs/{id}/events?type=run_completed, GET /metrics, GET /health.
// Exit status: 0 = every run completed with the configured LLM provider; 1 = a submit failed, a run ended
// otherwise than completed or did not end before --timeout-s, or the LLM fell back to the builtin provider;
// 2 = bad arguments or the set-up failed. Never on a performance figure.
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { performance } from 'node:perf_hooks';

// ---------------------------------------------------------------------------------------------------- options
const defaults = {
  url: 'http://127.0.0.1:8080',
  pid: '',
  users: '250',
  'threads-per-user': '4',
  json: '',
  'poll-ms': '200',
  'poll-concurrency': '64',
  'register-concurrency': '8',
  'max-sockets': '256',
  singles: '3',
  'timeout-s': '1800',
  content: 'We spend $40k/month on GPT-4o for customer support, 2M requests per month',
  'redis-url': '',
};
function parseArgs(argv) {
  const opts = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') {
      console.log(fs.readFileSync(new URL(import.meta.url), 'utf8').split('\n').slice(1, 24).join('\n'));
      process.exit(0);
    }
    const eq = a.indexOf('=');
    const key = a.startsWith('--') ? (eq > 0 ? a.slice(2, eq) : a.slice(2)) : null;
    if (key === null || !(key in defaults)) fail(2, `unknown argument ${a} (see --help)`);
    const value = eq > 0 ? a.slice(eq + 1) : argv[++i];
    if (value === undefined) fail(2, `${a} needs a value`);
    opts[key] = value;
  }
  const int = (k, min) => {
    const n = Number(opts[k]);
    if (!Number.isInteger(n) || n < min) fail(2, `--${k} must be an integer >= ${min}`);
    return n;
  };
  const bases = opts.url.split(',').map((u) => {
    let base;
    try {
      base = new URL(u.trim());
    } catch {
      fail(2, `--url ${u} is not a URL`);
    }
    if (base.protocol !== 'http:') fail(2, '--url must be http://');
    return base;
  });
  if (opts.pid === '') fail(2, '--pid PID (the server process, for /proc/PID/status) is required');
  const pids = opts.pid.split(',').map((p) => {
    const n = Number(p.trim());
    if (!Number.isInteger(n) || n < 1) fail(2, '--pid must be an integer >= 1 (or a comma-separated list of them)');
    return n;
  });
  if (pids.length !== bases.length) fail(2, `--url names ${bases.length} instances but --pid ${pids.length} processes`);
  let redisUrl = null;
  const redisText = opts['redis-url'] || process.env.NETRA_BENCH_REDIS_URL || '';
  if (redisText) {
    try {
      redisUrl = new URL(redisText);
    } catch {
      fail(2, '--redis-url is not a URL');
    }
    if (redisUrl.protocol !== 'redis:') fail(2, '--redis-url must be redis://');
  }
  return {
    base: bases[0],
    bases,
    pid: pids[0],
    pids,
    redisUrl,
    users: int('users', 1),
    threadsPerUser: int('threads-per-user', 1),
    json: opts.json,
    pollMs: int('poll-ms', 1),
    pollConcurrency: int('poll-concurrency', 1),
    registerConcurrency: int('register-concurrency', 1),
    maxSockets: int('max-sockets', 1),
    singles: int('singles', 1),
    timeoutS: int('timeout-s', 1),
    content: opts.content,
  };
}

function fail(code, message) {
  console.error(`run-load: ${message}`);
  process.exit(code);
}

const opt = parseArgs(process.argv.slice(2));
const TERMINAL = new Set(['completed', 'failed', 'cancelled', 'interrupted']);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.now();

// ----------------------------------------------------------------------------------------------- HTTP client
// node:http rather than global fetch: undici's default dispatcher opens as many connections per origin as there
// are requests in flight (no cap), whereas here the number of sockets is bounded (--max-sockets) and idle
// keep-alive sockets are dropped after 10 s, before the server's 30 s read timeout closes them under us.
const agent = new http.Agent({ keepAlive: true, maxSockets: opt.maxSockets, timeout: 10_000 });
const metricsAgent = new http.Agent({ keepAlive: true, maxSockets: 1, timeout: 10_000 });

class HttpError extends Error {
  constructor(method, path, status, body) {
    super(`${method} ${path}: HTTP ${status} ${String(body).slice(0, 300)}`);
    this.status = status;
    this.body = body;
  }
}

// `base`: the instance (one of opt.bases; the first by default).
function requestOnce(method, path, { token, body, agent: a = agent, timeoutMs = 120_000, base = opt.base } = {}) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers = { accept: 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    if (payload) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = payload.length;
    }
    const req = http.request(
      { host: base.hostname, port: base.port || 80, method, path, headers, agent: a },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json = null;
          if ((res.headers['content-type'] || '').includes('json')) {
            try {
              json = JSON.parse(text);
            } catch {
              json = null;
            }
          }
          resolve({ status: res.statusCode, headers: res.headers, text, json });
        });
        res.on('error', reject);
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error(`timeout after ${timeoutMs} ms`), { code: 'ETIMEDOUT' })));
    req.on('error', (err) => {
      err.reusedSocket = req.reusedSocket;
      reject(err);
    });
    req.end(payload);
  });
}

// Retries a request that died on a kept-alive socket the server had just closed (the request never reached it,
// as the Node documentation describes for `request.reusedSocket`); GETs are also retried on other socket errors.
async function request(method, path, options = {}) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await requestOnce(method, path, options);
    } catch (err) {
      const stale = err.reusedSocket && (err.code === 'ECONNRESET' || err.code === 'EPIPE');
      const retryable = stale || (method === 'GET' && ['ECONNRESET', 'EPIPE', 'ECONNREFUSED'].includes(err.code));
      if (!retryable || attempt >= 3) throw err;
      await sleep(50 * attempt);
    }
  }
}

// Expects one of `ok` statuses and a JSON body; set-up requests retry 429/503 after Retry-After.
async function call(method, path, { ok = [200], retry429 = false, ...options } = {}) {
  for (let attempt = 1; ; attempt++) {
    const res = await request(method, path, options);
    if (retry429 && (res.status === 429 || res.status === 503) && attempt < 20) {
      const after = Number(res.headers['retry-after']);
      await sleep(1000 * (Number.isFinite(after) && after > 0 ? Math.min(after, 30) : 1));
      continue;
    }
    if (!ok.includes(res.status) || res.json === null) throw new HttpError(method, path, res.status, res.text);
    return res.json;
  }
}

// Runs fn(item, index) over items with at most `limit` in flight; results in order.
async function mapLimit(items, limit, fn) {
  const out = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

// ------------------------------------------------------------------------------------------ server sampling
function procStatusOf(pid) {
  let text;
  try {
    text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch (err) {
    return null;
  }
  const field = (name) => {
    const m = text.match(new RegExp(`^${name}:\\s+(\\d+)`, 'm'));
    return m ? Number(m[1]) : null;
  };
  return { threads: field('Threads'), rss_kib: field('VmRSS'), hwm_kib: field('VmHWM') };
}

// Every instance's status and their sum (VmHWM summed too: each process's own peak); null when one is gone.
function procStatus() {
  const each = opt.pids.map(procStatusOf);
  if (each.some((s) => s === null)) return null;
  const sum = (k) => each.reduce((a, s) => a + s[k], 0);
  return { threads: sum('threads'), rss_kib: sum('rss_kib'), hwm_kib: sum('hwm_kib'), each };
}

async function runGaugesOf(base) {
  try {
    const res = await requestOnce('GET', '/metrics', { agent: metricsAgent, timeoutMs: 5_000, base });
    if (res.status !== 200) return null;
    const g = (status) => {
      const m = res.text.match(new RegExp(`^netra_runs\\{status="${status}"\\}\\s+(\\S+)`, 'm'));
      return m ? Number(m[1]) : null;
    };
    return { running: g('running'), queued: g('queued') };
  } catch {
    return null;
  }
}

// The run gauges summed over the instances (an instance that did not answer counts as 0 for this sample), and
// each instance's.
async function runGauges() {
  const each = await Promise.all(opt.bases.map(runGaugesOf));
  if (each.every((g) => g === null)) return null;
  const sum = (k) => each.reduce((a, g) => a + (g?.[k] ?? 0), 0);
  return { running: sum('running'), queued: sum('queued'), each };
}

// ------------------------------------------------------------------------------------------------ Redis stats
// A minimal RESP client for INFO: AUTH (when the URL has a password), SELECT, then one INFO command.
function redisInfo(section) {
  const u = opt.redisUrl;
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: u.hostname, port: Number(u.port || 6379) });
    const cmd = (...args) => `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
    const cmds = [];
    const password = decodeURIComponent(u.password || '');
    const user = decodeURIComponent(u.username || '');
    if (password) cmds.push(user ? cmd('AUTH', user, password) : cmd('AUTH', password));
    cmds.push(cmd('INFO', section));
    let buf = Buffer.alloc(0);
    let replies = 0;
    const timer = setTimeout(() => sock.destroy(new Error('redis INFO: timeout')), 5_000);
    sock.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        const nl = buf.indexOf('\r\n');
        if (nl < 0) return;
        const head = buf.subarray(0, nl).toString();
        if (head[0] === '-') return sock.destroy(new Error(`redis: ${head.slice(1)}`));
        if (head[0] === '+') {
          buf = buf.subarray(nl + 2);
          replies++;
          continue;
        }
        if (head[0] !== '$') return sock.destroy(new Error(`redis: unexpected reply ${head.slice(0, 40)}`));
        const len = Number(head.slice(1));
        if (buf.length < nl + 2 + len + 2) return;
        const body = buf.subarray(nl + 2, nl + 2 + len).toString();
        buf = buf.subarray(nl + 2 + len + 2);
        replies++;
        if (replies === cmds.length) {
          clearTimeout(timer);
          sock.end();
          const out = {};
          for (const line of body.split('\r\n')) {
            const i = line.indexOf(':');
            if (i > 0 && !line.startsWith('#')) out[line.slice(0, i)] = line.slice(i + 1);
          }
          resolve(out);
        }
      }
    });
    sock.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    sock.on('connect', () => sock.write(cmds.join('')));
  });
}

async function redisSnapshot() {
  if (!opt.redisUrl) return null;
  try {
    const [stats, commands] = await Promise.all([redisInfo('stats'), redisInfo('commandstats')]);
    const calls = {};
    for (const [k, v] of Object.entries(commands)) {
      const m = v.match(/(?:^|,)calls=(\d+)/);
      if (k.startsWith('cmdstat_') && m) calls[k.slice(8)] = Number(m[1]);
    }
    return {
      commands: Number(stats.total_commands_processed),
      net_input_bytes: Number(stats.total_net_input_bytes),
      net_output_bytes: Number(stats.total_net_output_bytes),
      pubsub_channels: Number(stats.pubsub_channels ?? NaN),
      calls,
    };
  } catch (err) {
    console.log(`WARNING: redis INFO failed: ${err.message}`);
    return null;
  }
}

// ------------------------------------------------------------------------------------------------- helpers
function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}
function stats(values) {
  const s = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  return { n: s.length, p50: percentile(s, 50), p95: percentile(s, 95), max: s.length ? s[s.length - 1] : null };
}
const r3 = (x) => (x === null || x === undefined || !Number.isFinite(x) ? null : Math.round(x * 1000) / 1000);
const fmtS = (x) => (x === null || x === undefined ? 'n/a' : `${x.toFixed(2)} s`);
const mib = (kib) => (kib === null || kib === undefined ? 'n/a' : `${(kib / 1024).toFixed(1)} MiB`);
const ms = (iso) => (typeof iso === 'string' ? Date.parse(iso) : NaN);

// POST /api/threads/{id}/messages answers 202 {message, run:{id, status, ...}}.
async function submit(token, threadId, base = opt.base) {
  const body = await call('POST', `/api/threads/${threadId}/messages`, { token, body: { content: opt.content }, ok: [202], base });
  const id = body?.run?.id ?? body?.run?.run_id;
  if (typeof id !== 'string') throw new Error(`POST /api/threads/${threadId}/messages: no run id in ${JSON.stringify(body).slice(0, 300)}`);
  return id;
}

// GET /api/runs/{id}/events?type=run_completed: the run_completed payload carries result.llm {provider, fell_back}.
async function llmOf(token, runId, base = opt.base) {
  const body = await call('GET', `/api/runs/${runId}/events?type=run_completed`, { token, base });
  const ev = Array.isArray(body?.data) ? body.data.find((e) => e.type === 'run_completed') : undefined;
  const llm = ev?.payload?.result?.llm;
  return llm ? { provider: String(llm.provider), fell_back: Boolean(llm.fell_back) } : null;
}

// ----------------------------------------------------------------------------------------------------- main
async function main() {
  const n = opt.bases.length;
  const multi = n > 1;
  for (const pid of opt.pids) {
    if (!procStatusOf(pid)) fail(2, `cannot read /proc/${pid}/status (is --pid the server's process id?)`);
  }
  // Each instance's id (GET /health instance_id), to name the instance that executed a run.
  const instanceIds = [];
  for (const base of opt.bases) {
    const health = await request('GET', '/health/ready', { base }).catch((e) => ({ status: 0, text: e.message }));
    if (health.status !== 200) fail(2, `GET ${base.origin}/health/ready answered ${health.status}: ${health.text}`);
    const live = await call('GET', '/health', { base }).catch(() => null);
    instanceIds.push(typeof live?.instance_id === 'string' ? live.instance_id : null);
  }
  if (multi && new Set(instanceIds).size !== n) fail(2, `the --url list reaches the same instance twice (ids ${instanceIds.join(', ')})`);
  const instanceOf = (id) => {
    const i = instanceIds.indexOf(id);
    return i >= 0 ? i : null;
  };

  const nRuns = opt.users * opt.threadsPerUser;
  const tag = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
  if (multi) {
    console.log(`${n} instances: ${opt.bases.map((b, i) => `${i}: ${b.origin} pid ${opt.pids[i]}`).join('; ')} (user i talks to instance i % ${n})`);
    console.log(`${opt.users} users x ${opt.threadsPerUser} threads = ${nRuns} runs; tag ${tag}`);
  } else {
    console.log(`server ${opt.base.origin} pid ${opt.pid}; ${opt.users} users x ${opt.threadsPerUser} threads = ${nRuns} runs; tag ${tag}`);
  }

  // a. users (Argon2 hashing on the server's worker pool: a few at a time).
  let t = now();
  const users = await mapLimit(Array.from({ length: opt.users }), opt.registerConcurrency, async (_, i) => {
    const email = `runbench-${tag}-${i}@example.com`;
    const inst = i % n;
    const base = opt.bases[inst];
    const body = await call('POST', '/auth/register', {
      body: { email, password: `runbench-password-${tag}`, name: `run bench ${i}` },
      ok: [201],
      retry429: true,
      base,
    });
    if (typeof body.access_token !== 'string') throw new Error(`POST /auth/register: no access_token for ${email}`);
    return { email, token: body.access_token, expiresIn: body.expires_in, threads: [], inst, base };
  });
  console.log(`registered ${users.length} users in ${fmtS((now() - t) / 1000)} (access tokens valid ${users[0].expiresIn} s)`);

  // b. threads: POST /api/threads {"title"} answers 201 {id, title, created_at, updated_at}.
  t = now();
  const pairs = users.flatMap((u, ui) => Array.from({ length: opt.threadsPerUser }, (_, ti) => [u, ui, ti]));
  await mapLimit(pairs, 16, async ([u, ui, ti]) => {
    const th = await call('POST', '/api/threads', { token: u.token, body: { title: `run bench u${ui} t${ti}` }, ok: [201], retry429: true, base: u.base });
    u.threads[ti] = th.id;
  });
  console.log(`created ${pairs.length} threads in ${fmtS((now() - t) / 1000)}`);

  // c. one run alone, --singles times in a row, each on a fresh thread of user 0 (like every load run), polled
  //    every 50 ms; the median is the baseline.
  const singles = [];
  let singleFellBack = 0;
  for (let i = 0; i < opt.singles; i++) {
    const { token, base } = users[0];
    const th = await call('POST', '/api/threads', { token, body: { title: `run bench single ${i}` }, ok: [201], retry429: true, base });
    const start = now();
    const runId = await submit(token, th.id, base);
    let run;
    for (;;) {
      run = await call('GET', `/api/runs/${runId}`, { token, base });
      if (TERMINAL.has(run.status)) break;
      if (now() - start > opt.timeoutS * 1000) fail(1, `single run ${runId} still ${run.status} after ${opt.timeoutS} s`);
      await sleep(50);
    }
    const wall = (now() - start) / 1000;
    const llm = run.status === 'completed' ? await llmOf(token, runId, base) : null;
    if (llm?.fell_back) singleFellBack++;
    const executedOn = instanceOf(run.instance_id);
    singles.push({ run_id: runId, status: run.status, wall_s: r3(wall), events: run.last_seq, llm, ...(multi ? { instance: executedOn } : {}) });
    console.log(
      `single run ${i + 1}/${opt.singles}: ${run.status} in ${fmtS(wall)}, ${run.last_seq} events, llm ${llm ? `${llm.provider}${llm.fell_back ? ' (FELL BACK to builtin)' : ''}` : 'n/a'}${multi ? `, executed on instance ${executedOn ?? '?'}` : ''}`,
    );
    if (run.status !== 'completed') fail(1, `single run ${runId} ended ${run.status}: ${run.error ?? ''}`);
  }
  const singleRunS = stats(singles.map((s) => s.wall_s)).p50;
  if (singleFellBack > 0) console.log('WARNING: the LLM provider fell back to the builtin one: the runs are not waiting on the (fake) LLM');

  // d. the server at rest.
  await sleep(500);
  const before = procStatus();
  if (!before) fail(1, 'a server process went away before the load');
  const gaugesBefore = await runGauges();
  if (gaugesBefore) delete gaugesBefore.each;
  console.log(`before the load: ${before.threads} threads, VmRSS ${mib(before.rss_kib)}, VmHWM ${mib(before.hwm_kib)}${multi ? ` (summed over ${n} instances)` : ''}`);
  const redisBefore = await redisSnapshot();

  // f. (started before e.) /proc every 100 ms, /metrics run gauges every 250 ms.
  // Peaks of the sums over the instances, and of each instance alone.
  const peak = { threads: before.threads, rss_kib: before.rss_kib, hwm_kib: before.hwm_kib, running: 0, queued: 0, samples: 0 };
  const peakEach = before.each.map((s) => ({ threads: s.threads, rss_kib: s.rss_kib, hwm_kib: s.hwm_kib, running: 0, queued: 0 }));
  let procGone = false;
  const procTimer = setInterval(() => {
    const s = procStatus();
    if (!s) {
      procGone = true;
      return;
    }
    peak.samples++;
    peak.threads = Math.max(peak.threads, s.threads);
    peak.rss_kib = Math.max(peak.rss_kib, s.rss_kib);
    peak.hwm_kib = Math.max(peak.hwm_kib, s.hwm_kib);
    s.each.forEach((e, i) => {
      peakEach[i].threads = Math.max(peakEach[i].threads, e.threads);
      peakEach[i].rss_kib = Math.max(peakEach[i].rss_kib, e.rss_kib);
      peakEach[i].hwm_kib = Math.max(peakEach[i].hwm_kib, e.hwm_kib);
    });
  }, 100);
  let sampling = true;
  const gaugeLoop = (async () => {
    while (sampling) {
      const g = await runGauges();
      if (g) {
        peak.running = Math.max(peak.running, g.running ?? 0);
        peak.queued = Math.max(peak.queued, g.queued ?? 0);
        g.each.forEach((e, i) => {
          peakEach[i].running = Math.max(peakEach[i].running, e?.running ?? 0);
          peakEach[i].queued = Math.max(peakEach[i].queued, e?.queued ?? 0);
        });
      }
      await sleep(250);
    }
  })();

  // e. every (user, thread) gets one message at the same moment; the agent holds at most --max-sockets
  //    connections, the rest wait in its queue for a free one.
  const runs = pairs.map(([u, ui, ti]) => ({ user: ui, thread: u.threads[ti], token: u.token, base: u.base, via: u.inst, id: null, submitAt: 0 }));
  const t0 = now();
  const t0Epoch = Date.now();
  let submitErrors = 0;
  const firstError = [];
  const pollQueue = [];
  let lastSubmitAccepted = t0;
  let pollsDone = 0;
  let pollErrors = 0;
  let lastTerminal = null;
  const submits = runs.map(async (r) => {
    r.submitAt = now();
    try {
      r.id = await submit(r.token, r.thread, r.base);
      r.acceptedAt = now();
      lastSubmitAccepted = Math.max(lastSubmitAccepted, r.acceptedAt);
      r.due = r.acceptedAt + opt.pollMs;
      pollQueue.push(r);
    } catch (err) {
      submitErrors++;
      r.submitError = err.message;
      r.status = 'submit_failed';
      if (firstError.length < 5) firstError.push(err.message);
    }
  });

  // f. polling: a FIFO of runs ordered by when they are due; --poll-concurrency requests in flight; a run is
  //    asked again --poll-ms after its previous request was sent.
  const deadline = t0 + opt.timeoutS * 1000;
  let submitsDone = false;
  const allSubmitted = Promise.all(submits).then(() => {
    submitsDone = true;
  });
  const poller = async () => {
    for (;;) {
      if (now() > deadline) return;
      const r = pollQueue.shift();
      if (!r) {
        if (submitsDone) return;
        await sleep(10);
        continue;
      }
      const wait = r.due - now();
      if (wait > 0) await sleep(wait);
      const sent = now();
      try {
        const run = await call('GET', `/api/runs/${r.id}`, { token: r.token, base: r.base });
        pollsDone++;
        if (TERMINAL.has(run.status)) {
          r.status = run.status;
          r.doneAt = now();
          r.lastSeq = Number(run.last_seq ?? NaN);
          r.error = run.error;
          r.createdAt = ms(run.created_at);
          r.startedAt = ms(run.started_at);
          r.finishedAt = ms(run.finished_at);
          r.instanceId = run.instance_id ?? null;
          lastTerminal = Math.max(lastTerminal ?? 0, r.doneAt);
          continue;
        }
        r.status = run.status;
      } catch (err) {
        pollErrors++;
        if (firstError.length < 5) firstError.push(err.message);
      }
      r.due = sent + opt.pollMs;
      pollQueue.push(r);
    }
  };
  const progress = setInterval(() => {
    const done = runs.filter((r) => r.doneAt !== undefined).length;
    console.log(
      `  t=${((now() - t0) / 1000).toFixed(1)} s: ${runs.filter((r) => r.id).length} accepted, ${done} ended; server running ${peak.running} max, queued ${peak.queued} max; ${pollsDone} polls`,
    );
  }, 5000);
  await Promise.all([allSubmitted, ...Array.from({ length: opt.pollConcurrency }, poller)]);
  clearInterval(progress);
  clearInterval(procTimer);
  sampling = false;
  await gaugeLoop;
  const after = procStatus();
  const tEnd = now();
  const redisAfter = await redisSnapshot();

  const timedOut = runs.filter((r) => r.id && r.doneAt === undefined);
  for (const r of timedOut) r.status = `timeout (last seen ${r.status ?? 'queued'})`;
  const ended = runs.filter((r) => r.doneAt !== undefined);
  const wallS = lastTerminal === null ? null : (lastTerminal - t0) / 1000;
  const statuses = {};
  for (const r of runs) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
  const completed = ended.filter((r) => r.status === 'completed');

  // g. events: a run's events are seq 1..last_seq.
  const eventsTotal = ended.reduce((s, r) => s + (Number.isFinite(r.lastSeq) ? r.lastSeq : 0), 0);

  // Which LLM answered: run_completed's result.llm, for every completed run.
  const llms = await mapLimit(completed, 16, (r) => llmOf(r.token, r.id, r.base).catch(() => null));
  const providers = {};
  let fellBack = 0;
  let llmUnknown = 0;
  for (const l of llms) {
    if (!l) {
      llmUnknown++;
      continue;
    }
    providers[l.provider] = (providers[l.provider] ?? 0) + 1;
    if (l.fell_back) fellBack++;
  }

  // Durations: client side (submit sent -> terminal status seen, so up to --poll-ms late) and server side
  // (the run's own timestamps: created -> started is the wait for a slot, started -> finished the execution).
  const clientDur = stats(ended.map((r) => (r.doneAt - r.submitAt) / 1000));
  const serverTotal = stats(ended.map((r) => (r.finishedAt - r.createdAt) / 1000));
  const serverQueue = stats(ended.map((r) => (r.startedAt - r.createdAt) / 1000));
  const serverExec = stats(ended.map((r) => (r.finishedAt - r.startedAt) / 1000));
  const lastFinishedEpoch = Math.max(...ended.map((r) => r.finishedAt).filter(Number.isFinite));
  const wallServerS = Number.isFinite(lastFinishedEpoch) ? (lastFinishedEpoch - t0Epoch) / 1000 : null;
  const rssDelta = peak.rss_kib - before.rss_kib;

  // Several instances: where each run was executed (the instance_id of its last poll), per instance.
  let cluster = null;
  if (multi) {
    const perInstance = opt.bases.map((b, i) => ({
      url: b.origin,
      pid: opt.pids[i],
      instance_id: instanceIds[i],
      users: users.filter((u) => u.inst === i).length,
      runs_submitted: runs.filter((r) => r.id && r.via === i).length,
      runs_executed: 0,
      runs_executed_here_of_submitted_here: 0,
      events: 0,
      events_per_s: null,
      threads_before: before.each[i].threads,
      threads_during_max: peakEach[i].threads,
      threads_after: after?.each[i]?.threads ?? null,
      rss_before_kib: before.each[i].rss_kib,
      rss_max_kib: peakEach[i].rss_kib,
      rss_after_kib: after?.each[i]?.rss_kib ?? null,
      hwm_max_kib: peakEach[i].hwm_kib,
      server_runs_running_max: peakEach[i].running,
      server_runs_queued_max: peakEach[i].queued,
    }));
    let unknown = 0;
    for (const r of ended) {
      r.on = instanceOf(r.instanceId);
      if (r.on === null) {
        unknown++;
        continue;
      }
      const p = perInstance[r.on];
      p.runs_executed++;
      if (r.on === r.via) p.runs_executed_here_of_submitted_here++;
      p.events += Number.isFinite(r.lastSeq) ? r.lastSeq : 0;
    }
    for (const p of perInstance) p.events_per_s = wallS ? r3(p.events / wallS) : null;
    cluster = {
      instances: perInstance,
      runs_executed_on_unknown_instance: unknown,
      runs_executed_elsewhere_than_submitted: ended.filter((r) => r.on !== null && r.on !== r.via).length,
      // [run id, instance it was submitted through, instance that executed it (null: unknown)]
      run_placement: ended.map((r) => [r.id, r.via, r.on]),
    };
  }
  let redis = null;
  if (redisBefore && redisAfter) {
    const d = (k) => redisAfter[k] - redisBefore[k];
    const calls = {};
    for (const [k, v] of Object.entries(redisAfter.calls)) {
      const delta = v - (redisBefore.calls[k] ?? 0);
      if (delta > 0) calls[k] = delta;
    }
    redis = {
      window: 'from just before the first submit to the last run seen ended',
      commands: d('commands'),
      net_input_bytes: d('net_input_bytes'),
      net_output_bytes: d('net_output_bytes'),
      commands_per_run: r3(d('commands') / nRuns),
      net_input_bytes_per_run: r3(d('net_input_bytes') / nRuns),
      net_output_bytes_per_run: r3(d('net_output_bytes') / nRuns),
      calls,
    };
  }

  const result = {
    url: multi ? opt.bases.map((b) => b.origin).join(',') : opt.base.origin,
    ...(multi ? { urls: opt.bases.map((b) => b.origin), pids: opt.pids } : {}),
    users: opt.users,
    threads_per_user: opt.threadsPerUser,
    content: opt.content,
    single_run_s: r3(singleRunS),
    single_runs: singles,
    runs: nRuns,
    submitted: runs.filter((r) => r.id).length,
    submit_errors: submitErrors,
    submit_window_s: r3((lastSubmitAccepted - t0) / 1000),
    wall_s: r3(wallS),
    wall_server_s: r3(wallServerS),
    ratio_to_single: wallS !== null && singleRunS ? r3(wallS / singleRunS) : null,
    threads_before: before.threads,
    threads_during_max: peak.threads,
    threads_after: after?.threads ?? null,
    rss_before_kib: before.rss_kib,
    rss_max_kib: peak.rss_kib,
    rss_after_kib: after?.rss_kib ?? null,
    hwm_max_kib: peak.hwm_kib,
    kib_per_inflight_run: r3(rssDelta / nRuns),
    proc_samples: peak.samples,
    server_runs_running_max: peak.running,
    server_runs_queued_max: peak.queued,
    server_runs_before: gaugesBefore,
    events_total: eventsTotal,
    events_per_s: wallS ? r3(eventsTotal / wallS) : null,
    events_per_run: stats(ended.map((r) => r.lastSeq)),
    statuses,
    llm_providers: providers,
    llm_fell_back: fellBack,
    llm_unknown: llmUnknown,
    run_duration_p50_s: r3(clientDur.p50),
    run_duration_p95_s: r3(clientDur.p95),
    run_duration_max_s: r3(clientDur.max),
    server_run_total_s: { p50: r3(serverTotal.p50), p95: r3(serverTotal.p95), max: r3(serverTotal.max) },
    server_run_wait_s: { p50: r3(serverQueue.p50), p95: r3(serverQueue.p95), max: r3(serverQueue.max) },
    server_run_exec_s: { p50: r3(serverExec.p50), p95: r3(serverExec.p95), max: r3(serverExec.max) },
    polls: pollsDone,
    poll_errors: pollErrors,
    polls_per_s: r3(pollsDone / ((tEnd - t0) / 1000)),
    poll_ms: opt.pollMs,
    poll_concurrency: opt.pollConcurrency,
    max_sockets: opt.maxSockets,
    errors: firstError,
    ...(multi ? { cluster } : {}),
    ...(redis ? { redis } : {}),
  };

  // i. summary.
  console.log(`== ${nRuns} runs at once (${opt.users} users x ${opt.threadsPerUser} threads)`);
  console.log(`single run alone: ${fmtS(singleRunS)} (median of ${singles.length}: ${singles.map((s) => s.wall_s).join(', ')} s)`);
  console.log(
    `all ${nRuns}: submitted within ${fmtS(result.submit_window_s)}, last one ended after ${fmtS(wallS)} (server timestamps: ${fmtS(wallServerS)}) = ${result.ratio_to_single ?? 'n/a'} x one run alone`,
  );
  console.log(`statuses: ${Object.entries(statuses).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  console.log(
    `per run (submit -> end seen): p50 ${fmtS(clientDur.p50)}, p95 ${fmtS(clientDur.p95)}, max ${fmtS(clientDur.max)}; server side wait for a slot p50 ${fmtS(serverQueue.p50)} / max ${fmtS(serverQueue.max)}, execution p50 ${fmtS(serverExec.p50)} / max ${fmtS(serverExec.max)}`,
  );
  console.log(`server runs in progress at once (from /metrics, every 250 ms): max ${peak.running} running, max ${peak.queued} queued`);
  console.log(
    `server threads: ${before.threads} before, ${peak.threads} max during, ${after?.threads ?? 'n/a'} after; VmRSS ${mib(before.rss_kib)} before, ${mib(peak.rss_kib)} max (${result.kib_per_inflight_run} KiB per in-flight run), ${mib(after?.rss_kib)} after; VmHWM ${mib(peak.hwm_kib)}`,
  );
  console.log(`events: ${eventsTotal} (${result.events_per_run.p50} per run p50) = ${result.events_per_s ?? 'n/a'} events/s over the wall time`);
  console.log(`llm: ${Object.entries(providers).map(([k, v]) => `${k} ${v}`).join(', ') || 'n/a'}; fell back to builtin: ${fellBack}; unknown: ${llmUnknown}`);
  console.log(`polls: ${pollsDone} (${result.polls_per_s}/s, ${pollErrors} errors), every ${opt.pollMs} ms per run, ${opt.pollConcurrency} in flight`);
  if (cluster) {
    for (const [i, p] of cluster.instances.entries()) {
      console.log(
        `instance ${i} (${p.url}, pid ${p.pid}): ${p.users} users, ${p.runs_submitted} runs submitted, ${p.runs_executed} executed (${p.runs_executed_here_of_submitted_here} of them submitted here), ${p.events} events = ${p.events_per_s ?? 'n/a'} events/s; max ${p.server_runs_running_max} running, ${p.server_runs_queued_max} queued; threads ${p.threads_before} / ${p.threads_during_max} / ${p.threads_after ?? 'n/a'}; VmRSS ${mib(p.rss_before_kib)} before, ${mib(p.rss_max_kib)} max`,
      );
    }
    console.log(
      `executed by: ${cluster.instances.map((p, i) => `instance ${i} ${p.runs_executed}`).join(', ')}${cluster.runs_executed_on_unknown_instance ? `, unknown ${cluster.runs_executed_on_unknown_instance}` : ''}; ${cluster.runs_executed_elsewhere_than_submitted} runs executed on another instance than the one they were submitted to`,
    );
  }
  if (redis) {
    console.log(
      `redis during the load: ${redis.commands} commands (${redis.commands_per_run} per run), ${redis.net_input_bytes} bytes in (${redis.net_input_bytes_per_run} per run), ${redis.net_output_bytes} bytes out (${redis.net_output_bytes_per_run} per run); calls: ${Object.entries(redis.calls).map(([k, v]) => `${k} ${v}`).join(', ')}`,
    );
  }
  if (procGone) console.log(`WARNING: /proc/${opt.pids.join(',')}/status disappeared during the load (server died?)`);

  if (opt.json) fs.writeFileSync(opt.json, JSON.stringify(result, null, 2) + '\n');

  const problems = [];
  if (submitErrors) problems.push(`${submitErrors} submits failed`);
  if (timedOut.length) problems.push(`${timedOut.length} runs did not end within ${opt.timeoutS} s`);
  const notCompleted = ended.length - completed.length;
  if (notCompleted) problems.push(`${notCompleted} runs ended otherwise than completed`);
  if (fellBack || singleFellBack) problems.push(`${fellBack + singleFellBack} runs fell back to the builtin LLM`);
  if (llmUnknown) problems.push(`${llmUnknown} completed runs without an llm result`);
  if (procGone) problems.push('the server process went away');
  if (problems.length) {
    for (const r of runs.filter((x) => x.status !== 'completed').slice(0, 5)) {
      console.log(`  run ${r.id ?? '(not submitted)'} user ${r.user}: ${r.status} ${r.error ?? r.submitError ?? ''}`);
    }
    for (const e of firstError) console.log(`  error: ${e}`);
    console.log(`FAILED: ${problems.join('; ')}`);
    return 1;
  }
  console.log(`OK: all ${nRuns} runs completed with the configured LLM`);
  return 0;
}

main().then(
  (code) => {
    agent.destroy();
    metricsAgent.destroy();
    process.exitCode = code;
  },
  (err) => {
    console.error(`run-load: ${err?.stack ?? err}`);
    process.exit(2);
  },
);
