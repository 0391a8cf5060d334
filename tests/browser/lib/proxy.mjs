// A TCP proxy on loopback in front of a server. dropAll() destroys every open connection, the browser's WebSocket
// included, the way a network drop does; the proxy keeps listening so the page can reconnect. Why not
// context.setOffline(true): with Debian's Chromium and playwright-core it does not close an open WebSocket.
import net from 'node:net';

/**
 * @param {number} targetPort the server's port on 127.0.0.1
 * @returns {Promise<{url: string, port: number, dropAll: () => number, close: () => Promise<void>, connections: () => number}>}
 */
export async function startProxy(targetPort) {
  const pairs = new Set();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    const pair = { client, upstream };
    pairs.add(pair);
    client.pipe(upstream);
    upstream.pipe(client);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const port = server.address().port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    connections: () => pairs.size,
    /** Resets every open connection (RST toward the browser, like a dropped link); returns how many. */
    dropAll() {
      const n = pairs.size;
      for (const { client, upstream } of pairs) {
        client.resetAndDestroy();
        upstream.destroy();
      }
      pairs.clear();
      return n;
    },
    close() {
      this.dropAll();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
