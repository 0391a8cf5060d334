// Netra's MCP server (/mcp) driven by the official TypeScript SDK's client (@modelcontextprotocol/sdk's Client over
// StreamableHTTPClientTransport, Bearer token in requestInit): initialize, every tool listed with its schemas and
// called on real data, each result checked against the REST API (datasets, runs, the catalog), the errors (unknown
// tool, bad arguments, another user's data), and the transport's rules on the wire (401, sessions, batching, SSE,
// 202 for notifications, Origin).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CallToolResultSchema, LoggingMessageNotificationSchema, McpError } from '@modelcontextprotocol/sdk/types.js';

import { Api, newEmail, PASSWORD } from '../lib/api.mjs';
import { startServer } from '../lib/server.mjs';
import { usageCsv } from '../lib/usage.mjs';

/** @type {import('../lib/server.mjs').Server} */
let server;
let alice; // Api
let bob; // Api
let aliceDataset; // upload answer
let bobDataset;
const clients = [];

async function upload(api, name, csv) {
  const res = await fetch(`${api.server.url}/api/datasets?name=${encodeURIComponent(name)}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${api.token}`, 'content-type': 'text/csv' },
    body: csv,
  });
  const body = await res.json();
  assert.equal(res.status, 201, JSON.stringify(body));
  return body;
}

async function connect(token) {
  const transport = new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  const client = new Client({ name: 'netra-mcp-tests', version: '1.0.0' });
  await client.connect(transport);
  clients.push(client);
  return { client, transport };
}

/** A raw JSON-RPC POST (what the SDK hides): returns the fetch Response. */
function post(body, { token = alice.token, session, version, accept = 'application/json, text/event-stream', headers = {} } = {}) {
  return fetch(`${server.url}/mcp`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept,
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(session ? { 'mcp-session-id': session } : {}),
      ...(version ? { 'mcp-protocol-version': version } : {}),
      ...headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

async function initialize(protocolVersion = '2025-06-18', token = alice.token) {
  const res = await post(
    { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion, capabilities: {}, clientInfo: { name: 'raw', version: '1' } } },
    { token },
  );
  assert.equal(res.status, 200);
  const body = await res.json();
  return { session: res.headers.get('mcp-session-id'), body };
}

/**
 * Deep equality with numbers equal to 12 significant digits: the run's figures are read back from its stored
 * events, and Boost.JSON's default (imprecise) number parsing can move a double by one ulp on the way.
 */
function assertClose(actual, expected, path = '') {
  if (typeof expected === 'number' && typeof actual === 'number') {
    assert.ok(Math.abs(actual - expected) <= 1e-12 * Math.max(1, Math.abs(expected)), `${path}: ${actual} vs ${expected}`);
  } else if (expected && typeof expected === 'object') {
    assert.equal(typeof actual, 'object', path);
    assert.deepEqual(Object.keys(actual ?? {}).sort(), Object.keys(expected).sort(), path);
    for (const k of Object.keys(expected)) assertClose(actual[k], expected[k], `${path}.${k}`);
  } else {
    assert.deepEqual(actual, expected, path);
  }
}

const text = (result) => result.content.filter((c) => c.type === 'text').map((c) => c.text).join('\n');

before(async () => {
  server = await startServer();
  alice = new Api(server);
  await alice.register(newEmail('mcp-alice'), PASSWORD);
  bob = new Api(server);
  await bob.register(newEmail('mcp-bob'), PASSWORD);
  aliceDataset = await upload(alice, 'alice usage', usageCsv({ days: 14, perDay: 60, spikeDay: 9, badAfter: 100 }).csv);
  bobDataset = await upload(bob, 'bob usage', usageCsv({ days: 7, perDay: 30, spikeDay: 3, badAfter: 50 }).csv);
});

after(async () => {
  for (const c of clients) await c.close().catch(() => {});
  await server?.stop();
});

describe('the SDK client', () => {
  test('initializes: server info, tools capability, a session and the negotiated version', async () => {
    const { client, transport } = await connect(alice.token);
    assert.equal(client.getServerVersion().name, 'netra');
    const caps = client.getServerCapabilities();
    assert.ok(caps.tools, 'tools capability');
    // Resources never change (no subscriptions); prompts, completions and logging are offered.
    assert.deepEqual(caps.resources, { subscribe: false, listChanged: false });
    assert.ok(caps.prompts && caps.completions && caps.logging, JSON.stringify(caps));
    assert.match(client.getInstructions(), /list_datasets/);
    assert.ok(transport.sessionId, 'Mcp-Session-Id issued');
    assert.equal(transport.protocolVersion, '2025-11-25');
    assert.deepEqual(await client.ping(), {});
  });

  test('lists every tool with input and output schemas, as /api/mcp/config and /api/mcp/servers describe them', async () => {
    const { client } = await connect(alice.token);
    const { tools } = await client.listTools();
    const names = tools.map((t) => t.name);
    assert.deepEqual(names, ['list_datasets', 'profile_dataset', 'estimate_savings', 'price_workload', 'run_optimization']);
    for (const t of tools) {
      assert.equal(t.inputSchema.type, 'object', t.name);
      assert.equal(t.outputSchema.type, 'object', t.name);
      assert.ok(t.description.length > 20, t.name);
      assert.match(t.name, /^[a-z_]+$/);
    }
    const config = await (await fetch(`${server.url}/api/mcp/config`)).json();
    assert.equal(config.url, `${server.url}/mcp`);
    assert.equal(config.transport, 'streamable-http');
    assert.equal(config.auth, 'bearer');
    assert.equal(config.protocol_version, '2025-11-25');
    assert.deepEqual(config.tool_names, names);
    assert.deepEqual(config.tools.map((t) => t.name), names);
    for (const t of tools) {
      const c = config.tools.find((x) => x.name === t.name);
      assert.deepEqual(c.input_schema, t.inputSchema, t.name);
      assert.deepEqual(c.output_schema, t.outputSchema, t.name);
    }
    const servers = await (await fetch(`${server.url}/api/mcp/servers`)).json();
    assert.equal(servers.data.length, 1);
    const s = servers.data[0];
    assert.equal(s.url, `${server.url}/mcp`);
    assert.equal(s.transport, 'streamable-http');
    assert.equal(s.auth, 'bearer');
    assert.equal(s.protocol_version, '2025-11-25');
    assert.equal(s.tools, tools.length);
    assert.deepEqual(s.tool_names, names);
    assert.equal(s.status, 'available');
    // What initialize, resources/templates/list and prompts/list answer, the discovery documents say.
    const caps = client.getServerCapabilities();
    for (const doc of [config, s]) {
      assert.deepEqual(doc.capabilities, ['tools', 'resources', 'prompts', 'completions', 'logging'].filter((c) => caps[c]));
      assert.deepEqual(doc.resource_templates, (await client.listResourceTemplates()).resourceTemplates.map((t) => t.uriTemplate));
      assert.deepEqual(doc.prompt_names, (await client.listPrompts()).prompts.map((p) => p.name));
      assert.equal(doc.conformance_fixtures, false);
    }
  });

  test('list_datasets equals GET /api/datasets, and shows only the caller\'s datasets', async () => {
    const { client } = await connect(alice.token);
    const result = await client.callTool({ name: 'list_datasets', arguments: {} });
    assert.notEqual(result.isError, true, text(result));
    const rest = await alice.request('GET', '/api/datasets');
    const listed = result.structuredContent.datasets;
    assert.equal(listed.length, rest.data.length);
    assert.equal(listed.length, 1);
    for (const [i, d] of rest.data.entries()) {
      const { profile, ...meta } = d;
      for (const [k, v] of Object.entries(meta)) assert.deepEqual(listed[i][k], v, k);
      assert.equal(listed[i].profile, undefined);
      assert.equal(listed[i].monthly_cost_usd, profile.monthly_cost_usd);
      assert.equal(listed[i].days_covered, profile.days_covered);
    }
    assert.equal(result.structuredContent.next_cursor, rest.next_cursor);
    assert.ok(!listed.some((d) => d.id === bobDataset.id));
    assert.deepEqual(JSON.parse(result.content.at(-1).text), result.structuredContent);
  });

  test('profile_dataset equals the profile of GET /api/datasets/{id}', async () => {
    const { client } = await connect(alice.token);
    const result = await client.callTool({ name: 'profile_dataset', arguments: { dataset_id: aliceDataset.id } });
    assert.notEqual(result.isError, true, text(result));
    const rest = await alice.dataset(aliceDataset.id);
    assert.deepEqual(result.structuredContent.profile, rest.profile);
    assert.equal(result.structuredContent.dataset.id, aliceDataset.id);
    assert.equal(result.structuredContent.dataset.rows, rest.rows);
    assert.ok(result.structuredContent.profile.monthly_cost_usd > 0);
  });

  test('price_workload prices with the catalog of /api/catalog/models', async () => {
    const { client } = await connect(alice.token);
    const args = { model: 'gpt-4o', input_tokens: 3000, cached_tokens: 1000, output_tokens: 500, requests_per_month: 200000 };
    const result = await client.callTool({ name: 'price_workload', arguments: args });
    assert.notEqual(result.isError, true, text(result));
    const s = result.structuredContent;
    const catalog = await (await fetch(`${server.url}/api/catalog/models`)).json();
    const m = catalog.data.find((x) => x.id === s.model.id);
    assert.ok(m, `catalog lists ${s.model.id}`);
    assert.equal(s.catalog_as_of, catalog.as_of);
    const expected = ((3000 - 1000) * m.input_per_mtok + 1000 * m.cached_input_per_mtok + 500 * m.output_per_mtok) / 1e6;
    assert.ok(Math.abs(s.per_request_usd - expected) < 1e-12, `${s.per_request_usd} vs ${expected}`);
    assert.ok(Math.abs(s.monthly_usd - expected * 200000) < 1e-6);
    for (const alt of s.alternatives) {
      assert.ok(alt.per_request_usd < s.per_request_usd, alt.id);
      assert.equal(alt.tier, s.model.tier);
    }
  });

  test('estimate_savings and run_optimization price the same strategies; the run\'s figures are the stored run_completed result', async () => {
    const { client } = await connect(alice.token);
    const estimate = await client.callTool({ name: 'estimate_savings', arguments: { dataset_id: aliceDataset.id } });
    assert.notEqual(estimate.isError, true, text(estimate));
    const e = estimate.structuredContent;
    assert.ok(e.strategies.length > 0);
    assert.ok(e.combined.savings_usd > 0);
    assert.ok(e.plan.length > 0);

    const result = await client.callTool({
      name: 'run_optimization',
      arguments: { question: 'How can we cut our LLM costs? Analyse the attached usage log.', dataset_id: aliceDataset.id },
    });
    assert.notEqual(result.isError, true, text(result));
    const r = result.structuredContent;
    const run = await alice.run(r.run_id);
    assert.equal(run.status, 'completed');
    assert.equal(r.status, 'completed');
    assert.equal(r.thread_id, run.thread_id);
    const [completed] = await alice.events(r.run_id, { type: 'run_completed' });
    assert.deepEqual(r.result, completed.payload.result);
    for (const k of ['current_monthly_usd', 'projected_monthly_usd', 'savings_usd', 'savings_pct', 'strategies']) {
      assert.deepEqual(r[k], completed.payload.result[k], k);
    }
    // The report is the assistant message, and the first text block.
    const messages = await alice.messages(r.thread_id);
    const answer = messages.find((m) => m.role === 'assistant' && m.run_id === r.run_id);
    assert.equal(r.report_markdown, answer.content);
    assert.equal(result.content[0].text, r.report_markdown);
    assert.match(r.report_markdown, /#/);
    // Same code, same numbers: the run's optimization agent and estimate_savings.
    assertClose(r.savings_usd, e.combined.savings_usd, 'savings_usd');
    assertClose(r.current_monthly_usd, e.combined.current_monthly_usd, 'current_monthly_usd');
    assertClose(r.projected_monthly_usd, e.combined.projected_monthly_usd, 'projected_monthly_usd');
    assertClose(r.strategies, e.strategies, 'strategies');

    // A follow-up in the same thread.
    const followUp = await client.callTool({
      name: 'run_optimization',
      arguments: { question: 'Which strategy should we start with?', thread_id: r.thread_id },
    });
    assert.notEqual(followUp.isError, true, text(followUp));
    assert.equal(followUp.structuredContent.thread_id, r.thread_id);
    assert.notEqual(followUp.structuredContent.run_id, r.run_id);
  });

  test('run_optimization without data answers with the data request (a guidance report)', async () => {
    const { client } = await connect(alice.token);
    const result = await client.callTool({ name: 'run_optimization', arguments: { question: 'Help me reduce my AI bill.' } });
    assert.notEqual(result.isError, true, text(result));
    assert.equal(result.structuredContent.status, 'completed');
    assert.ok(result.structuredContent.report_markdown.length > 100);
    assert.equal(result.structuredContent.savings_usd, undefined);
  });

  test('errors: unknown tool is a JSON-RPC error, bad arguments and another user\'s dataset are tool errors', async () => {
    const { client } = await connect(alice.token);
    await assert.rejects(client.callTool({ name: 'no_such_tool', arguments: {} }), (e) => {
      assert.ok(e instanceof McpError);
      assert.equal(e.code, -32602);
      assert.match(e.message, /Unknown tool: no_such_tool/);
      return true;
    });
    const missing = await client.callTool({ name: 'profile_dataset', arguments: {} });
    assert.equal(missing.isError, true);
    assert.match(text(missing), /missing required argument dataset_id/);
    const wrongType = await client.callTool({ name: 'price_workload', arguments: { model: 'gpt-4o', input_tokens: 'many', output_tokens: 1 } });
    assert.equal(wrongType.isError, true);
    assert.match(text(wrongType), /input_tokens must be an integer/);
    const extra = await client.callTool({ name: 'list_datasets', arguments: { colour: 'blue' } });
    assert.equal(extra.isError, true);
    assert.match(text(extra), /unknown argument colour/);
    const unknownModel = await client.callTool({ name: 'price_workload', arguments: { model: 'no-such-model-9000', input_tokens: 1, output_tokens: 1 } });
    assert.equal(unknownModel.isError, true);
    assert.match(text(unknownModel), /unknown model/);
    for (const name of ['profile_dataset', 'estimate_savings']) {
      const foreign = await client.callTool({ name, arguments: { dataset_id: bobDataset.id } });
      assert.equal(foreign.isError, true, name);
      assert.match(text(foreign), /not found/, name);
      assert.equal(foreign.structuredContent, undefined);
    }
    const foreignRun = await client.callTool({ name: 'run_optimization', arguments: { question: 'costs?', dataset_id: bobDataset.id } });
    assert.equal(foreignRun.isError, true);
    assert.match(text(foreignRun), /not found/);
    // Bob sees his own dataset, never Alice's.
    const { client: bobClient } = await connect(bob.token);
    const bobs = await bobClient.callTool({ name: 'list_datasets', arguments: {} });
    assert.deepEqual(bobs.structuredContent.datasets.map((d) => d.id), [bobDataset.id]);
  });

  test('without a valid token the client cannot connect', async () => {
    for (const headers of [{}, { Authorization: 'Bearer not-a-token' }]) {
      const transport = new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), { requestInit: { headers } });
      const client = new Client({ name: 'anonymous', version: '1.0.0' });
      await assert.rejects(client.connect(transport), (e) => e.code === 401 && /unauthenticated/.test(e.message));
    }
  });

  test('closing the client ends its session (DELETE /mcp)', async () => {
    const { client, transport } = await connect(alice.token);
    const session = transport.sessionId;
    await transport.terminateSession();
    const res = await post({ jsonrpc: '2.0', id: 2, method: 'ping' }, { session });
    assert.equal(res.status, 404);
    await client.close();
  });
});

describe('resources, prompts, completions, logging and progress', () => {
  test('the caller\'s datasets are resources; reading one equals profile_dataset; another user\'s is not found', async () => {
    const { client } = await connect(alice.token);
    const { resources } = await client.listResources();
    const mine = await alice.request('GET', '/api/datasets');
    assert.deepEqual(resources.map((r) => r.uri), mine.data.map((d) => `netra://datasets/${d.id}`));
    const entry = resources.find((r) => r.uri === `netra://datasets/${aliceDataset.id}`);
    assert.equal(entry.name, 'alice usage');
    assert.equal(entry.mimeType, 'application/json');
    const read = await client.readResource({ uri: entry.uri });
    assert.equal(read.contents.length, 1);
    const profile = await client.callTool({ name: 'profile_dataset', arguments: { dataset_id: aliceDataset.id } });
    assert.deepEqual(JSON.parse(read.contents[0].text), profile.structuredContent);
    const { resourceTemplates } = await client.listResourceTemplates();
    assert.deepEqual(resourceTemplates.map((t) => t.uriTemplate), ['netra://datasets/{dataset_id}', 'netra://runs/{run_id}/report']);
    for (const uri of [`netra://datasets/${bobDataset.id}`, 'netra://datasets/no-such-id', 'test://static-text', 'file:///etc/passwd']) {
      await assert.rejects(client.readResource({ uri }), (e) => e instanceof McpError && e.code === -32602 && /not found/i.test(e.message), uri);
    }
  });

  test('optimize_llm_costs embeds the dataset and completes dataset_id from the caller\'s datasets only', async () => {
    const { client } = await connect(alice.token);
    const { prompts } = await client.listPrompts();
    assert.deepEqual(prompts.map((p) => p.name), ['optimize_llm_costs']);
    const prompt = await client.getPrompt({ name: 'optimize_llm_costs', arguments: { dataset_id: aliceDataset.id, goal: 'halve the bill' } });
    const [embedded, ask] = prompt.messages;
    assert.equal(embedded.content.type, 'resource');
    const read = await client.readResource({ uri: `netra://datasets/${aliceDataset.id}` });
    assert.deepEqual(embedded.content.resource, read.contents[0]);
    assert.match(ask.content.text, /halve the bill/);
    assert.match(ask.content.text, new RegExp(aliceDataset.id));
    await assert.rejects(client.getPrompt({ name: 'optimize_llm_costs', arguments: { dataset_id: bobDataset.id } }), /not found/);
    await assert.rejects(client.getPrompt({ name: 'no_such_prompt', arguments: {} }), /Unknown prompt/);

    const ref = { type: 'ref/prompt', name: 'optimize_llm_costs' };
    const all = await client.complete({ ref, argument: { name: 'dataset_id', value: '' } });
    assert.deepEqual(all.completion.values, (await alice.request('GET', '/api/datasets')).data.map((d) => d.id));
    assert.ok(!all.completion.values.includes(bobDataset.id));
    const some = await client.complete({ ref, argument: { name: 'dataset_id', value: aliceDataset.id.slice(0, 6) } });
    assert.ok(some.completion.values.includes(aliceDataset.id));
    const none = await client.complete({ ref, argument: { name: 'dataset_id', value: 'zzz-no-such' } });
    assert.deepEqual(none.completion.values, []);
    const viaTemplate = await client.complete({ ref: { type: 'ref/resource', uri: 'netra://datasets/{dataset_id}' }, argument: { name: 'dataset_id', value: '' } });
    assert.deepEqual(viaTemplate.completion.values, all.completion.values);
  });

  test('run_optimization reports progress per agent and logs each agent, both as the stored events say; the report is a resource', async () => {
    const { client } = await connect(alice.token);
    const logs = [];
    client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => logs.push(n.params));
    await client.setLoggingLevel('info');
    const progress = [];
    const result = await client.callTool(
      { name: 'run_optimization', arguments: { question: 'How can we cut our LLM costs?', dataset_id: aliceDataset.id } },
      CallToolResultSchema,
      { onprogress: (p) => progress.push(p) },
    );
    assert.notEqual(result.isError, true, text(result));
    const runId = result.structuredContent.run_id;
    const ends = (await alice.events(runId)).filter((e) => e.type === 'agent_completed' || e.type === 'agent_failed');
    const starts = (await alice.events(runId, { type: 'agent_started' })).map((e) => `${e.agent_name} started`);
    assert.deepEqual(progress.map((p) => p.progress), ends.map((_, i) => i + 1));
    assert.deepEqual(progress.map((p) => p.message), ends.map((e) => `${e.agent_name} ${e.type === 'agent_failed' ? 'failed' : 'completed'}`));
    const agentLogs = logs.filter((l) => l.logger === 'netra.run' && !/^run /.test(l.data)).map((l) => l.data);
    assert.deepEqual(agentLogs.filter((l) => / started$/.test(l)), starts);
    assert.equal(agentLogs.filter((l) => / (completed|failed)$/.test(l)).length, ends.length);
    assert.ok(logs.some((l) => l.data === `run ${runId} queued in thread ${result.structuredContent.thread_id}`));

    const report = await client.readResource({ uri: `netra://runs/${runId}/report` });
    assert.equal(report.contents[0].mimeType, 'text/markdown');
    assert.equal(report.contents[0].text, result.structuredContent.report_markdown);
    const other = await connect(bob.token);
    await assert.rejects(other.client.readResource({ uri: `netra://runs/${runId}/report` }), /not found/i);
  });

  test('logging/setLevel filters: at warning, a run that succeeds logs nothing; an unknown level is invalid params', async () => {
    const { client } = await connect(alice.token);
    const logs = [];
    client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => logs.push(n.params));
    await client.setLoggingLevel('warning');
    const result = await client.callTool({ name: 'run_optimization', arguments: { question: 'How can we cut our LLM costs?', dataset_id: aliceDataset.id } });
    assert.notEqual(result.isError, true, text(result));
    const failed = await alice.events(result.structuredContent.run_id, { type: 'agent_failed' });
    assert.equal(logs.length, failed.length, JSON.stringify(logs));
    const { session } = await initialize();
    const bad = await (await post({ jsonrpc: '2.0', id: 9, method: 'logging/setLevel', params: { level: 'loud' } }, { session })).json();
    assert.equal(bad.error.code, -32602);
  });

  test('the conformance fixtures are not offered unless NETRA_MCP_CONFORMANCE_FIXTURES is on', async () => {
    const { client } = await connect(alice.token);
    const { tools } = await client.listTools();
    assert.ok(!tools.some((t) => t.name.startsWith('test_')), tools.map((t) => t.name).join());
    await assert.rejects(client.callTool({ name: 'test_simple_text', arguments: {} }), /Unknown tool/);
    await assert.rejects(client.getPrompt({ name: 'test_simple_prompt' }), /Unknown prompt/);
  });
});

describe('the transport on the wire', () => {
  test('401 with WWW-Authenticate without a token', async () => {
    const res = await post({ jsonrpc: '2.0', id: 1, method: 'ping' }, { token: null });
    assert.equal(res.status, 401);
    assert.match(res.headers.get('www-authenticate'), /^Bearer/);
    assert.equal((await res.json()).error, 'unauthenticated');
    const del = await fetch(`${server.url}/mcp`, { method: 'DELETE' });
    assert.equal(del.status, 401);
  });

  test('sessions: 400 without, 404 unknown or another user\'s, GET 405', async () => {
    const { session, body } = await initialize('2025-06-18');
    assert.equal(body.result.protocolVersion, '2025-06-18');
    assert.ok(session);
    assert.equal((await post({ jsonrpc: '2.0', id: 2, method: 'tools/list' })).status, 400);
    assert.equal((await post({ jsonrpc: '2.0', id: 2, method: 'tools/list' }, { session: 'bogus' })).status, 404);
    assert.equal((await post({ jsonrpc: '2.0', id: 2, method: 'tools/list' }, { session, token: bob.token })).status, 404);
    const ok = await post({ jsonrpc: '2.0', id: 2, method: 'tools/list' }, { session, version: '2025-06-18' });
    assert.equal(ok.status, 200);
    assert.equal((await ok.json()).result.tools.length, 5);
    assert.equal((await post({ jsonrpc: '2.0', id: 3, method: 'ping' }, { session, version: '1999-01-01' })).status, 400);
    const get = await fetch(`${server.url}/mcp`, { headers: { authorization: `Bearer ${alice.token}`, accept: 'text/event-stream', 'mcp-session-id': session } });
    assert.equal(get.status, 405);
    assert.match(get.headers.get('allow'), /POST/);
  });

  test('an unsupported version is answered with the latest; notifications and responses get 202', async () => {
    const { session, body } = await initialize('2024-01-01');
    assert.equal(body.result.protocolVersion, '2025-11-25');
    const note = await post({ jsonrpc: '2.0', method: 'notifications/initialized' }, { session });
    assert.equal(note.status, 202);
    assert.equal(await note.text(), '');
    const response = await post({ jsonrpc: '2.0', id: 'x', result: {} }, { session });
    assert.equal(response.status, 202);
  });

  test('JSON-RPC errors: unknown method, invalid message, invalid JSON', async () => {
    const { session } = await initialize();
    const unknown = await (await post({ jsonrpc: '2.0', id: 5, method: 'resources/subscribe', params: { uri: 'netra://datasets/x' } }, { session })).json();
    assert.deepEqual(unknown.error.code, -32601);
    assert.equal(unknown.id, 5);
    const invalid = await (await post({ jsonrpc: '1.0', id: 6, method: 'ping' }, { session })).json();
    assert.equal(invalid.error.code, -32600);
    assert.equal(invalid.id, 6);
    assert.equal((await post('{not json', { session })).status, 400);
    const noName = await (await post({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: {} }, { session })).json();
    assert.equal(noName.error.code, -32602);
  });

  test('batches: answered in 2025-03-26, refused in later versions, and initialize never batched', async () => {
    const old = await initialize('2025-03-26');
    assert.equal(old.body.result.protocolVersion, '2025-03-26');
    const batch = [
      { jsonrpc: '2.0', id: 1, method: 'ping' },
      { jsonrpc: '2.0', method: 'notifications/initialized' },
      { jsonrpc: '2.0', id: 2, method: 'tools/list' },
    ];
    const res = await post(batch, { session: old.session, version: '2025-03-26' });
    assert.equal(res.status, 200);
    const answers = await res.json();
    assert.deepEqual(answers.map((a) => a.id), [1, 2]);
    assert.deepEqual(answers[0].result, {});
    assert.equal(answers[1].result.tools.length, 5);
    const current = await initialize('2025-06-18');
    assert.equal((await post(batch, { session: current.session })).status, 400);
    const initBatch = [{ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-03-26' } }];
    assert.equal((await post(initBatch)).status, 400);
  });

  test('SSE answers when the client accepts only event streams', async () => {
    const { session } = await initialize();
    const res = await post({ jsonrpc: '2.0', id: 9, method: 'ping' }, { session, accept: 'text/event-stream' });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /^text\/event-stream/);
    const body = await res.text();
    assert.equal(body, 'event: message\ndata: {"jsonrpc":"2.0","id":9,"result":{}}\n\n');
  });

  test('run_optimization answers as JSON to a client that does not take event streams', async () => {
    const { session } = await initialize();
    const call = { jsonrpc: '2.0', id: 11, method: 'tools/call', params: { name: 'run_optimization', arguments: { question: 'How do I cut costs?', dataset_id: aliceDataset.id } } };
    const res = await post(call, { session, accept: 'application/json' });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /^application\/json/);
    assert.equal(res.headers.get('mcp-session-id'), session);
    const answer = await res.json();
    assert.equal(answer.id, 11);
    assert.equal(answer.result.structuredContent.status, 'completed');
    const sse = await post({ ...call, id: 12 }, { session });
    assert.match(sse.headers.get('content-type'), /^text\/event-stream/);
    const messages = (await sse.text()).split('\n\n').filter((e) => e.startsWith('event: message'))
      .map((e) => JSON.parse(e.slice(e.indexOf('data: ') + 6)));
    // Log messages at the session's default level (info) first, then the one answer.
    assert.equal(messages.at(-1).id, 12);
    assert.ok(messages.length > 1);
    for (const m of messages.slice(0, -1)) assert.equal(m.method, 'notifications/message', JSON.stringify(m));
  });

  test('a browser Origin must be allowed (DNS rebinding)', async () => {
    const evil = await post({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18' } }, { headers: { origin: 'http://evil.example.com' } });
    assert.equal(evil.status, 403);
    const local = await post({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18' } }, { headers: { origin: 'http://localhost:6274' } });
    assert.equal(local.status, 200);
  });
});
