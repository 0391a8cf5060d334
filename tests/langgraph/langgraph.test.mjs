// Netra's LangGraph Platform adapter (/langgraph, docs/protocols.md) driven by the real @langchain/langgraph-sdk
// Client: assistants, threads, streamed runs in every supported mode, a join after a dropped stream, cancel, wait,
// join, multitask_strategy reject, and isolation between users. What the client saw is checked against what the
// server stored (GET /api/runs/{id}/events, GET /api/threads/{id}/messages).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client } from '@langchain/langgraph-sdk';
import { Api, PASSWORD, newEmail, slowDataHelper } from '../lib/api.mjs';
import { startServer } from '../lib/server.mjs';
import { until } from '../lib/until.mjs';

const QUESTION = 'We spend $40k/month on GPT-4o for customer support, 2M requests per month. How can we cut costs?';
const ALL_MODES = ['values', 'messages-tuple', 'updates', 'custom'];
const input = (text = QUESTION) => ({ messages: [{ type: 'human', content: text }] });

let server;
let api;
let client;
let assistantId;

const newClient = (token, extra = {}) =>
  new Client({
    apiUrl: `${server.url}/langgraph`,
    apiKey: null, // no LANGGRAPH_API_KEY from the environment
    defaultHeaders: token ? { Authorization: `Bearer ${token}` } : {},
    callerOptions: { maxRetries: 0 },
    ...extra,
  });

async function collect(gen) {
  const parts = [];
  for await (const part of gen) parts.push(part);
  return parts;
}

const lastAi = (values) => values.messages.filter((m) => m.type === 'ai').at(-1);
const customSeqs = (parts) => parts.filter((p) => p.event === 'custom').map((p) => p.data.seq);
const chunkText = (parts) =>
  parts.filter((p) => p.event === 'messages').map((p) => p.data[0].content).join('');

/** The stored report of a run: its assistant message. */
async function storedAnswer(threadId, runId) {
  const messages = await api.messages(threadId);
  return messages.find((m) => m.role === 'assistant' && m.run_id === runId);
}

before(async () => {
  server = await startServer();
  api = new Api(server);
  await api.register(newEmail('langgraph'), PASSWORD);
  client = newClient(api.token);
});

after(async () => {
  await server?.stop();
});

describe('LangGraph adapter with @langchain/langgraph-sdk', { timeout: 120_000 }, () => {
  test('assistants.search finds the supervisor; assistants.get by id and by graph id', async () => {
    const found = await client.assistants.search({ graphId: 'netra' });
    assert.equal(found.length, 1);
    assert.equal(found[0].graph_id, 'netra');
    assistantId = found[0].assistant_id;
    assert.equal((await client.assistants.get(assistantId)).assistant_id, assistantId);
    assert.equal((await client.assistants.get('netra')).assistant_id, assistantId);
    assert.deepEqual(await client.assistants.search({ graphId: 'agent' }), []);
    await assert.rejects(client.assistants.get('agent'), (e) => e.status === 404);
  });

  test('runs.stream: metadata first, chunks = stored report, updates name the agents, custom = stored events', async () => {
    const thread = await client.threads.create({ metadata: { title: 'LangGraph stream' } });
    assert.equal(thread.status, 'idle');
    assert.deepEqual(thread.values.messages, []);
    let created;
    const parts = await collect(
      client.runs.stream(thread.thread_id, 'netra', {
        input: input(),
        streamMode: ALL_MODES,
        onRunCreated: (meta) => { created = meta; },
      }),
    );
    assert.equal(parts[0].event, 'metadata');
    const runId = parts[0].data.run_id;
    assert.ok(runId);
    assert.equal(parts[0].data.thread_id, thread.thread_id);
    assert.deepEqual(created, { run_id: runId, thread_id: thread.thread_id }); // from Content-Location
    assert.equal(parts.at(-1).event, 'end');
    assert.equal(parts.at(-1).data.status, 'success');

    const stored = await api.events(runId);
    const answer = await storedAnswer(thread.thread_id, runId);
    assert.ok(answer, 'the report is saved in the thread');
    // Every stored event reached the client once, in order (custom mode carries the envelopes).
    assert.deepEqual(customSeqs(parts), stored.map((e) => e.seq));
    assert.deepEqual(parts.filter((p) => p.event === 'custom').map((p) => p.data.type), stored.map((e) => e.type));
    // messages-tuple: one chunk per stream_chunk, concatenating to the saved report.
    const storedChunks = stored.filter((e) => e.type === 'stream_chunk');
    assert.equal(parts.filter((p) => p.event === 'messages').length, storedChunks.length);
    assert.ok(storedChunks.length > 0);
    assert.equal(chunkText(parts), answer.content);
    const tuple = parts.find((p) => p.event === 'messages');
    assert.equal(tuple.data[0].id, `run-${runId}`);
    assert.ok(tuple.data[1].langgraph_node);
    // updates: one per agent_completed, named after the agent, in order.
    const updates = parts.filter((p) => p.event === 'updates').map((p) => Object.keys(p.data)[0]);
    assert.deepEqual(updates, stored.filter((e) => e.type === 'agent_completed').map((e) => e.agent_name));
    assert.equal(updates[0], 'triage');
    assert.equal(updates.at(-1), 'reporting');
    // values: the human message at the start, human + the report at the end.
    const values = parts.filter((p) => p.event === 'values');
    assert.ok(values.length >= 2);
    assert.deepEqual(values[0].data.messages.map((m) => m.type), ['human']);
    assert.equal(values[0].data.messages[0].content, QUESTION);
    assert.equal(lastAi(values.at(-1).data).content, answer.content);
    // Ids are the Netra seqs of the events the frames come from.
    for (const p of parts.filter((x) => x.event === 'custom')) assert.equal(p.id, String(p.data.seq));

    // The thread as the SDK reads it back.
    const got = await client.threads.get(thread.thread_id);
    assert.equal(got.status, 'idle');
    assert.equal(got.metadata.title, 'LangGraph stream');
    assert.deepEqual(got.values.messages.map((m) => m.type), ['human', 'ai']);
    assert.equal(got.values.messages[1].content, answer.content);
    const state = await client.threads.getState(thread.thread_id);
    assert.deepEqual(state.values, got.values);
    assert.deepEqual(state.next, []);
    const history = await client.threads.getHistory(thread.thread_id);
    assert.equal(history.length, 2);
    assert.deepEqual(history[0].values, got.values);
    assert.equal(history[1].values.messages.length, 1);
    const search = await client.threads.search({ limit: 50 });
    assert.ok(search.some((t) => t.thread_id === thread.thread_id));
    const byId = await client.threads.search({ ids: [thread.thread_id] });
    assert.deepEqual(byId.map((t) => t.thread_id), [thread.thread_id]);
    const run = await client.runs.get(thread.thread_id, runId);
    assert.equal(run.status, 'success');
    const list = await client.runs.list(thread.thread_id);
    assert.deepEqual(list.map((r) => r.run_id), [runId]);
  });

  test('joinStream with the last event id after a dropped stream: the rest, once each', async () => {
    await api.setFault(slowDataHelper(5_000));
    try {
      const thread = await client.threads.create();
      const abort = new AbortController();
      const first = [];
      for await (const part of client.runs.stream(thread.thread_id, 'netra', {
        input: input('How can we cut our LLM costs?'),
        streamMode: ALL_MODES,
        signal: abort.signal,
      })) {
        first.push(part);
        if (part.event === 'custom' && part.data.type === 'tool_executing') {
          abort.abort();
          break;
        }
      }
      const runId = first[0].data.run_id;
      const lastEventId = first.filter((p) => p.id !== undefined).at(-1).id;
      assert.ok(Number(lastEventId) > 0);
      assert.equal((await client.runs.get(thread.thread_id, runId)).status, 'running');

      const rest = await collect(
        client.runs.joinStream(thread.thread_id, runId, { lastEventId, streamMode: ALL_MODES }),
      );
      assert.notEqual(rest[0].event, 'metadata');
      assert.equal(rest.at(-1).event, 'end');
      const stored = await api.events(runId);
      const seen = [...customSeqs(first), ...customSeqs(rest)];
      assert.deepEqual(seen, stored.map((e) => e.seq), 'every event once, in order');
      assert.ok(customSeqs(rest).every((s) => s > Number(lastEventId)));
      // The report the client assembled equals the stored one; the final values carry it whole.
      const answer = await storedAnswer(thread.thread_id, runId);
      assert.equal(chunkText(first) + chunkText(rest), answer.content);
      assert.equal(lastAi(rest.filter((p) => p.event === 'values').at(-1).data).content, answer.content);

      // A join from the start (no Last-Event-ID, or useStream's "-1") of the finished run replays all of it.
      for (const from of [undefined, '-1']) {
        const replay = await collect(
          client.runs.joinStream(thread.thread_id, runId, { streamMode: ['custom'], lastEventId: from }),
        );
        assert.equal(replay[0].event, 'metadata');
        assert.deepEqual(customSeqs(replay), stored.map((e) => e.seq));
      }
    } finally {
      await api.clearFaults();
    }
  });

  test('on_disconnect "cancel": leaving the stream cancels the run (useStream\'s stop() without reconnectOnMount)', async () => {
    await api.setFault(slowDataHelper(10_000));
    try {
      const thread = await client.threads.create();
      const abort = new AbortController();
      let runId;
      for await (const part of client.runs.stream(thread.thread_id, 'netra', {
        input: input('How can we cut our LLM costs?'),
        streamMode: ['custom'],
        onDisconnect: 'cancel',
        signal: abort.signal,
      })) {
        if (part.event === 'metadata') runId = part.data.run_id;
        if (part.event === 'custom' && part.data.type === 'tool_executing') {
          abort.abort();
          break;
        }
      }
      // The server notices at its next write (an event or a keep-alive), then cancels.
      await until(async () => (await api.run(runId)).status === 'cancelled', 'cancelled after the client left');
      assert.equal((await api.events(runId)).at(-1).type, 'run_cancelled');
      assert.equal((await client.runs.get(thread.thread_id, runId)).status, 'interrupted');

      // A join that asks for it (cancel_on_disconnect=1) does the same; the default join leaves the run going.
      const run = await client.runs.create(thread.thread_id, 'netra', { input: input('And now?') });
      const join = new AbortController();
      for await (const part of client.runs.joinStream(thread.thread_id, run.run_id, { streamMode: ['custom'], cancelOnDisconnect: true, signal: join.signal })) {
        if (part.event === 'custom' && part.data.type === 'tool_executing') {
          join.abort();
          break;
        }
      }
      await until(async () => (await api.run(run.run_id)).status === 'cancelled', 'join cancelled after the client left');
      await assert.rejects(
        collect(client.runs.stream(thread.thread_id, 'netra', { input: input('x'), onDisconnect: 'sometimes' })),
        (e) => e.status === 422,
      );
      // Where it could not act, it is refused rather than ignored.
      await assert.rejects(
        client.runs.wait(thread.thread_id, 'netra', { input: input('x'), onDisconnect: 'cancel' }),
        (e) => e.status === 422,
      );

      // The default join leaves the run going when its client leaves.
      const kept = await client.runs.create(thread.thread_id, 'netra', { input: input('Keep going') });
      const leave = new AbortController();
      for await (const part of client.runs.joinStream(thread.thread_id, kept.run_id, { streamMode: ['custom'], signal: leave.signal })) {
        if (part.event === 'custom' && part.data.type === 'tool_executing') {
          leave.abort();
          break;
        }
      }
      // Its later events find the stream gone; the run still ends on its own.
      const ended = await until(async () => {
        const r = await api.run(kept.run_id);
        return ['completed', 'failed', 'cancelled'].includes(r.status) && r;
      }, 'the run left by its joiner to end', 60_000);
      assert.equal(ended.status, 'completed');
    } finally {
      await api.clearFaults();
    }
  });

  test('multitask_strategy reject on a busy thread is 409; runs.cancel interrupts and Netra cancels', async () => {
    await api.setFault(slowDataHelper(10_000));
    try {
      const thread = await client.threads.create();
      const run = await client.runs.create(thread.thread_id, 'netra', { input: input('How can we cut our LLM costs?') });
      assert.ok(['pending', 'running'].includes(run.status));
      await until(async () => (await client.runs.get(thread.thread_id, run.run_id)).status === 'running', 'running');
      assert.equal((await client.threads.get(thread.thread_id)).status, 'busy');
      await assert.rejects(
        client.runs.create(thread.thread_id, 'netra', { input: input('again'), multitaskStrategy: 'reject' }),
        (e) => e.status === 409,
      );
      await assert.rejects(
        collect(client.runs.stream(thread.thread_id, 'netra', { input: input('again') })), // reject is the default
        (e) => e.status === 409,
      );
      const t0 = Date.now();
      await client.runs.cancel(thread.thread_id, run.run_id, true);
      assert.ok(Date.now() - t0 < 5_000, 'cancel is prompt');
      assert.equal((await client.runs.get(thread.thread_id, run.run_id)).status, 'interrupted');
      assert.equal((await api.run(run.run_id)).status, 'cancelled');
      const stored = await api.events(run.run_id);
      assert.equal(stored.at(-1).type, 'run_cancelled');
      assert.equal((await client.threads.get(thread.thread_id)).status, 'idle');
      // A cancel without wait answers at once (202) for a finished run too.
      await client.runs.cancel(thread.thread_id, run.run_id);
    } finally {
      await api.clearFaults();
    }
  });

  test('runs.wait and runs.join answer the final values', async () => {
    const thread = await client.threads.create();
    const values = await client.runs.wait(thread.thread_id, 'netra', { input: input() });
    const runs = await client.runs.list(thread.thread_id);
    assert.equal(runs.length, 1);
    const answer = await storedAnswer(thread.thread_id, runs[0].run_id);
    assert.equal(lastAi(values).content, answer.content);
    assert.equal(values.messages[0].content, QUESTION);

    const run = await client.runs.create(thread.thread_id, 'netra', {
      input: input('What about latency?'),
      multitaskStrategy: 'enqueue',
    });
    const joined = await client.runs.join(thread.thread_id, run.run_id);
    const second = await storedAnswer(thread.thread_id, run.run_id);
    assert.equal(lastAi(joined).content, second.content);
    assert.equal(joined.messages.length, 4);
    assert.equal((await client.runs.get(thread.thread_id, run.run_id)).status, 'success');
  });

  test('a thread-less streamed run gets a new thread', async () => {
    const parts = await collect(client.runs.stream(null, 'netra', { input: input(), streamMode: 'values' }));
    assert.equal(parts[0].event, 'metadata');
    const { run_id: runId, thread_id: threadId } = parts[0].data;
    const answer = await storedAnswer(threadId, runId);
    assert.equal(lastAi(parts.filter((p) => p.event === 'values').at(-1).data).content, answer.content);
  });

  test('client thread ids, if_exists, unknown stream modes and assistants', async () => {
    const threadId = `lg-${Date.now()}`;
    const t = await client.threads.create({ threadId });
    assert.equal(t.thread_id, threadId);
    await assert.rejects(client.threads.create({ threadId }), (e) => e.status === 409);
    assert.equal((await client.threads.create({ threadId, ifExists: 'do_nothing' })).thread_id, threadId);
    await assert.rejects(
      collect(client.runs.stream(threadId, 'netra', { input: input(), streamMode: ['valuez'] })),
      (e) => e.status === 422,
    );
    // LangGraph's other modes (useStream asks for some when a callback is set) are accepted and silent.
    const parts = await collect(client.runs.stream(threadId, 'netra', { input: input(), streamMode: ['updates', 'events'] }));
    assert.deepEqual([...new Set(parts.map((p) => p.event))], ['metadata', 'updates', 'end']);
    await assert.rejects(client.runs.create(threadId, 'agent', { input: input() }), (e) => e.status === 404);
  });

  test('threads.delete removes the thread, its messages and runs', async () => {
    const thread = await client.threads.create();
    await client.runs.wait(thread.thread_id, 'netra', { input: input() });
    await client.threads.delete(thread.thread_id);
    await assert.rejects(client.threads.get(thread.thread_id), (e) => e.status === 404);
    await assert.rejects(api.messages(thread.thread_id), /404|not found/i);
  });

  test('x-api-key works as the bearer; no credentials is 401', async () => {
    const keyed = new Client({ apiUrl: `${server.url}/langgraph`, apiKey: api.token, callerOptions: { maxRetries: 0 } });
    assert.ok(Array.isArray(await keyed.threads.search()));
    await assert.rejects(newClient(null).threads.search(), (e) => e.status === 401);
  });

  test("another user gets 404 on the first user's thread and runs", async () => {
    const mine = await client.threads.create();
    const run = await client.runs.create(mine.thread_id, 'netra', { input: input() });
    const otherApi = new Api(server);
    await otherApi.register(newEmail('langgraph-other'), PASSWORD);
    const other = newClient(otherApi.token);
    await assert.rejects(other.threads.get(mine.thread_id), (e) => e.status === 404);
    await assert.rejects(other.threads.getState(mine.thread_id), (e) => e.status === 404);
    await assert.rejects(other.runs.get(mine.thread_id, run.run_id), (e) => e.status === 404);
    await assert.rejects(other.runs.cancel(mine.thread_id, run.run_id), (e) => e.status === 404);
    await assert.rejects(other.runs.join(mine.thread_id, run.run_id), (e) => e.status === 404);
    await assert.rejects(collect(other.runs.joinStream(mine.thread_id, run.run_id)), (e) => e.status === 404);
    await assert.rejects(
      other.runs.create(mine.thread_id, 'netra', { input: input() }),
      (e) => e.status === 404,
    );
    await assert.rejects(other.threads.create({ threadId: mine.thread_id, ifExists: 'do_nothing' }), (e) => e.status === 409);
    assert.equal((await other.threads.search({ ids: [mine.thread_id] })).length, 0);
    await client.runs.join(mine.thread_id, run.run_id);
  });
});

// A wait longer than the server's HTTP read timeout: the answer still arrives (the response has a deadline of its
// own). A server of its own with a 1 s read timeout, and a run slowed to about 3 s.
test('runs.wait outlasting the HTTP read timeout still answers', async () => {
  const slow = await startServer({ env: { NETRA_HTTP_READ_TIMEOUT_MS: '1000' } });
  try {
    const slowApi = new Api(slow);
    await slowApi.register(newEmail('langgraph-slow'), PASSWORD);
    await slowApi.setFault(slowDataHelper(3_000));
    const slowClient = new Client({
      apiUrl: `${slow.url}/langgraph`,
      apiKey: null,
      defaultHeaders: { Authorization: `Bearer ${slowApi.token}` },
      callerOptions: { maxRetries: 0 },
    });
    const thread = await slowClient.threads.create();
    const started = Date.now();
    const values = await slowClient.runs.wait(thread.thread_id, 'netra', {
      input: { messages: [{ type: 'human', content: 'How can we cut our LLM costs?' }] },
    });
    assert.ok(Date.now() - started > 2_000, 'the run was not slowed: the test proves nothing');
    const [run] = await slowClient.runs.list(thread.thread_id);
    const messages = await slowApi.messages(thread.thread_id);
    const answer = messages.find((m) => m.role === 'assistant' && m.run_id === run.run_id);
    assert.equal(values.messages.filter((m) => m.type === 'ai').at(-1).content, answer.content);
  } finally {
    await slow.stop();
  }
});
