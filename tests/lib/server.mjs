// Starts and stops `netra serve` processes for the Node test suites (browser, protocol clients): each on a free
// loopback port, on the embedded SQLite database in a temporary data directory of its own, with fault injection on
// (the tests slow tools down to catch a run in progress) and a generous login throttle unless a test asks otherwise.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The binary under test: NETRA_BIN (relative to the current directory), else the newest build in build/. */
export function netraBin() {
  if (process.env.NETRA_BIN) return path.resolve(process.env.NETRA_BIN);
  const builds = ['release', 'ci', 'debug']
    .map((preset) => path.join(repo, 'build', preset, 'apps/netra/netra'))
    .filter((p) => existsSync(p))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  if (!builds.length) throw new Error('no netra binary: set NETRA_BIN (e.g. build/release/apps/netra/netra)');
  return builds[0];
}

const live = new Set();
// A test process that ends early (a failed hook, Ctrl-C, the runner's timeout) must not leave servers behind.
function killAll() {
  for (const s of live) {
    try { s.proc.kill('SIGKILL'); } catch { /* already gone */ }
    rmSync(s.dataDir, { recursive: true, force: true });
  }
  live.clear();
}
process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    killAll();
    process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
  });
}

/**
 * @param {object} [o]
 * @param {Record<string,string>} [o.env] extra settings (NETRA_LOGIN_ATTEMPTS_PER_MINUTE, …)
 * @returns {Promise<Server>}
 */
export async function startServer({ env = {} } = {}) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'netra-nodetest-'));
  const bypassKey = randomBytes(16).toString('hex');
  const childEnv = { ...process.env };
  // SQLite only: a DATABASE_URL or REDIS_URL of the caller's shell must not point these servers elsewhere.
  for (const k of ['DATABASE_URL', 'REDIS_URL', 'NETRA_DATA_DIR', 'NETRA_CONFIG']) delete childEnv[k];
  Object.assign(childEnv, {
    NETRA_FAULT_INJECTION: '1',
    NETRA_E2E_BYPASS_KEY: bypassKey,
    NETRA_LOG_LEVEL: 'warn',
    NETRA_LOGIN_ATTEMPTS_PER_MINUTE: '1000',
    ...env,
  });
  const proc = spawn(netraBin(), ['serve', '--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir], {
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const server = new Server(proc, dataDir, bypassKey);
  live.add(server);
  try {
    server.url = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`netra serve did not start in 20 s:\n${server.log()}`)), 20_000);
      const onData = () => {
        const m = /netra listening on (http:\/\/[^\s]+)/.exec(server.stdout);
        if (m) {
          clearTimeout(timer);
          resolve(m[1].replace(/\/$/, ''));
        }
      };
      proc.stdout.on('data', onData);
      proc.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`netra serve exited (${code ?? signal}) before listening:\n${server.log()}`));
      });
    });
  } catch (e) {
    await server.stop();
    throw e;
  }
  return server;
}

export class Server {
  constructor(proc, dataDir, bypassKey) {
    this.proc = proc;
    this.dataDir = dataDir;
    this.bypassKey = bypassKey;
    this.url = '';
    this.stdout = '';
    this.stderr = '';
    this.exited = new Promise((resolve) => proc.once('exit', resolve));
    // Kept short: only for a failure's message.
    const keep = (k) => (d) => { this[k] = (this[k] + d).slice(-20_000); };
    proc.stdout.on('data', keep('stdout'));
    proc.stderr.on('data', keep('stderr'));
  }

  get port() { return Number(new URL(this.url).port); }

  log() { return `${this.stdout}${this.stderr}`.slice(-4000); }

  /** SIGKILL, for the "server is gone" tests; the data directory stays until stop(). */
  async kill() {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM (SIGKILL after 10 s), then the data directory goes. */
  async stop() {
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      this.proc.kill('SIGTERM');
      const timer = setTimeout(() => this.proc.kill('SIGKILL'), 10_000);
      await this.exited;
      clearTimeout(timer);
    }
    rmSync(this.dataDir, { recursive: true, force: true });
    live.delete(this);
  }
}
