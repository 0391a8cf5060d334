// Netra's chat UI: sign-in, threads, and a run's live timeline over the WebSocket, resumed after a drop with
// `subscribe {run_id, after_seq}`. No framework and no build step; every text from the server is put in the page
// with textContent, never as HTML, so nothing in a message, a dataset name or a report can run script.
const $ = (id) => document.getElementById(id);
const store = window.localStorage; // why localStorage: docs/decisions.md ("Web UI tokens")

const state = {
  access: store.getItem('netra.access'),
  refresh: store.getItem('netra.refresh'),
  expiresAt: Number(store.getItem('netra.expires_at') || 0),
  thread: null,
  ws: null,
  backoff: 500,
  runs: new Map(), // run_id -> {seq, steps: Map(agent -> li), report: li, done}
  activeRun: null,
};

// ---------------------------------------------------------------------------------------------- HTTP and auth
async function api(method, path, body) {
  await refreshIfDue();
  const res = await fetch(path, {
    method,
    headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...(state.access ? { authorization: `Bearer ${state.access}` } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await res.json().catch(() => ({}));
  if (!res.ok) throw Object.assign(new Error(json.message || `HTTP ${res.status}`), { status: res.status, body: json });
  return json;
}

function keepTokens(t) {
  state.access = t.access_token;
  state.refresh = t.refresh_token || state.refresh;
  state.expiresAt = Date.now() + (t.expires_in || 900) * 1000;
  store.setItem('netra.access', state.access);
  if (state.refresh) store.setItem('netra.refresh', state.refresh);
  store.setItem('netra.expires_at', String(state.expiresAt));
}

async function refreshIfDue() {
  if (!state.refresh || Date.now() < state.expiresAt - 60_000) return;
  const res = await fetch('/auth/refresh', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refresh_token: state.refresh }) });
  if (!res.ok) return signOut();
  keepTokens(await res.json());
}

function signOut() {
  for (const k of ['netra.access', 'netra.refresh', 'netra.expires_at']) store.removeItem(k);
  Object.assign(state, { access: null, refresh: null, expiresAt: 0, thread: null });
  if (state.ws) state.ws.close();
  show();
}

async function signIn(event) {
  event.preventDefault();
  const mode = event.submitter?.value === 'register' ? 'register' : 'login';
  $('signin-error').textContent = '';
  try {
    const res = await fetch(`/auth/${mode}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: $('email').value, password: $('password').value }),
    });
    const body = await res.json().catch(() => ({}));
    if (!res.ok) {
      const wait = res.status === 429 && body.retry_after_ms ? ` Try again in ${Math.ceil(body.retry_after_ms / 1000)} s.` : '';
      $('signin-error').textContent = (body.message || `The server answered ${res.status}.`) + wait;
      return;
    }
    keepTokens(body);
    show();
  } catch {
    $('signin-error').textContent = 'The server cannot be reached. Check your connection and try again.';
  }
}

// ------------------------------------------------------------------------------------------------- threads
async function loadThreads() {
  const { data = [] } = await api('GET', '/api/threads');
  const list = $('thread-list');
  list.replaceChildren();
  for (const t of data) {
    const li = document.createElement('li');
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = t.title || 'Untitled';
    const when = document.createElement('small');
    when.textContent = new Date(t.updated_at).toLocaleString();
    b.append(when);
    b.setAttribute('aria-current', String(t.id === state.thread));
    b.addEventListener('click', () => openThread(t.id));
    li.append(b);
    list.append(li);
  }
}

async function openThread(id) {
  state.thread = id;
  state.runs.clear();
  $('timeline').replaceChildren();
  await loadThreads();
  if (!id) return;
  const { data = [] } = await api('GET', `/api/threads/${encodeURIComponent(id)}/messages`);
  for (const m of data) addBubble(m.role === 'user' ? 'user' : 'report', m.content);
  send({ type: 'subscribe', thread_id: id }); // runs in progress continue live, each event once
}

// ------------------------------------------------------------------------------------------------ timeline
function addBubble(kind, text) {
  const li = document.createElement('li');
  li.className = kind;
  li.textContent = text;
  $('timeline').append(li);
  li.scrollIntoView({ block: 'end' });
  return li;
}

function detail(li, text) {
  const p = document.createElement('p');
  p.className = 'detail';
  p.textContent = text;
  li.append(p);
}

function onEvent(e) {
  if (!e.run_id || typeof e.seq !== 'number') return;
  if (e.thread_id && e.thread_id !== state.thread) return;
  let run = state.runs.get(e.run_id);
  if (!run) state.runs.set(e.run_id, (run = { seq: 0, steps: new Map(), report: null, done: false }));
  if (e.seq <= run.seq) return; // held already (a resumed stream repeats nothing, but be safe)
  run.seq = e.seq;
  const p = e.payload || {};
  const agent = e.agent_name || p.agent || '';
  const step = () => {
    if (!run.steps.has(agent)) {
      const li = addBubble('step', agent);
      li.setAttribute('aria-label', `agent ${agent}`);
      run.steps.set(agent, li);
    }
    return run.steps.get(agent);
  };
  switch (e.type) {
    case 'run_started': case 'run_resumed':
      state.activeRun = e.run_id;
      $('cancel').hidden = false;
      break;
    case 'agent_started': step(); break;
    case 'agent_thinking': detail(step(), p.thought || p.message || p.text || ''); break;
    case 'tool_executing': detail(step(), `→ ${p.tool}(${JSON.stringify(p.parameters ?? p.input ?? {})})`); break;
    case 'tool_completed': detail(step(), `← ${p.tool}${p.success === false ? ' failed' : ''} in ${Math.round(p.duration_ms ?? 0)} ms`); break;
    case 'agent_completed': detail(step(), `done in ${Math.round(p.duration_ms ?? 0)} ms`); break;
    case 'agent_failed': step().classList.add('failed'); detail(step(), `failed: ${p.error?.message ?? ''}`); break;
    case 'stream_chunk':
      if (!run.report) run.report = addBubble('report', '');
      run.report.textContent += p.text ?? p.chunk ?? p.delta ?? '';
      break;
    case 'run_completed': case 'run_failed': case 'run_cancelled':
      run.done = true;
      if (state.activeRun === e.run_id) $('cancel').hidden = true;
      addBubble(e.type === 'run_completed' ? 'step' : 'step failed', e.type.replace('_', ' ') + (p.error ? `: ${p.error.message}` : ''));
      loadThreads();
      break;
    default: break;
  }
}

// ---------------------------------------------------------------------------------------------- WebSocket
function send(frame) {
  if (state.ws && state.ws.readyState === WebSocket.OPEN) state.ws.send(JSON.stringify(frame));
}

async function connect() {
  await refreshIfDue();
  if (!state.access) return;
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/v1/websocket`;
  const ws = new WebSocket(url, ['jwt-auth', `jwt-auth.${state.access}`]);
  state.ws = ws;
  $('connection').textContent = 'connecting…';
  ws.addEventListener('open', () => {
    state.backoff = 500;
    $('connection').textContent = 'connected';
    // Resume every run of the open thread after the last event shown: nothing twice, nothing missing.
    for (const [run_id, run] of state.runs) if (!run.done) send({ type: 'subscribe', run_id, after_seq: run.seq });
    if (state.thread && state.runs.size === 0) send({ type: 'subscribe', thread_id: state.thread });
  });
  ws.addEventListener('message', (m) => {
    let f;
    try { f = JSON.parse(m.data); } catch { return; }
    if (f.type === 'ack' && f.run_id && f.thread_id && !state.thread) { state.thread = f.thread_id; loadThreads(); }
    else if (f.type === 'error') addBubble('step failed', `${f.code}: ${f.message}`);
    else onEvent(f);
  });
  ws.addEventListener('close', () => {
    if (state.ws !== ws || !state.access) return;
    $('connection').textContent = 'reconnecting…';
    setTimeout(connect, state.backoff);
    state.backoff = Math.min(state.backoff * 2, 10_000);
  });
}

// --------------------------------------------------------------------------------------------------- wiring
function show() {
  const signedIn = Boolean(state.access);
  $('signin').hidden = signedIn;
  $('workspace').hidden = !signedIn;
  $('sign-out').hidden = !signedIn;
  if (signedIn) {
    loadThreads().catch(() => {});
    if (!state.ws || state.ws.readyState > WebSocket.OPEN) connect();
  }
}

$('signin-form').addEventListener('submit', signIn);
$('sign-out').addEventListener('click', signOut);
$('new-thread').addEventListener('click', () => openThread(null));
$('cancel').addEventListener('click', () => state.activeRun && send({ type: 'cancel_run', run_id: state.activeRun }));
$('composer').addEventListener('submit', (event) => {
  event.preventDefault();
  const content = $('message').value.trim();
  if (!content) return;
  addBubble('user', content);
  send({ type: 'user_message', content, policy: $('policy').value, ...(state.thread ? { thread_id: state.thread } : {}) });
  $('message').value = '';
});
show();
