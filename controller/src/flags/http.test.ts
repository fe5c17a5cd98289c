import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { requestJson, withoutSecrets } from './http.ts';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(
    servers.splice(0).map(
      (s) =>
        new Promise((resolve) => {
          s.closeAllConnections();
          s.close(resolve);
        }),
    ),
  );
});

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A port nothing listens on: bound, then closed. */
async function closedPort(): Promise<string> {
  const url = await serve(() => undefined);
  const server = servers.pop()!;
  await new Promise((resolve) => server.close(resolve));
  return url;
}

describe('requestJson', () => {
  it('sends JSON with the headers given and parses the JSON answer, whatever the status', async () => {
    const url = await serve((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        res.writeHead(409, { 'Content-Type': 'application/json' });
        res.end(
          JSON.stringify({
            method: req.method,
            auth: req.headers.authorization,
            type: req.headers['content-type'],
            got: JSON.parse(body) as unknown,
          }),
        );
      });
    });
    const outcome = await requestJson({
      method: 'PATCH',
      url: `${url}/x`,
      headers: { Authorization: 'tok' },
      json: [{ op: 'replace' }],
      timeoutMs: 5_000,
    });
    expect(outcome).toEqual({
      answered: true,
      answer: {
        status: 409,
        body: { method: 'PATCH', auth: 'tok', type: 'application/json', got: [{ op: 'replace' }] },
        text: expect.any(String) as string,
      },
    });
  });

  it('keeps a body that is not JSON as text only', async () => {
    const url = await serve((_req, res) => res.end('<html>proxy error</html>'));
    const outcome = await requestJson({ method: 'GET', url, timeoutMs: 5_000 });
    expect(outcome).toEqual({
      answered: true,
      answer: { status: 200, body: undefined, text: '<html>proxy error</html>' },
    });
  });

  it('says the connection was refused when nothing listens', async () => {
    const outcome = await requestJson({ method: 'GET', url: await closedPort(), timeoutMs: 5_000 });
    expect(outcome).toEqual({ answered: false, reason: 'connection refused (ECONNREFUSED)' });
  });

  it('gives up at the deadline when the server never answers', async () => {
    const url = await serve(() => undefined);
    const outcome = await requestJson({ method: 'GET', url, timeoutMs: 100 });
    expect(outcome).toEqual({ answered: false, reason: 'no answer within 100 ms' });
  });
});

describe('withoutSecrets', () => {
  it('replaces every occurrence of each secret and ignores empty ones', () => {
    expect(withoutSecrets('token abc and abc again', ['abc', '', undefined])).toBe(
      'token [redacted] and [redacted] again',
    );
  });
});
