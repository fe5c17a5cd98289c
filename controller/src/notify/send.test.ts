import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { maxAnswerBytes, parseRetryAfter, requestProblem, sendRequest } from './send.ts';

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

/** A receiver on loopback that answers each request with `handle`; returns its URL and the bodies it got. */
async function receiver(handle: (req: IncomingMessage, res: ServerResponse, body: string) => void) {
  const bodies: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      bodies.push(body);
      handle(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  close = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, bodies };
}

const post = (url: string, timeoutMs = 2_000) =>
  sendRequest({ url, headers: { 'Content-Type': 'application/json' }, body: '{"a":1}' }, timeoutMs, 'sluice-test');

describe('sendRequest', () => {
  it('2xx is delivered; the receiver got the body', async () => {
    const r = await receiver((_req, res) => res.writeHead(204).end());
    expect(await post(r.url)).toEqual({ kind: 'delivered', status: 204 });
    expect(r.bodies).toEqual(['{"a":1}']);
  });

  it('503 and 429 are retried, with Retry-After', async () => {
    const r = await receiver((req, res) =>
      res.writeHead(req.headers['x-n'] === undefined ? 503 : 429, { 'Retry-After': '7' }).end(),
    );
    expect(await post(r.url)).toEqual({ kind: 'retry', reason: 'http_5xx', status: 503, retryAfterMs: 7_000 });
  });

  it('other 4xx and redirects are refused for good', async () => {
    const r = await receiver((req, res) =>
      req.url === '/hook' ? res.writeHead(400).end('bad') : res.writeHead(302, { Location: '/x' }).end(),
    );
    expect(await post(r.url)).toEqual({ kind: 'refused', reason: 'http_4xx', status: 400 });
    expect(await post(r.url.replace('/hook', '/moved'))).toEqual({ kind: 'refused', reason: 'redirect', status: 302 });
  });

  it('a refused connection and a timeout are retried', async () => {
    const r = await receiver(() => undefined); // never answers
    expect(await post(r.url, 200)).toEqual({ kind: 'retry', reason: 'timeout' });
    await close!();
    close = undefined;
    expect(await post(r.url)).toEqual({ kind: 'retry', reason: 'network' });
  });

  it('reads a huge answer no further than its cap', async () => {
    const r = await receiver((_req, res) => {
      res.writeHead(200);
      const chunk = Buffer.alloc(64 * 1024, 'x');
      // 16x the cap; the sender stops reading long before, and the answer still counts as delivered.
      for (let i = 0; i < (16 * maxAnswerBytes) / chunk.length; i++) res.write(chunk);
      res.end();
    });
    expect(await post(r.url)).toEqual({ kind: 'delivered', status: 200 });
  });
});

describe('parseRetryAfter', () => {
  const now = new Date('2026-11-30T12:00:00Z');
  it('reads seconds and HTTP dates; ignores what it cannot read', () => {
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Mon, 30 Nov 2026 12:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});

describe('requestProblem', () => {
  const request = { url: 'https://hooks.example.com/x', headers: { 'X-A': 'b' }, body: '{}' };
  it('refuses what no retry can fix, without sending it', async () => {
    expect(requestProblem(request)).toBeUndefined();
    expect(requestProblem({ ...request, url: 'file:///etc/passwd' })).toBe("the URL's scheme is file:, not http(s)");
    expect(requestProblem({ ...request, url: 'not a url' })).toBe('the URL cannot be parsed');
    expect(requestProblem({ ...request, headers: { 'X-A': 'b\r\nX-Injected: 1' } })).toBe('header X-A cannot be sent');
    expect(await sendRequest({ ...request, url: 'data:text/plain,hi' }, 1_000, 'ua')).toEqual({
      kind: 'refused',
      reason: 'invalid_request',
    });
  });
});
