// A pass-through HTTP proxy that adds `Authorization: Bearer <token>` to every request: the MCP conformance CLI has
// no option to send credentials, and /mcp accepts them only in that header. Everything else — method, path, the
// client's Host and Origin headers, the body, the status, headers and (streamed) body of the answer — goes through
// unchanged, so what the suite checks is the server's behaviour.
import http from 'node:http';

/** @returns {Promise<{url: string, close: () => Promise<void>}>} */
export async function startAuthProxy(targetUrl, token) {
  const target = new URL(targetUrl);
  const server = http.createServer((req, res) => {
    const headers = { ...req.headers, authorization: `Bearer ${token}` };
    const upstream = http.request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', (e) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`proxy: ${e.message}`);
    });
    req.pipe(upstream);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(() => resolve()); }),
  };
}
