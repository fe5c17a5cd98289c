import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Agent, fetch } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConnectionPool, failureMeansDeadConnection } from './connectionPool.ts';

// A local server that answers /ok at once and never answers /hang: the frozen connection, seen from the client.
let server: Server;
let base: string;
const sockets = new Set<Socket>();
const hanging: ServerResponse[] = [];
beforeEach(async () => {
  server = createServer((req, res) => {
    if (req.url === '/hang') hanging.push(res);
    else res.end(`ok from ${req.socket.remotePort}`);
  });
  server.on('connection', (s) => sockets.add(s));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(async () => {
  for (const s of sockets) s.destroy();
  sockets.clear();
  hanging.length = 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function get(path: string, dispatcher: unknown): Promise<string> {
  const res = await fetch(`${base}${path}`, { dispatcher: dispatcher as Agent });
  return res.text();
}

describe('ConnectionPool', () => {
  it('serves every request from the first Agent it was offered, so connections are reused', async () => {
    const pool = new ConnectionPool({ requestTimeoutMs: 5_000 });
    const first = new Agent();
    const a = pool.dispatcherFor(first);
    const b = pool.dispatcherFor(new Agent());
    expect(a).toBe(b);
    // Ten requests, each through the dispatcher of its own new Agent, yet a connection or two: kept alive, reused.
    for (let i = 0; i < 10; i++) await get('/ok', pool.dispatcherFor(new Agent()));
    expect(sockets.size).toBeLessThanOrEqual(2);
    // No Agent from client-node (nothing TLS to carry): the pool makes a plain one, with the same deadlines.
    const fresh = new ConnectionPool({ requestTimeoutMs: 200 });
    await expect(get('/hang', fresh.dispatcherFor(undefined))).rejects.toThrow();
  });

  it('gives up on a request whose answer does not come within the deadline', async () => {
    const pool = new ConnectionPool({ requestTimeoutMs: 200 });
    const own = new Agent();
    const started = performance.now();
    await expect(get('/hang', pool.dispatcherFor(own))).rejects.toThrow();
    expect(performance.now() - started).toBeLessThan(3_000);
    // The same Agent without the pool's deadline still waits: the deadline is the pool's doing.
    const unbounded = get('/hang', own);
    const outcome = await Promise.race([
      unbounded.then(
        () => 'answered',
        () => 'failed',
      ),
      new Promise((r) => setTimeout(() => r('still waiting'), 1_500)),
    ]);
    expect(outcome).toBe('still waiting');
    hanging.at(-1)?.end('late');
    expect(await unbounded).toBe('late');
  });

  it('after a drop, hands out a new Agent and closes the old one once its requests are done', async () => {
    const pool = new ConnectionPool({ requestTimeoutMs: 5_000 });
    const old = new Agent();
    const before = pool.dispatcherFor(old);
    await get('/ok', before);
    const connectionsBefore = sockets.size;
    pool.drop();
    expect(pool.drops).toBe(1);
    const fresh = new Agent();
    const after = pool.dispatcherFor(fresh);
    expect(after).not.toBe(before);
    await get('/ok', after);
    expect(sockets.size).toBe(connectionsBefore + 1); // a new connection
    await expect(get('/ok', old)).rejects.toThrow(); // closed
  });

  it('drops a pool once for the failures it caused, not the pool that replaced it', () => {
    const pool = new ConnectionPool({ requestTimeoutMs: 5_000 });
    const deadPool = pool.dispatcherFor(new Agent());
    pool.drop(deadPool);
    const next = pool.dispatcherFor(new Agent());
    pool.drop(deadPool); // a second request that failed on the dead pool
    expect(pool.drops).toBe(1);
    expect(pool.dispatcherFor(new Agent())).toBe(next);
  });
});

describe('failureMeansDeadConnection', () => {
  it('counts failures with no abort and aborts by a deadline, not aborts the caller asked for', async () => {
    expect(failureMeansDeadConnection(undefined)).toBe(true);
    expect(failureMeansDeadConnection(new AbortController().signal)).toBe(true);
    const stopped = new AbortController();
    stopped.abort();
    expect(failureMeansDeadConnection(stopped.signal)).toBe(false);
    const deadline = AbortSignal.any([new AbortController().signal, AbortSignal.timeout(1)]);
    await new Promise((r) => setTimeout(r, 20));
    expect(failureMeansDeadConnection(deadline)).toBe(true);
  });
});
