import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { interpretResponse, PrometheusProvider } from './prometheus.ts';

const addr = 'http://prom.test:9090';
const ok = (data: unknown) => JSON.stringify({ status: 'success', data });

describe('interpretResponse', () => {
  it('reads a scalar', () => {
    expect(interpretResponse(addr, 200, 'OK', ok({ resultType: 'scalar', result: [1700000000, '0.25'] }))).toEqual({ kind: 'scalar', values: [0.25] });
  });

  it('reads a vector as one number per series, keeping NaN and infinities', () => {
    const result = ['0.5', 'NaN', '+Inf', '-Inf', '1e-3'].map((v, i) => ({ metric: { pod: `p${i}` }, value: [1700000000, v] }));
    expect(interpretResponse(addr, 200, 'OK', ok({ resultType: 'vector', result }))).toEqual({ kind: 'vector', values: [0.5, NaN, Infinity, -Infinity, 0.001] });
  });

  it('reads an empty vector or matrix as empty', () => {
    expect(interpretResponse(addr, 200, 'OK', ok({ resultType: 'vector', result: [] }))).toEqual({ kind: 'empty' });
    expect(interpretResponse(addr, 200, 'OK', ok({ resultType: 'matrix', result: [] }))).toEqual({ kind: 'empty' });
  });

  it('reads a matrix as one list of samples per series', () => {
    const result = [
      { metric: { track: 'canary' }, values: [[1, '1'], [2, '2'], [3, 'NaN']] },
      { metric: { track: 'x' }, values: [[1, '+Inf']] },
    ];
    expect(interpretResponse(addr, 200, 'OK', ok({ resultType: 'matrix', result }))).toEqual({ kind: 'matrix', series: [[1, 2, NaN], [Infinity]] });
  });

  it("gives Prometheus's own words for a query it refuses", () => {
    const body = JSON.stringify({ status: 'error', errorType: 'bad_data', error: '1:5: parse error: unexpected "}"' });
    expect(interpretResponse(addr, 400, 'Bad Request', body)).toEqual({ kind: 'error', message: 'Prometheus at http://prom.test:9090 refused the query: 1:5: parse error: unexpected "}"' });
  });

  it('says what failed for an execution error', () => {
    const body = JSON.stringify({ status: 'error', errorType: 'execution', error: 'query processing would load too many samples' });
    expect(interpretResponse(addr, 422, 'Unprocessable Entity', body)).toEqual({
      kind: 'error',
      message: 'Prometheus at http://prom.test:9090 could not run the query, HTTP 422 (execution): query processing would load too many samples',
    });
  });

  it('reports an HTTP error from something in front of Prometheus', () => {
    expect(interpretResponse(addr, 502, 'Bad Gateway', '<html>\n<b>upstream</b> down</html>')).toEqual({
      kind: 'error',
      message: 'Prometheus at http://prom.test:9090 answered HTTP 502 Bad Gateway: <html> <b>upstream</b> down</html>',
    });
    expect(interpretResponse(addr, 401, 'Unauthorized', 'no')).toEqual({
      kind: 'error',
      message: 'Prometheus at http://prom.test:9090 answered HTTP 401 Unauthorized: check provider.prometheus.authentication',
    });
  });

  it('says when the address is not a Prometheus API', () => {
    expect(interpretResponse(addr, 200, 'OK', '<html>Grafana</html>')).toMatchObject({ kind: 'error', message: expect.stringContaining('check provider.prometheus.address') as string });
  });

  it.each([
    [{ resultType: 'string', result: [1, 'x'] }, 'returned a string'],
    [{ resultType: 'vector', result: [{ metric: {}, histogram: [1, {}] }] }, 'native histogram'],
    [{ resultType: 'vector', result: [{ metric: {}, value: [1, 'abc'] }] }, 'sample value "abc" is not a number'],
    [{ resultType: 'vector', result: 'nope' }, 'expected a list'],
    [{ resultType: 'weird' }, 'unknown result type "weird"'],
    [undefined, 'unknown result type'],
  ])('refuses a result it cannot read: %j', (data, message) => {
    const res = interpretResponse(addr, 200, 'OK', ok(data));
    expect(res.kind).toBe('error');
    expect(res.kind === 'error' && res.message).toContain(message);
  });
});

describe('PrometheusProvider over a socket', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
  });

  async function serve(handler: (req: IncomingMessage, body: string) => { status: number; body: string } | undefined): Promise<string> {
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const answer = handler(req, body);
        if (answer !== undefined) res.writeHead(answer.status, { 'Content-Type': 'application/json' }).end(answer.body);
      });
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it('posts the query as a form with the headers, to a path under the address', async () => {
    const seen: { url?: string; auth?: string; form?: URLSearchParams } = {};
    const url = await serve((req, body) => {
      Object.assign(seen, { url: req.url, auth: req.headers.authorization, form: new URLSearchParams(body) });
      return { status: 200, body: ok({ resultType: 'vector', result: [{ metric: {}, value: [1, '3'] }] }) };
    });
    const p = new PrometheusProvider();
    expect(await p.query(`${url}/prom/`, 'up{job="x"}', { timeoutMs: 5000, headers: { Authorization: 'Bearer t' } })).toEqual({ kind: 'vector', values: [3] });
    expect(seen.url).toBe('/prom/api/v1/query');
    expect(seen.auth).toBe('Bearer t');
    expect(seen.form?.get('query')).toBe('up{job="x"}');
    expect(seen.form?.get('timeout')).toBe('5000ms');

    await p.queryRange(url, 'up', { start: new Date(1_000_000), end: new Date(1_060_000), stepMs: 15_000, timeoutMs: 1000 });
    expect(seen.url).toBe('/api/v1/query_range');
    expect([seen.form?.get('start'), seen.form?.get('end'), seen.form?.get('step')]).toEqual(['1000.000', '1060.000', '15']);
  });

  it('says Prometheus was unreachable when nothing listens', async () => {
    const url = await serve(() => undefined);
    await new Promise((r) => servers.pop()!.close(r));
    const res = await new PrometheusProvider().query(url, 'up', { timeoutMs: 5000 });
    expect(res).toEqual({ kind: 'error', message: `Prometheus at ${url} was unreachable: connect ECONNREFUSED ${url.slice('http://'.length)}` });
  });

  it('gives up after the timeout when Prometheus does not answer', async () => {
    const url = await serve(() => undefined);
    const res = await new PrometheusProvider().query(url, 'up', { timeoutMs: 300 });
    expect(res).toEqual({ kind: 'error', message: `Prometheus at ${url} did not answer within 300ms: raise provider.prometheus.timeout or make the query cheaper` });
  });

  it('refuses an answer larger than the limit', async () => {
    const url = await serve(() => ({ status: 200, body: ok({ resultType: 'vector', result: Array.from({ length: 200 }, () => ({ metric: {}, value: [1, '1'] })) }) }));
    const res = await new PrometheusProvider({ maxResponseBytes: 1000 }).query(url, 'up', { timeoutMs: 5000 });
    expect(res).toMatchObject({ kind: 'error', message: expect.stringContaining('more than 1000 bytes') as string });
  });

  it('names a header whose value HTTP cannot carry, without quoting the value', async () => {
    const url = await serve(() => ({ status: 200, body: ok({ resultType: 'scalar', result: [1, '1'] }) }));
    const res = await new PrometheusProvider().query(url, 'up', { timeoutMs: 5000, headers: { 'X-Token': 'secret\nvalue' } });
    expect(res).toEqual({ kind: 'error', message: `Prometheus at ${url} cannot be queried: header X-Token has a value HTTP cannot carry (a line break or control character)` });
  });
});
