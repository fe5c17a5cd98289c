/**
 * The three ways a provider's call fails must each say what happened: an on-call engineer told "unreachable" looks
 * at the network, told "did not answer within" raises a timeout. So an answer the reader cannot make sense of and a
 * cancelled measurement are neither; and none of them is ever a value.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnswerBudget } from './answerBudget.ts';
import { fetchWithinBudget, type BudgetedCall } from './answerFetch.ts';

let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/slow') return void setTimeout(() => res.end('{}'), 2_000);
    res.setHeader('content-type', 'application/json');
    res.end('{"status":"success"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function call(path: string, overrides: Partial<BudgetedCall> = {}): BudgetedCall {
  return {
    url: new URL(path, base),
    init: { method: 'GET' },
    budget: new AnswerBudget(1024 * 1024),
    tenant: 'shop',
    timeoutMs: 1_000,
    maxBytes: 64 * 1024,
    where: 'Prometheus at http://prom:9090',
    noRoom: () => 'no room',
    timeoutHint: 'raise provider.prometheus.timeout',
    ...overrides,
  };
}

describe('fetchWithinBudget', () => {
  it('hands the answer to the reader and returns what it made of it', async () => {
    const got = await fetchWithinBudget(call('/'), (res, body) => ({ status: res.status, body }));
    expect(got).toEqual({ status: 200, body: '{"status":"success"}' });
  });

  it('says the answer could not be read, not that the provider was unreachable, when the reader throws', async () => {
    const got = await fetchWithinBudget(call('/'), () => {
      throw new TypeError("Cannot read properties of undefined (reading 'result')");
    });
    expect(got).toEqual({
      kind: 'error',
      message:
        "Prometheus at http://prom:9090 answered HTTP 200, and the answer could not be read: Cannot read properties of undefined (reading 'result')",
    });
  });

  it('says a cancelled call was cancelled, not that it timed out', async () => {
    const cancel = new AbortController();
    const pending = fetchWithinBudget(call('/slow', { signal: cancel.signal }), () => 'read');
    setTimeout(() => cancel.abort(), 50);
    expect(await pending).toEqual({
      kind: 'error',
      message: 'Prometheus at http://prom:9090: the call was cancelled before its answer came',
    });
  });

  it('says a call past its timeout did not answer within it, with what to do', async () => {
    const got = await fetchWithinBudget(call('/slow', { timeoutMs: 100 }), () => 'read');
    expect(got).toEqual({
      kind: 'error',
      message: 'Prometheus at http://prom:9090 did not answer within 100ms: raise provider.prometheus.timeout',
    });
  });

  it('says the provider was unreachable when nothing listens, with the socket error', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const got = await fetchWithinBudget(call(`http://127.0.0.1:${port}/`), () => 'read');
    expect(got).toEqual({
      kind: 'error',
      message: `Prometheus at http://prom:9090 was unreachable: connect ECONNREFUSED 127.0.0.1:${port}`,
    });
  });
});
