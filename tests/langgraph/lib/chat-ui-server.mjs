// Serves the chat UI (chat-ui/, bundled in memory by esbuild at start) on a loopback port, and proxies /langgraph/*
// to a Netra server from that same origin. Why a proxy: the page talks to /langgraph with an Authorization header,
// which a browser sends cross-origin only after a CORS preflight, and Netra answers no preflight and sends no
// Access-Control-* header (NETRA_ALLOWED_ORIGINS is an Origin check for MCP and the WebSocket, not CORS). Served
// from one origin, as a chat UI deployed behind the same reverse proxy as its API is, the page needs no CORS. The
// proxy passes bytes through unchanged and unbuffered (SSE streams), and drops the upstream request when the
// browser goes away (stop, reload), as a connection straight to Netra would.
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const uiDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../chat-ui');

/** chat-ui/main.jsx and everything it imports (React, the SDK) as one ES module, in memory. */
async function bundle() {
  const result = await build({
    entryPoints: [path.join(uiDir, 'main.jsx')],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'chrome120',
    jsx: 'automatic',
    // React's development build: its warnings (keys, hooks misuse) are console errors, which fail the tests.
    define: { 'process.env.NODE_ENV': '"development"' },
    logLevel: 'silent',
  });
  return result.outputFiles[0].contents;
}

/**
 * @param {string} netraUrl e.g. http://127.0.0.1:PORT
 * @returns {Promise<{url: string, close: () => Promise<void>}>}
 */
export async function startChatUi(netraUrl) {
  const [js, html] = await Promise.all([bundle(), readFile(path.join(uiDir, 'index.html'))]);
  const target = new URL(netraUrl);

  function proxy(req, res) {
    const upstream = http.request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } },
      (up) => {
        res.writeHead(up.statusCode, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', (e) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' }).end(`proxy: ${e.message}`);
      else res.destroy();
    });
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  }

  const server = http.createServer((req, res) => {
    const { pathname } = new URL(req.url, 'http://x');
    if (pathname.startsWith('/langgraph/')) return proxy(req, res);
    if (req.method === 'GET' && pathname === '/') {
      return res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(html);
    }
    if (req.method === 'GET' && pathname === '/app.js') {
      return res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-store' }).end(js);
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
