// Netra's chat UI: sign-in, threads, the live pipeline of each run over the WebSocket (resumed after a drop with
// `subscribe {run_id, after_seq}`), uploads with progress, and charted reports. No framework and no build step;
// every text from the server is put in the page with textContent or the DOM-building markdown renderer, never
// parsed as HTML, so nothing in a message, a dataset name or a report can run script.
import { compact, integer, money } from './format.js';
import { RunView } from './timeline.js';

const $ = (id) => document.getElementById(id);
const store = window.localStorage; // why localStorage: docs/decisions.md ("Web UI tokens")
const AGENT_STATUS_AFTER_MS = 3000;

const state = {
  access: store.getItem('netra.access'),
  refresh: store.getItem('netra.refresh'),
  expiresAt: Number(store.getItem('netra.expires_at') || 0),
  thread: null,
  threads: [],
  generation: 0, // bumps when another thread opens: late answers for the old one are dropped
  ws: null,
  backoff: 500,
  runs: new Map(), // run_id -> RunView of the open thread
  shownMessages: new Set(),
  attachment: null, // {id, name}
  refreshTimer: 0,
};

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// ---------------------------------------------------------------------------------------------- HTTP and auth
class ApiError extends Error {
  constructor(status, body) {
    super(body.message || `The server answered ${status}.`);
    this.status = status;
    this.body = body;
  }
}

async function api(method, path, body) {
  await refreshIfDue();
  const res = await fetch(path, {
    method,
    headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...(state.access ? { authorization: `Bearer ${state.access}` } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = res.status === 204 ? {} : await res.json().catch(() => ({}));
  if (res.status === 401 && state.access) signOut('Your session has ended. Sign in again.');
  if (!res.ok) throw new ApiError(res.status, json);
  return json;
}

async function allPages(path, key = 'cursor') {
  const out = [];
  let cursor = null;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const page = await api('GET', cursor ? `${path}${sep}${key}=${encodeURIComponent(cursor)}` : path);
    out.push(...(page.data ?? []));
    cursor = page.next_cursor;
  } while (cursor);
  return out;
}

function keepTokens(t) {
  state.access = t.access_token;
  state.refresh = t.refresh_token || state.refresh;
  state.expiresAt = Date.now() + (t.expires_in || 900) * 1000;
  store.setItem('netra.access', state.access);
  if (state.refresh) store.setItem('netra.refresh', state.refresh);
  store.setItem('netra.expires_at', String(state.expiresAt));
  scheduleRefresh();
}

// Tokens are renewed a minute before they expire, so a socket that reconnects always has a valid one.
function scheduleRefresh() {
  clearTimeout(state.refreshTimer);
  if (!state.refresh) return;
  const wait = Math.max(5_000, state.expiresAt - Date.now() - 60_000);
  state.refreshTimer = setTimeout(() => refreshIfDue().catch(() => scheduleRefresh()), wait);
}

let refreshing = null;
// `force`: refresh even if the token is not due (the socket keeps being refused with it).
async function refreshIfDue(force = false) {
  if (!state.refresh || (!force && Date.now() < state.expiresAt - 60_000)) return;
  const refresh = async () => {
    // Another tab may have refreshed already (refresh tokens rotate: using the old one twice would revoke the
    // session): its tokens are in storage. Read inside the lock, so two tabs never refresh with the same token.
    const stored = Number(store.getItem('netra.expires_at') || 0);
    if (stored > state.expiresAt && store.getItem('netra.access')) {
      state.access = store.getItem('netra.access');
      state.refresh = store.getItem('netra.refresh');
      state.expiresAt = stored;
      scheduleRefresh();
      return;
    }
    const res = await fetch('/auth/refresh', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refresh_token: state.refresh }) });
    if (res.status === 401 || res.status === 403) return signOut('Your session has ended. Sign in again.');
    if (!res.ok) throw new Error(`refresh answered ${res.status}`);
    keepTokens(await res.json());
  };
  refreshing ??= (async () => {
    try {
      // One refresh at a time across this user's tabs (Web Locks exist in secure contexts: https and localhost).
      if (navigator.locks) await navigator.locks.request('netra-token-refresh', refresh);
      else await refresh();
    } finally {
      refreshing = null;
    }
  })();
  await refreshing;
}

function signOut(message = '') {
  if (state.access) fetch('/auth/logout', { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${state.access}` }, body: JSON.stringify({ refresh_token: state.refresh }) }).catch(() => {});
  for (const k of ['netra.access', 'netra.refresh', 'netra.expires_at']) store.removeItem(k);
  clearTimeout(state.refreshTimer);
  Object.assign(state, { access: null, refresh: null, expiresAt: 0, thread: null, attachment: null });
  const ws = state.ws;
  state.ws = null;
  if (ws) ws.close(1000);
  setConnection('offline', '');
  clearConversation();
  $('signin-error').textContent = message;
  show();
}

async function signIn(event) {
  event.preventDefault();
  const mode = event.submitter?.value === 'register' ? 'register' : 'login';
  const error = $('signin-error');
  error.textContent = '';
  const email = $('email').value.trim();
  const password = $('password').value;
  if (!email || !password) {
    error.textContent = 'Enter your email and password.';
    return;
  }
  if (mode === 'register' && password.length < 8) {
    error.textContent = 'Choose a password of at least 8 characters.';
    return;
  }
  let res;
  try {
    res = await fetch(`/auth/${mode}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
  } catch {
    error.textContent = 'The server cannot be reached. Check that Netra is running and try again.';
    return;
  }
  const body = await res.json().catch(() => ({}));
  if (!res.ok) {
    if (res.status === 429) {
      const ms = body.retry_after_ms ?? Number(res.headers.get('retry-after') || 0) * 1000;
      error.textContent = `Too many sign-in attempts. Try again in ${Math.max(1, Math.ceil(ms / 1000))} s.`;
    } else if (res.status === 401) {
      error.textContent = 'Wrong email or password.';
    } else if (res.status >= 500 || !body.message) {
      error.textContent = `The server cannot sign you in right now (HTTP ${res.status}). Try again in a moment.`;
    } else {
      error.textContent = body.message;
    }
    return;
  }
  keepTokens(body);
  $('password').value = '';
  show();
}

// ------------------------------------------------------------------------------------------------- threads
async function loadThreads() {
  state.threads = await allPages('/api/threads?limit=100');
  renderThreads();
}

function renderThreads() {
  const list = $('thread-list');
  const focused = document.activeElement?.closest?.('li')?.dataset.threadId;
  list.replaceChildren();
  for (const t of state.threads) {
    const li = el('li');
    li.dataset.threadId = t.id;
    const current = t.id === state.thread;
    if (current) li.className = 'current';
    const open = li.appendChild(el('button', 'open'));
    open.type = 'button';
    open.append(el('span', 'title', t.title || 'Untitled'));
    const when = open.appendChild(el('time'));
    when.dateTime = t.updated_at;
    when.textContent = new Date(t.updated_at).toLocaleString();
    if (current) open.setAttribute('aria-current', 'page');
    open.addEventListener('click', () => openThread(t.id));
    const rename = li.appendChild(el('button', 'rename icon', '✎'));
    rename.type = 'button';
    rename.setAttribute('aria-label', `Rename ${t.title || 'Untitled'}`);
    rename.addEventListener('click', () => renameThread(t));
    const remove = li.appendChild(el('button', 'delete icon', '✕'));
    remove.type = 'button';
    remove.setAttribute('aria-label', `Delete ${t.title || 'Untitled'}`);
    remove.addEventListener('click', () => deleteThread(t));
    list.append(li);
  }
  if (focused) list.querySelector(`li[data-thread-id="${CSS.escape(focused)}"] .open`)?.focus();
  const current = state.threads.find((t) => t.id === state.thread);
  $('thread-title').textContent = current ? current.title || 'Untitled' : 'New conversation';
}

function ask(dialog) {
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue), { once: true });
    dialog.returnValue = '';
    dialog.showModal();
  });
}

async function renameThread(t) {
  const input = $('rename-input');
  input.value = t.title || '';
  const answer = ask($('rename-dialog'));
  input.select();
  if ((await answer) !== 'save' || !input.value.trim()) return;
  await api('PATCH', `/api/threads/${encodeURIComponent(t.id)}`, { title: input.value.trim() }).catch(notice);
  await loadThreads();
}

async function deleteThread(t) {
  $('delete-text').textContent = `“${t.title || 'Untitled'}” and all its messages, runs and events will be deleted.`;
  if ((await ask($('delete-dialog'))) !== 'delete') return;
  await api('DELETE', `/api/threads/${encodeURIComponent(t.id)}`).catch(notice);
  if (t.id === state.thread) openThread(null);
  await loadThreads();
}

function onThreadKey(event) {
  const li = event.target.closest('li[data-thread-id]');
  if (!li) return;
  const buttons = [...$('thread-list').querySelectorAll('button.open')];
  const index = buttons.indexOf(li.querySelector('button.open'));
  const thread = state.threads.find((t) => t.id === li.dataset.threadId);
  if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
    event.preventDefault();
    const next = buttons[Math.max(0, Math.min(buttons.length - 1, index + (event.key === 'ArrowDown' ? 1 : -1)))];
    next?.focus();
  } else if (event.key === 'Home' || event.key === 'End') {
    event.preventDefault();
    buttons[event.key === 'Home' ? 0 : buttons.length - 1]?.focus();
  } else if (event.key === 'F2' && thread) {
    event.preventDefault();
    renameThread(thread);
  } else if (event.key === 'Delete' && thread) {
    event.preventDefault();
    deleteThread(thread);
  }
}

// ------------------------------------------------------------------------------------------- conversation
function clearConversation() {
  state.generation += 1;
  state.runs.clear();
  state.shownMessages.clear();
  $('timeline').replaceChildren();
  updateControls();
}

function scrollToEnd() {
  const t = $('timeline');
  if (t.scrollHeight - t.scrollTop - t.clientHeight < 160) t.scrollTop = t.scrollHeight;
}

function notice(error) {
  const li = el('li', 'notice error', error.message ?? String(error));
  $('timeline').append(li);
  scrollToEnd();
}

function userBubble(text, messageId) {
  const li = el('li', 'message user');
  li.append(el('p', 'text', text));
  if (messageId) {
    li.dataset.messageId = messageId;
    state.shownMessages.add(messageId);
  }
  return li;
}

// The run's view, created at the end of the timeline or right after `after` (its user message; an existing view
// moves there).
function shownBubble(messageId) {
  return $('timeline').querySelector(`li.message.user[data-message-id="${CSS.escape(messageId)}"]`);
}

function runView(runId, after) {
  let view = state.runs.get(runId);
  if (!view) {
    view = new RunView(runId, { requestUpload: () => $('file-input').click(), changed: () => { updateControls(); scrollToEnd(); } });
    state.runs.set(runId, view);
    $('timeline').append(view.element);
  }
  if (after) after.after(view.element);
  return view;
}

// Fetches a run's stored events after what the view holds (history, a gap, a run seen first mid-way).
async function catchUp(view) {
  if (view.catchingUp) return;
  view.catchingUp = true;
  const generation = state.generation;
  try {
    let after = view.seq;
    for (;;) {
      const page = await api('GET', `/api/runs/${encodeURIComponent(view.id)}/events?after_seq=${after}`);
      if (generation !== state.generation) return;
      for (const e of page.data ?? []) view.accept(e);
      if (!page.next_cursor) break;
      after = Number(page.next_cursor);
    }
  } catch (e) {
    if (generation === state.generation) notice(e);
    return;
  } finally {
    view.catchingUp = false;
  }
  // Events that arrived while reading may have left a gap the read did not cover: read again.
  // A gap the store cannot fill (it never should) is not retried for ever.
  if (view.pending.size && generation === state.generation) {
    view.gapReads = (view.gapReads ?? 0) + 1;
    if (view.gapReads <= 20) setTimeout(() => catchUp(view), 250);
    else notice(new Error('Some events of this run could not be loaded: reload the page to try again.'));
  }
}

async function openThread(id) {
  clearConversation();
  state.thread = id;
  const generation = state.generation;
  const hash = id ? `#/threads/${id}` : '#/';
  if (location.hash !== hash) history.replaceState(null, '', hash);
  renderThreads();
  closeThreadsOnNarrow();
  if (!id) {
    $('message').focus();
    return;
  }
  let messages;
  try {
    messages = await allPages(`/api/threads/${encodeURIComponent(id)}/messages?limit=100`);
  } catch (e) {
    if (e.status === 404) openThread(null);
    else notice(e);
    return;
  }
  if (generation !== state.generation) return;
  const views = [];
  for (const m of messages) {
    if (m.role === 'user') {
      // A run that went live while the history loaded was adopted already: its bubble and view move into place.
      const bubble = shownBubble(m.id) ?? userBubble(m.content, m.id);
      $('timeline').append(bubble);
      if (m.run_id) views.push(runView(m.run_id, bubble));
    } else if (!m.run_id || !state.runs.has(m.run_id)) {
      const li = el('li', 'message assistant');
      li.append(el('p', 'text', m.content));
      $('timeline').append(li);
    }
  }
  updateControls();
  $('timeline').scrollTop = $('timeline').scrollHeight;
  // Each run's history over HTTP, then, for a run still going, the socket continues after the last event held.
  await Promise.all(views.map((v) => catchUp(v)));
  if (generation !== state.generation) return;
  for (const v of views) if (!v.done) send({ type: 'subscribe', run_id: v.id, after_seq: v.seq });
  $('timeline').scrollTop = $('timeline').scrollHeight;
}

// A run of the open thread that this tab did not start (another tab, another device): show its message too.
async function adoptRun(event) {
  const view = runView(event.run_id);
  const generation = state.generation;
  try {
    const messages = await allPages(`/api/threads/${encodeURIComponent(event.thread_id)}/messages?limit=100`);
    if (generation !== state.generation) return;
    const m = messages.find((x) => x.role === 'user' && x.run_id === event.run_id);
    if (m && !state.shownMessages.has(m.id)) {
      const bubble = claimPending(m);
      if (bubble) bubble.after(view.element);
      else view.element.before(userBubble(m.content, m.id));
    }
  } catch {
    // The run still shows; only its message is missing.
  }
}

function onEvent(e) {
  if (!e.run_id || typeof e.seq !== 'number') return;
  if (e.thread_id !== state.thread) {
    if (/^run_(completed|failed|cancelled|started)$/.test(e.type)) loadThreads().catch(() => {});
    return;
  }
  const known = state.runs.has(e.run_id);
  const view = runView(e.run_id);
  if (!known) adoptRun(e);
  if (view.accept(e)) catchUp(view); // a gap: the missing events come from the store
  if (view.done && e.type.startsWith('run_')) loadThreads().catch(() => {});
}

function updateControls() {
  const active = [...state.runs.values()].some((v) => !v.done);
  $('cancel').hidden = !active;
  $('empty').hidden = $('timeline').children.length > 0;
}

function cancelRun() {
  const running = [...state.runs.values()].filter((v) => !v.done);
  const target = running.find((v) => v.status === 'running') ?? running[0];
  if (target) send({ type: 'cancel_run', run_id: target.id });
}

// Long runs show where they are: get_agent_status every few seconds once a run has been going for a while.
setInterval(() => {
  const now = Date.now();
  for (const v of state.runs.values()) {
    if (v.status !== 'running') continue;
    v.runningSince ??= now;
    if (now - v.runningSince >= AGENT_STATUS_AFTER_MS) send({ type: 'get_agent_status', run_id: v.id });
  }
}, 1500);

// ---------------------------------------------------------------------------------------------- WebSocket
function send(frame) {
  if (state.ws && state.ws.readyState === WebSocket.OPEN) {
    state.ws.send(JSON.stringify(frame));
    return true;
  }
  return false;
}

function setConnection(kind, text) {
  const c = $('connection');
  c.dataset.state = kind;
  c.textContent = text;
}

const pendingMessages = new Map(); // client_message_id -> the bubble shown at once
let reconnected = false;
let failedConnects = 0;

// The pending message a stored one is (same thread, or a new conversation's, and the same text): its bubble is the
// message's, so nothing shows twice.
function claimPending(message) {
  for (const [id, p] of pendingMessages) {
    if (p.content !== message.content || (p.thread && p.thread !== message.thread_id)) continue;
    pendingMessages.delete(id);
    p.bubble.dataset.messageId = message.id;
    p.bubble.classList.remove('sending');
    state.shownMessages.add(message.id);
    return p.bubble;
  }
  return null;
}

// After a reconnect: each message sent but never acknowledged is either stored (its bubble and run are bound to
// it) or was lost with the connection (sent again).
async function reconcileUnconfirmed() {
  const unconfirmed = [...pendingMessages].filter(([, p]) => p.unconfirmed);
  if (!unconfirmed.length) return;
  const threads = new Set(unconfirmed.map(([, p]) => p.thread).filter(Boolean));
  // A new conversation's message may have created a thread: the threads touched since it was sent.
  if (unconfirmed.some(([, p]) => !p.thread)) {
    const since = Math.min(...unconfirmed.map(([, p]) => p.at)) - 5_000;
    for (const t of await allPages('/api/threads?limit=20')) if (Date.parse(t.updated_at) >= since) threads.add(t.id);
  }
  const stored = [];
  for (const t of threads) stored.push(...(await allPages(`/api/threads/${encodeURIComponent(t)}/messages?limit=100`)));
  for (const [id, p] of unconfirmed) {
    const m = stored.find((x) => x.role === 'user' && x.content === p.content && !state.shownMessages.has(x.id) &&
      Date.parse(x.created_at) >= p.at - 5_000 && (!p.thread || x.thread_id === p.thread));
    if (!m) {
      p.unconfirmed = false;
      sendMessage(id, p); // never arrived: send it again
      continue;
    }
    claimPending(m);
    if (!state.thread && p.generation === state.generation) {
      state.thread = m.thread_id;
      history.replaceState(null, '', `#/threads/${m.thread_id}`);
      loadThreads().catch(() => {});
    }
    if (m.run_id && m.thread_id === state.thread) {
      const view = runView(m.run_id, p.bubble);
      await catchUp(view);
      if (!view.done) send({ type: 'subscribe', run_id: view.id, after_seq: view.seq });
    }
  }
}

// Runs of the open thread that started while the socket was down (another tab's) sent their first events to no one.
async function adoptMissedRuns() {
  const thread = state.thread;
  if (!thread) return;
  const runs = await allPages(`/api/threads/${encodeURIComponent(thread)}/runs?limit=100`);
  if (thread !== state.thread) return;
  for (const r of runs) {
    const id = r.id ?? r.run_id;
    if (state.runs.has(id) || r.status === 'queued') continue;
    adoptRun({ run_id: id, thread_id: thread });
    const view = state.runs.get(id);
    await catchUp(view);
    if (!view.done) send({ type: 'subscribe', run_id: id, after_seq: view.seq });
  }
}

async function connect() {
  try {
    await refreshIfDue();
  } catch {
    // The server is unreachable: the socket below fails too and the back-off retries.
  }
  if (!state.access) return;
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/v1/websocket`;
  const ws = new WebSocket(url, ['jwt-auth', `jwt-auth.${state.access}`]);
  state.ws = ws;
  setConnection(state.backoff > 500 ? 'reconnecting' : 'connecting', state.backoff > 500 ? 'reconnecting…' : 'connecting…');
  let opened = false;
  ws.addEventListener('open', () => {
    opened = true;
    failedConnects = 0;
    state.backoff = 500;
    setConnection('connected', 'connected');
    // Resume every unfinished run of the open thread after the last event shown: nothing twice, nothing missing.
    for (const view of state.runs.values()) if (!view.done) send({ type: 'subscribe', run_id: view.id, after_seq: view.seq });
    for (const [id, pending] of pendingMessages) if (!pending.sent && !pending.waitsForThread) sendMessage(id, pending);
    if (reconnected) reconcileUnconfirmed().then(adoptMissedRuns).catch(() => {});
    reconnected = true;
  });
  ws.addEventListener('message', (m) => {
    let f;
    try {
      f = JSON.parse(m.data);
    } catch {
      return;
    }
    onFrame(f);
  });
  ws.addEventListener('close', () => {
    if (state.ws !== ws || !state.access) return;
    state.ws = null;
    // Sent but not acknowledged: the server may or may not have it. Settled after the reconnect.
    for (const pending of pendingMessages.values()) if (pending.sent) pending.unconfirmed = true;
    if (!opened && ++failedConnects >= 3) {
      // Refused again and again: perhaps the token (revoked, or the server's secret changed). A forced refresh
      // signs out when the session is over.
      failedConnects = 0;
      refreshIfDue(true).catch(() => {});
    }
    setConnection('reconnecting', 'reconnecting…');
    const jitter = Math.random() * 0.3 * state.backoff;
    setTimeout(connect, state.backoff + jitter);
    state.backoff = Math.min(state.backoff * 2, 10_000);
  });
}

function onFrame(f) {
  switch (f.type) {
    case 'ack':
      if (f.client_message_id && pendingMessages.has(f.client_message_id)) acked(f);
      break;
    case 'error': {
      // A refused message (THREAD_BUSY, RATE_LIMITED, …) is named by its client_message_id.
      const pending = f.client_message_id && pendingMessages.get(f.client_message_id);
      if (pending) {
        pendingMessages.delete(f.client_message_id);
        pending.bubble.classList.remove('sending');
        pending.bubble.classList.add('failed');
        pending.bubble.append(el('p', 'error', `Not sent: ${f.message}`));
      } else {
        notice(new Error(f.message || f.code));
      }
      break;
    }
    case 'agent_status':
      for (const r of f.runs ?? []) state.runs.get(r.run_id)?.showAgentStatus(r);
      break;
    case 'connection_established':
    case 'subscribed':
    case 'pong':
    case 'heartbeat_ack':
      break;
    default:
      onEvent(f);
  }
}

function acked(f) {
  const pending = pendingMessages.get(f.client_message_id);
  pendingMessages.delete(f.client_message_id);
  if (pending.generation !== state.generation) return; // another thread is open now: it shows there
  pending.bubble.dataset.messageId = f.message_id;
  pending.bubble.classList.remove('sending');
  state.shownMessages.add(f.message_id);
  if (!state.thread) {
    state.thread = f.thread_id;
    history.replaceState(null, '', `#/threads/${f.thread_id}`);
    loadThreads().catch(() => {});
  }
  if (f.run_id) runView(f.run_id, pending.bubble);
  for (const [id, waiting] of pendingMessages) {
    if (!waiting.waitsForThread || waiting.generation !== state.generation) continue;
    waiting.waitsForThread = false;
    waiting.thread = f.thread_id;
    sendMessage(id, waiting);
  }
  updateControls();
}

function sendMessage(id, pending) {
  pending.sent = send({
    type: 'user_message',
    client_message_id: id,
    content: pending.content,
    policy: pending.policy,
    ...(pending.thread ? { thread_id: pending.thread } : {}),
    ...(pending.dataset ? { dataset_id: pending.dataset } : {}),
  });
}

function submitMessage(event) {
  event.preventDefault();
  const content = $('message').value.trim();
  if (!content) return;
  const bubble = userBubble(content);
  bubble.classList.add('sending');
  $('timeline').append(bubble);
  const id = crypto.randomUUID();
  const pending = { bubble, content, policy: $('policy').value, thread: state.thread, dataset: state.attachment?.id, generation: state.generation, at: Date.now() };
  // In a new conversation, a message sent before the first one's ack would start a second thread: it waits for the
  // thread the first one creates.
  pending.waitsForThread = !state.thread && [...pendingMessages.values()].some((p) => !p.thread && !p.waitsForThread);
  pendingMessages.set(id, pending);
  if (!pending.waitsForThread) sendMessage(id, pending); // not connected: sent on (re)connect
  $('message').value = '';
  if (state.attachment) $('upload-panel').hidden = true; // its dataset went with this message
  setAttachment(null);
  updateControls();
  $('timeline').scrollTop = $('timeline').scrollHeight;
}

// ------------------------------------------------------------------------------------------------- uploads
function setAttachment(dataset) {
  state.attachment = dataset;
  $('attachment').hidden = !dataset;
  $('attachment').querySelector('.name').textContent = dataset?.name ?? '';
}

function mediaType(name) {
  if (/\.csv$/i.test(name)) return 'text/csv';
  if (/\.(jsonl|ndjson)$/i.test(name)) return 'application/x-ndjson';
  if (/\.json$/i.test(name)) return 'application/json';
  return 'application/octet-stream';
}

// XMLHttpRequest rather than fetch: only it reports upload progress.
function upload(file) {
  if (!file) return;
  const panel = $('upload-panel');
  const bar = $('upload-progress');
  const summary = $('upload-summary');
  panel.hidden = false;
  bar.hidden = false;
  bar.max = Math.max(1, file.size);
  bar.value = 0;
  bar.dataset.state = 'uploading';
  $('upload-label').textContent = `Uploading ${file.name} (${integer(file.size / 1024)} KiB)…`;
  summary.replaceChildren();
  delete summary.dataset.datasetId;
  refreshIfDue().finally(() => {
    const xhr = new XMLHttpRequest();
    const params = new URLSearchParams({ name: file.name });
    if (state.thread) params.set('thread_id', state.thread);
    xhr.open('POST', `/api/datasets?${params}`);
    xhr.setRequestHeader('authorization', `Bearer ${state.access}`);
    xhr.setRequestHeader('content-type', mediaType(file.name));
    xhr.upload.addEventListener('progress', (e) => {
      if (e.lengthComputable) {
        bar.max = e.total;
        bar.value = e.loaded;
      }
    });
    xhr.addEventListener('load', () => {
      let body = {};
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        // Not JSON (a proxy's page): the status says enough.
      }
      if (xhr.status === 201) {
        bar.value = bar.max;
        bar.dataset.state = 'done';
        $('upload-label').textContent = `Uploaded ${file.name}`;
        uploadSummary(body, file.name);
        setAttachment({ id: body.id, name: body.name ?? file.name });
        $('message').focus();
      } else {
        uploadFailed(xhr.status === 0 ? 'The upload did not reach the server.' : body.message || `The server answered ${xhr.status}.`);
      }
    });
    xhr.addEventListener('error', () => uploadFailed('The upload did not reach the server.'));
    xhr.send(file);
  });
}

function uploadFailed(message) {
  $('upload-progress').dataset.state = 'failed';
  $('upload-label').textContent = 'Upload failed';
  $('upload-summary').replaceChildren(el('p', 'error', message));
}

function uploadSummary(d, fileName) {
  const s = $('upload-summary');
  s.dataset.datasetId = d.id;
  s.append(el('h3', '', d.name ?? fileName));
  const facts = s.appendChild(el('p', 'facts'));
  facts.append(el('span', 'rows', `${integer(d.rows)} rows stored`), ' · ');
  facts.append(el('span', 'rejected', `${integer(d.rejected_rows)} rejected`), ' · ');
  const grain = d.grain === 'request' ? 'one row per request' : `${d.grain ?? 'unknown'} buckets`;
  facts.append(el('span', 'format', `format ${d.source_format ?? d.format} (${d.format}, ${grain})`));
  const p = d.profile;
  if (p) {
    const glance = s.appendChild(el('p', 'profile'));
    const models = (p.by_model ?? []).slice(0, 3).map((m) => m.name).join(', ');
    glance.textContent = `About ${money(p.monthly_cost_usd ?? 0)} per month over ${Number(p.days_covered ?? 0).toFixed(1)} days${models ? `; top models: ${models}` : ''}.`;
  }
  if ((d.warnings ?? []).length) {
    s.append(el('h4', '', 'Warnings'));
    const ul = s.appendChild(el('ul', 'warnings'));
    for (const w of d.warnings) ul.append(el('li', '', typeof w === 'string' ? w : w.message ?? compact(w)));
  }
  if ((d.errors ?? []).length) {
    s.append(el('h4', '', d.rejected_rows > d.errors.length ? `Rejected rows (first ${d.errors.length})` : 'Rejected rows'));
    const ul = s.appendChild(el('ul', 'errors'));
    for (const e of d.errors) ul.append(el('li', '', `line ${e.line}: ${String(e.message).replace(/^line \d+:\s*/, '')}`));
  }
  s.append(el('p', 'muted', 'The dataset is attached to your next message.'));
}

function setUpDrop() {
  const chat = $('chat');
  let depth = 0;
  const hint = (on) => {
    $('drop-hint').hidden = !on;
    chat.classList.toggle('dragging', on);
  };
  chat.addEventListener('dragenter', (e) => {
    if (![...(e.dataTransfer?.types ?? [])].includes('Files')) return;
    e.preventDefault();
    depth += 1;
    hint(true);
  });
  chat.addEventListener('dragover', (e) => {
    if ([...(e.dataTransfer?.types ?? [])].includes('Files')) e.preventDefault();
  });
  chat.addEventListener('dragleave', () => {
    depth = Math.max(0, depth - 1);
    if (!depth) hint(false);
  });
  chat.addEventListener('drop', (e) => {
    e.preventDefault();
    depth = 0;
    hint(false);
    upload(e.dataTransfer?.files?.[0]);
  });
}

// --------------------------------------------------------------------------------------------------- layout
const narrow = window.matchMedia('(max-width: 700px)');

function closeThreadsOnNarrow() {
  if (!narrow.matches) return;
  $('threads').classList.remove('open');
  $('toggle-threads').setAttribute('aria-expanded', 'false');
}

function onLayout() {
  $('toggle-threads').hidden = !narrow.matches || !state.access;
}

// --------------------------------------------------------------------------------------------------- wiring
function threadFromHash() {
  const m = /^#\/threads\/([\w-]+)$/.exec(location.hash);
  return m ? m[1] : null;
}

function show() {
  const signedIn = Boolean(state.access);
  $('signin').hidden = signedIn;
  $('workspace').hidden = !signedIn;
  $('sign-out').hidden = !signedIn;
  onLayout();
  if (!signedIn) {
    $('email').focus();
    return;
  }
  scheduleRefresh();
  loadThreads()
    .then(() => {
      if (state.thread !== null || state.runs.size) return;
      const wanted = threadFromHash();
      openThread(state.threads.some((t) => t.id === wanted) ? wanted : null);
    })
    .catch(notice);
  if (!state.ws) connect();
}

$('signin-form').addEventListener('submit', signIn);
$('sign-out').addEventListener('click', () => signOut());
$('new-thread').addEventListener('click', () => openThread(null));
$('thread-list').addEventListener('keydown', onThreadKey);
$('cancel').addEventListener('click', cancelRun);
$('composer').addEventListener('submit', submitMessage);
$('message').addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    $('composer').requestSubmit();
  }
});
$('attach').addEventListener('click', () => $('file-input').click());
$('file-input').addEventListener('change', (e) => {
  upload(e.target.files[0]);
  e.target.value = '';
});
$('detach').addEventListener('click', () => setAttachment(null));
$('upload-dismiss').addEventListener('click', () => {
  $('upload-panel').hidden = true;
  $('message').focus();
});
$('toggle-threads').addEventListener('click', () => {
  const open = $('threads').classList.toggle('open');
  $('toggle-threads').setAttribute('aria-expanded', String(open));
});
narrow.addEventListener('change', onLayout);
window.addEventListener('hashchange', () => {
  if (!location.hash.startsWith('#/')) return; // an in-page anchor, not a route
  const wanted = threadFromHash();
  if (state.access && wanted !== state.thread) openThread(wanted);
});
// The skip link moves focus without touching the URL, which names the open thread.
document.querySelector('.skip').addEventListener('click', (e) => {
  e.preventDefault();
  $('message').focus();
});
// Another tab signed out or refreshed the tokens.
window.addEventListener('storage', (e) => {
  if (e.key === 'netra.access' && !e.newValue && state.access) signOut();
  else if (e.key === 'netra.expires_at' && e.newValue) {
    state.access = store.getItem('netra.access');
    state.refresh = store.getItem('netra.refresh');
    state.expiresAt = Number(e.newValue);
    scheduleRefresh();
  }
});
setUpDrop();
show();
