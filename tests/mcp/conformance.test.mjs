// The MCP conformance suite (@modelcontextprotocol/conformance, its real CLI) against Netra's /mcp: every server
// scenario (`--suite all`), with no expected failures. The suite is written against a reference server whose fixtures
// it calls by name (test_simple_text, test_sampling, test://static-text, test_simple_prompt, …); Netra offers them
// beside its own tools, resources and prompt when NETRA_MCP_CONFORMANCE_FIXTURES is on, which this test's server
// has (mcp.test.mjs runs without, and checks they are absent). What the scenarios exercise is Netra's real protocol
// machinery: content kinds, log and progress notifications on the POST's stream, the server's own sampling and
// elicitation requests answered by the client's later POSTs, resources and templates, subscriptions, prompts,
// completions, DNS-rebinding protection.
//
// One scenario has nothing to check here: server-sse-polling (SEP-1699) calls a test_reconnection tool that closes
// the POST's stream mid-call for the client to resume with GET and Last-Event-ID; Netra offers no GET stream (its
// answers are never lost: a call that fails mid-way is retried by the client), so the suite records only INFO.
//
// Credentials: the CLI sends no Authorization header of its own and /mcp takes the token only there (never in the
// URL), so the CLI talks to a local pass-through proxy (auth-proxy.mjs) that adds `Authorization: Bearer <token>` and
// forwards everything else — the client's Host and Origin included — unchanged.
//
// Node 20: conformance 0.1.16 imports fs.globSync (Node 22) at load time; node20-globsync.mjs supplies one that throws
// to that package only (it is used by the `tier-check` command, which this test does not run).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CreateMessageRequestSchema, ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';

import { Api, newEmail, PASSWORD } from '../lib/api.mjs';
import { startServer } from '../lib/server.mjs';
import { startAuthProxy } from './auth-proxy.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const cli = path.join(here, 'node_modules/@modelcontextprotocol/conformance/dist/index.js');
// Scenarios whose checks are all INFO against Netra (see above).
const NO_CHECK_APPLIES = ['server-sse-polling'];
// At least these run (the suite may add scenarios; each new one must pass too).
const AT_LEAST = 31;

let server;
let token;
let proxy;
let outDir;

before(async () => {
  server = await startServer({ env: { NETRA_MCP_CONFORMANCE_FIXTURES: '1' } });
  const api = new Api(server);
  await api.register(newEmail('mcp-conformance'), PASSWORD);
  token = api.token;
  proxy = await startAuthProxy(server.url, api.token);
  outDir = mkdtempSync(path.join(tmpdir(), 'netra-mcp-conformance-'));
});

after(async () => {
  await proxy?.close();
  await server?.stop();
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

function run(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', path.join(here, 'node20-globsync.mjs'), cli, ...args], {
      cwd: here,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), 240_000);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? signal, out });
    });
  });
}

/** scenario → its checks, from the CLI's output directory (server-<scenario>-<timestamp>/checks.json). */
function results(dir) {
  const out = new Map();
  for (const entry of readdirSync(dir)) {
    const m = /^server-(.+)-\d{4}-\d\d-\d\dT[\d-]+Z$/.exec(entry);
    if (!m) continue;
    out.set(m[1], JSON.parse(readFileSync(path.join(dir, entry, 'checks.json'), 'utf8')));
  }
  return out;
}

test('every server scenario of the conformance suite passes against /mcp', async (t) => {
  const { code, out } = await run(['server', '--url', `${proxy.url}/mcp`, '--suite', 'all', '--output-dir', outDir]);
  // eslint-disable-next-line no-control-regex
  const plain = out.replace(/\x1b\[[0-9;]*m/g, '');
  for (const line of plain.slice(plain.lastIndexOf('=== SUMMARY ===')).split('\n')) if (line.trim()) t.diagnostic(line);
  assert.equal(code, 0, `conformance CLI exited ${code}:\n${out.slice(-6000)}`);

  const byScenario = results(outDir);
  assert.ok(byScenario.size >= AT_LEAST, `scenarios run: ${[...byScenario.keys()]}`);
  let checks = 0;
  for (const [scenario, list] of byScenario) {
    assert.deepEqual(list.filter((c) => c.status === 'FAILURE' || c.status === 'WARNING'), [], `${scenario} has failed checks`);
    const successes = list.filter((c) => c.status === 'SUCCESS').length;
    if (NO_CHECK_APPLIES.includes(scenario)) {
      assert.equal(successes, 0, `${scenario} now has checks that apply: remove it from NO_CHECK_APPLIES`);
    } else {
      assert.ok(successes > 0, `${scenario}: no successful check`);
    }
    checks += successes;
  }
  t.diagnostic(`${byScenario.size} scenarios, ${checks} checks passed; no check applied in ${NO_CHECK_APPLIES.join(', ')}`);
});

// The suite checks that a sampling or elicitation request was made and that some content came back; this checks that
// the client's answer itself reached the tool (its text, its action and content), and that a client without the
// capability is refused rather than asked.
test('the server\'s sampling and elicitation requests carry the client\'s answers back into the tool', async () => {
  const connect = async (capabilities) => {
    const client = new Client({ name: 'netra-server-requests', version: '1.0.0' }, { capabilities });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), {
      requestInit: { headers: { Authorization: `Bearer ${token}` } },
    }));
    return client;
  };
  const client = await connect({ sampling: {}, elicitation: {} });
  try {
    const asked = [];
    client.setRequestHandler(CreateMessageRequestSchema, async (r) => {
      asked.push(r.params);
      return { role: 'assistant', content: { type: 'text', text: 'a unique answer 7f3a' }, model: 'm', stopReason: 'endTurn' };
    });
    client.setRequestHandler(ElicitRequestSchema, async () => ({ action: 'decline', content: { username: 'zed' } }));
    const sampled = await client.callTool({ name: 'test_sampling', arguments: { prompt: 'say something' } });
    assert.equal(sampled.content[0].text, 'LLM response: a unique answer 7f3a');
    assert.equal(asked[0].messages[0].content.text, 'say something');
    const elicited = await client.callTool({ name: 'test_elicitation', arguments: { message: 'who?' } });
    assert.equal(elicited.content[0].text, 'User response: action=decline, content={"username":"zed"}');
  } finally {
    await client.close();
  }
  const plain = await connect({});
  try {
    const refused = await plain.callTool({ name: 'test_sampling', arguments: { prompt: 'x' } });
    assert.equal(refused.isError, true);
    assert.match(refused.content[0].text, /did not declare the sampling capability/);
  } finally {
    await plain.close();
  }
});
