// POST /ag-ui driven by the official AG-UI client: @ag-ui/client's HttpAgent.runAgent, whose pipeline validates every
// event against the protocol's schemas (enforceEvents) and checks the order with verifyEvents before anything reaches
// a subscriber. What the client saw is then held to what the server stored for the run (GET /api/runs/{id}/events).
//
//   cd tests/ag-ui && npm ci && node --test
//
// The server binary is NETRA_BIN or the newest build under build/ (tests/lib/server.mjs).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import { HttpAgent, verifyEvents } from '@ag-ui/client';
import { from, lastValueFrom, toArray } from 'rxjs';

import { Api, newEmail, PASSWORD, slowDataHelper } from '../lib/api.mjs';
import { startServer } from '../lib/server.mjs';
import { usageCsv } from '../lib/usage.mjs';

let server;
let alice;
let bob;
// The client reports anything it had to strip or translate with console.warn ("[ag-ui]…"): Netra must need none.
const clientWarnings = [];
const warn = console.warn;

before(async () => {
  console.warn = (...args) => {
    if (String(args[0]).includes('[ag-ui]')) clientWarnings.push(args.join(' '));
    warn(...args);
  };
  server = await startServer();
  alice = new Api(server);
  await alice.register(newEmail('agui-alice'), PASSWORD);
  bob = new Api(server);
  await bob.register(newEmail('agui-bob'), PASSWORD);
});

after(async () => {
  console.warn = warn;
  await server?.stop();
});

function agentFor(api, threadId = randomUUID(), extra = {}) {
  return new HttpAgent({
    url: `${server.url}/ag-ui`,
    headers: { Authorization: `Bearer ${api.token}` },
    threadId,
    ...extra,
  });
}

/** Adds a user message and runs the agent; returns what the client saw (after its verifier) and runAgent's answer. */
async function ask(agent, content, { forwardedProps, runId = randomUUID(), onEvent } = {}) {
  agent.addMessage({ id: randomUUID(), role: 'user', content });
  const events = [];
  const answer = await agent.runAgent(
    { runId, ...(forwardedProps ? { forwardedProps } : {}) },
    {
      onEvent: ({ event }) => {
        events.push(event);
        onEvent?.(event);
      },
    },
  );
  return { events, runId, ...answer };
}

const netraRunId = (events) => events[0].metadata.netra.run_id;
const ofType = (events, type) => events.filter((e) => e.type === type);

/** The client's events held to the run's stored events. */
async function checkAgainstStored(api, events, { threadId, runId }) {
  const types = events.map((e) => e.type);
  assert.equal(types[0], 'RUN_STARTED');
  assert.equal(types.at(-1), 'RUN_FINISHED');
  assert.equal(types.at(-2), 'STATE_SNAPSHOT');
  assert.equal(events[0].threadId, threadId);
  assert.equal(events[0].runId, runId);
  assert.equal(events.at(-1).threadId, threadId);
  assert.equal(events.at(-1).runId, runId);

  const id = netraRunId(events);
  const stored = await api.events(id);
  assert.equal(stored.at(-1).type, 'run_completed');
  assert.equal(stored[0].thread_id, threadId, 'the Netra thread is the AG-UI thread');

  // One STEP pair per agent, in the order the agents ran.
  const agents = stored.filter((e) => e.type === 'agent_started').map((e) => e.payload.agent);
  assert.ok(agents.length >= 2, `agents: ${agents}`);
  assert.deepEqual(ofType(events, 'STEP_STARTED').map((e) => e.stepName), agents);
  assert.deepEqual(ofType(events, 'STEP_FINISHED').map((e) => e.stepName), agents);
  for (const agent of agents) {
    const start = events.findIndex((e) => e.type === 'STEP_STARTED' && e.stepName === agent);
    const end = events.findIndex((e) => e.type === 'STEP_FINISHED' && e.stepName === agent);
    assert.ok(start < end, agent);
  }

  // The streamed text is the report.
  const chunks = stored.filter((e) => e.type === 'stream_chunk').map((e) => e.payload.text).join('');
  const text = ofType(events, 'TEXT_MESSAGE_CONTENT').map((e) => e.delta).join('');
  assert.ok(chunks.length > 100);
  assert.equal(text, chunks);
  assert.ok(ofType(events, 'TEXT_MESSAGE_CONTENT').every((e) => e.delta.length > 0));
  const messages = await api.messages(threadId);
  const report = messages.filter((m) => m.role === 'assistant' && m.run_id === id);
  assert.equal(report.length, 1);
  assert.equal(report[0].content, text);

  // Every tool call, with its arguments and its result.
  const executing = stored.filter((e) => e.type === 'tool_executing');
  const completed = stored.filter((e) => e.type === 'tool_completed');
  const starts = ofType(events, 'TOOL_CALL_START');
  assert.deepEqual(starts.map((e) => e.toolCallName), executing.map((e) => e.payload.tool));
  const args = ofType(events, 'TOOL_CALL_ARGS');
  assert.deepEqual(args.map((e) => JSON.parse(e.delta)), executing.map((e) => e.payload.parameters ?? {}));
  const results = ofType(events, 'TOOL_CALL_RESULT');
  assert.equal(results.length, completed.length);
  for (const [i, r] of results.entries()) {
    const call = starts.find((s) => s.toolCallId === r.toolCallId);
    assert.ok(call, `result ${i} answers a call`);
    assert.equal(call.toolCallName, completed[i].payload.tool);
    assert.deepEqual(JSON.parse(r.content), completed[i].payload.result);
  }

  // Thoughts as reasoning.
  const thoughts = stored.filter((e) => e.type === 'agent_thinking').map((e) => e.payload.thought);
  assert.deepEqual(ofType(events, 'REASONING_MESSAGE_CONTENT').map((e) => e.delta), thoughts);

  // The structured result.
  const final = stored.at(-1).payload;
  const snapshot = events.at(-2).snapshot;
  assert.equal(snapshot.run_id, id);
  assert.equal(snapshot.status, 'completed');
  assert.deepEqual(snapshot.result, final.result);
  assert.deepEqual(events.at(-1).result, final.result);
  return { stored, text, snapshot };
}

describe('POST /ag-ui with @ag-ui/client', () => {
  test("the client's verifier runs in runAgent and refuses a bad order", async () => {
    // Unit level: verifyEvents on a hand-made sequence.
    const bad = [
      { type: 'RUN_STARTED', threadId: 't', runId: 'r' },
      { type: 'TEXT_MESSAGE_CONTENT', messageId: 'm', delta: 'x' },
    ];
    await assert.rejects(lastValueFrom(from(bad).pipe(verifyEvents(), toArray())), /No active text message/);
    const good = [
      { type: 'RUN_STARTED', threadId: 't', runId: 'r' },
      { type: 'STEP_STARTED', stepName: 's' },
      { type: 'STEP_FINISHED', stepName: 's' },
      { type: 'RUN_FINISHED', threadId: 't', runId: 'r' },
    ];
    assert.equal((await lastValueFrom(from(good).pipe(verifyEvents(), toArray()))).length, 4);

    // Through runAgent: Netra's real stream with one event removed (a TEXT_MESSAGE_START) must fail the run.
    const res = await fetch(`${server.url}/ag-ui`, {
      method: 'POST',
      headers: { authorization: `Bearer ${alice.token}`, 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ threadId: randomUUID(), runId: 'r1', messages: [{ id: '1', role: 'user', content: 'hello, what can you do?' }] }),
    });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /^text\/event-stream/);
    const body = await res.text();
    const frames = body.split('\n\n').filter((f) => f.startsWith('data: '));
    assert.ok(frames.every((f) => !f.includes('\n')), 'one data line per frame');
    const parsed = frames.map((f) => JSON.parse(f.slice(6)));
    assert.ok(parsed.some((e) => e.type === 'TEXT_MESSAGE_START'));
    const replay = (text) => async () =>
      new Response(text, { status: 200, headers: { 'content-type': 'text/event-stream' } });
    // The untouched stream passes...
    const ok = await agentFor(alice, randomUUID(), { fetch: replay(body) }).runAgent();
    assert.ok(ok.newMessages.some((m) => m.role === 'assistant' && typeof m.content === 'string'));
    // ...the tampered one does not.
    const tampered = frames.filter((f) => !f.includes('"TEXT_MESSAGE_START"')).join('\n\n') + '\n\n';
    const broken = agentFor(alice, randomUUID(), { fetch: replay(tampered) });
    const errorLog = console.error;
    console.error = () => {}; // runAgent logs the failure it rethrows
    try {
      await assert.rejects(broken.runAgent(), /TEXT_MESSAGE_CONTENT|No active text message/);
    } finally {
      console.error = errorLog;
    }
  });

  test('a run: the verified event stream matches the stored events, and a second run on the thread', async () => {
    const threadId = randomUUID();
    const agent = agentFor(alice, threadId);
    const first = await ask(agent, 'Hello! What can you do for my LLM costs?');
    const { text } = await checkAgainstStored(alice, first.events, { threadId, runId: first.runId });

    // The client built the conversation from the events: the report is one assistant message.
    const assistant = first.newMessages.filter((m) => m.role === 'assistant' && typeof m.content === 'string' && m.content);
    assert.equal(assistant.length, 1, JSON.stringify(assistant.map((m) => [m.id, m.content.slice(0, 80)])));
    assert.equal(assistant[0].content, text);
    assert.ok(first.newMessages.some((m) => m.role === 'tool'));
    assert.ok(first.newMessages.some((m) => m.role === 'reasoning'));
    assert.equal(agent.state.status, 'completed');

    // The thread is the user's, under the client's id.
    const thread = await alice.request('GET', `/api/threads/${threadId}`);
    assert.equal(thread.id, threadId);

    // A second run on the same thread: the agent sends the whole conversation, Netra takes the new message.
    const second = await ask(agent, 'We spend $40k/month on GPT-4o for customer support, 2M requests per month.');
    await checkAgainstStored(alice, second.events, { threadId, runId: second.runId });
    assert.notEqual(netraRunId(second.events), netraRunId(first.events));
    const runs = await alice.request('GET', `/api/threads/${threadId}/runs`);
    assert.equal(runs.data.length, 2);
    const messages = await alice.messages(threadId);
    assert.deepEqual(messages.map((m) => m.role), ['user', 'assistant', 'user', 'assistant']);
    assert.match(messages[2].content, /\$40k\/month/);
    // The second run's triage saw both user messages of the thread.
    const stored = await alice.events(netraRunId(second.events), { type: 'tool_executing', agent: 'triage' });
    assert.equal(stored[0].payload.parameters.messages, 2);
  });

  test('a run with a dataset: STATE_SNAPSHOT holds the figures', async () => {
    const { csv } = usageCsv();
    const dataset = await alice.request('POST', '/api/datasets?name=agui-usage', {
      body: csv,
      headers: { 'content-type': 'text/csv' },
    });
    const threadId = randomUUID();
    const agent = agentFor(alice, threadId);
    const run = await ask(agent, 'Analyze my usage and tell me how to reduce costs.', {
      forwardedProps: { dataset_id: dataset.id },
    });
    const { snapshot } = await checkAgainstStored(alice, run.events, { threadId, runId: run.runId });
    assert.deepEqual(ofType(run.events, 'STEP_STARTED').map((e) => e.stepName),
      ['triage', 'data', 'optimization', 'actions', 'reporting']);
    const r = snapshot.result;
    assert.equal(r.dataset_id, dataset.id);
    assert.equal(r.rows, dataset.rows);
    assert.equal(r.estimated, false);
    assert.ok(r.monthly_cost_usd > 0);
    assert.ok(r.savings_usd > 0 && r.projected_monthly_usd < r.current_monthly_usd);
    assert.ok(r.strategies.length > 0);
    // The figures are the data agent's and the optimizer's, as stored.
    const data = await alice.events(netraRunId(run.events), { type: 'agent_completed', agent: 'data' });
    assert.equal(r.monthly_cost_usd, data[0].payload.result.profile.monthly_cost_usd);
    // The client applied the snapshot as its state, and runAgent answers the result.
    assert.deepEqual(agent.state, snapshot);
    assert.deepEqual(run.result, r);
  });

  test('a cancelled run ends with RUN_FINISHED outcome cancelled', async () => {
    await alice.setFault(slowDataHelper(5000));
    try {
      const agent = agentFor(alice);
      let id;
      let cancelled;
      const run = await ask(agent, 'We spend $40k/month on GPT-4o for customer support.', {
        onEvent: (e) => {
          if (e.type === 'RUN_STARTED') id = e.metadata.netra.run_id;
          if (e.type === 'TOOL_CALL_START' && e.toolCallName === 'build_data_request' && !cancelled) {
            cancelled = alice.request('POST', `/api/runs/${id}/cancel`);
          }
        },
      });
      await cancelled;
      const last = run.events.at(-1);
      assert.equal(last.type, 'RUN_FINISHED');
      assert.deepEqual(last.outcome, { type: 'cancelled' });
      assert.equal(run.events.at(-2).snapshot.status, 'cancelled');
      const failed = run.events.filter((e) => e.type === 'STEP_FINISHED' && e.metadata?.netra?.status === 'failed');
      assert.equal(failed.at(-1).metadata.netra.error.code, 'CANCELLED');
      assert.equal((await alice.run(netraRunId(run.events))).status, 'cancelled');
    } finally {
      await alice.clearFaults();
    }
  });

  test('a busy thread: enqueue waits for its turn, reject answers 409', async () => {
    await alice.setFault(slowDataHelper(1500));
    try {
      const threadId = randomUUID();
      const firstAgent = agentFor(alice, threadId);
      let started;
      const startedP = new Promise((r) => { started = r; });
      const first = ask(firstAgent, 'We spend $40k/month on GPT-4o.', {
        onEvent: (e) => { if (e.type === 'STEP_STARTED') started(); },
      });
      await startedP;
      const rejected = agentFor(alice, threadId);
      rejected.addMessage({ id: randomUUID(), role: 'user', content: 'Another question' });
      const errorLog = console.error;
      console.error = () => {};
      try {
        await assert.rejects(rejected.runAgent({ forwardedProps: { policy: 'reject' } }), (e) => e.status === 409 && e.payload.error === 'thread_busy');
      } finally {
        console.error = errorLog;
      }
      const queued = await ask(agentFor(alice, threadId), 'And what about latency?');
      const firstRun = await first;
      assert.equal(firstRun.events.at(-1).type, 'RUN_FINISHED');
      assert.equal(queued.events.at(-1).type, 'RUN_FINISHED');
      const a = await alice.run(netraRunId(firstRun.events));
      const b = await alice.run(netraRunId(queued.events));
      assert.ok(b.started_at >= a.finished_at, 'the queued run started after the first ended');
    } finally {
      await alice.clearFaults();
    }
  });

  test('errors: invalid bodies are 4xx JSON, no token is 401, another user\'s thread is 404', async () => {
    const post = (body, headers = {}) => fetch(`${server.url}/ag-ui`, {
      method: 'POST',
      headers: { authorization: `Bearer ${alice.token}`, 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    const expectError = async (res, status, code) => {
      assert.equal(res.status, status);
      assert.match(res.headers.get('content-type'), /application\/json/);
      const body = await res.json();
      assert.equal(body.error, code);
      assert.equal(typeof body.message, 'string');
      assert.equal(body.request_id, res.headers.get('x-request-id'));
      return body;
    };
    await expectError(await post('{not json'), 400, 'invalid_request');
    await expectError(await post({ threadId: 't' }), 422, 'validation_failed');
    await expectError(await post({ messages: [{ id: '1', role: 'assistant', content: 'hi' }] }), 422, 'validation_failed');
    await expectError(await post({ messages: [{ id: '1', role: 'user', content: '   ' }] }), 422, 'validation_failed');
    await expectError(await post({ threadId: 'no spaces allowed', messages: [{ id: '1', role: 'user', content: 'q' }] }), 422,
      'validation_failed');
    await expectError(await post({ messages: [{ id: '1', role: 'user', content: 'q' }], forwardedProps: { policy: 'soon' } }),
      422, 'validation_failed');
    const unauthenticated = await post({ messages: [{ id: '1', role: 'user', content: 'q' }] }, { authorization: '' });
    assert.match(unauthenticated.headers.get('www-authenticate') ?? '', /Bearer/);
    await expectError(unauthenticated, 401, 'unauthenticated');

    // The client sees the HTTP error: runAgent rejects with its status and JSON body.
    const empty = agentFor(alice);
    const errorLog = console.error;
    console.error = () => {};
    try {
      await assert.rejects(empty.runAgent(), (e) => e.status === 422 && e.payload.error === 'validation_failed');

      // Bob cannot run on (or read) Alice's thread: 404, and nothing is added to it.
      const threadId = randomUUID();
      await ask(agentFor(alice, threadId), 'Hello');
      const before = await alice.messages(threadId);
      const intruder = agentFor(bob, threadId);
      intruder.addMessage({ id: randomUUID(), role: 'user', content: 'let me in' });
      await assert.rejects(intruder.runAgent(), (e) => e.status === 404 && e.payload.error === 'not_found');
      assert.deepEqual(await alice.messages(threadId), before);
      assert.equal((await bob.threads()).length, 0);
    } finally {
      console.error = errorLog;
    }
  });

  test('the client needed no compatibility translation or stripping', () => {
    assert.deepEqual(clientWarnings, []);
  });
});
