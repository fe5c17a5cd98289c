import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { interpretResponse, PrometheusProvider, type PrometheusProviderOptions } from './prometheus.ts';

const addr = 'http://prom.test:9090';
const ok = (data: unknown) => JSON.stringify({ status: 'success', data });

describe('interpretResponse', () => {
  it('reads a scalar', () => {
    expect(interpretResponse(addr, 200, ok({ resultType: 'scalar', result: [1700000000, '0.25'] }))).toEqual({
      kind: 'scalar',
      values: [0.25],
    });
  });

  it('reads a vector as one number per series, keeping NaN and infinities', () => {
    const result = ['0.5', 'NaN', '+Inf', '-Inf', '1e-3'].map((v, i) => ({
      metric: { pod: `p${i}` },
      value: [1700000000, v],
    }));
    expect(interpretResponse(addr, 200, ok({ resultType: 'vector', result }))).toEqual({
      kind: 'vector',
      values: [0.5, NaN, Infinity, -Infinity, 0.001],
    });
  });

  it('reads an empty vector or matrix as empty', () => {
    expect(interpretResponse(addr, 200, ok({ resultType: 'vector', result: [] }))).toEqual({ kind: 'empty' });
    expect(interpretResponse(addr, 200, ok({ resultType: 'matrix', result: [] }))).toEqual({ kind: 'empty' });
  });

  it('reads a matrix as one list of samples per series', () => {
    const result = [
      {
        metric: { track: 'canary' },
        values: [
          [1, '1'],
          [2, '2'],
          [3, 'NaN'],
        ],
      },
      { metric: { track: 'x' }, values: [[1, '+Inf']] },
    ];
    expect(interpretResponse(addr, 200, ok({ resultType: 'matrix', result }))).toEqual({
      kind: 'matrix',
      series: [[1, 2, NaN], [Infinity]],
    });
  });

  it("keeps Prometheus's own words for a query it refuses as bad_data, cut and stripped to printable text", () => {
    const body = JSON.stringify({ status: 'error', errorType: 'bad_data', error: '1:5: parse error: unexpected "}"' });
    expect(interpretResponse(addr, 400, body)).toEqual({
      kind: 'error',
      message: 'Prometheus at http://prom.test:9090 refused the query (bad_data): 1:5: parse error: unexpected "}"',
    });
    const long = JSON.stringify({
      status: 'error',
      errorType: 'bad_data',
      error: `bad\u0000\u001b[31m\n${'x'.repeat(500)}`,
    });
    const res = interpretResponse(addr, 400, long);
    expect(res.kind === 'error' && res.message).toMatch(
      /^Prometheus at http:\/\/prom\.test:9090 refused the query \(bad_data\): bad \[31m x+…$/,
    );
    expect(res.kind === 'error' && res.message.length).toBeLessThan(240);
  });

  it('gives the HTTP status and errorType of any other error, never its text', () => {
    const body = JSON.stringify({
      status: 'error',
      errorType: 'execution',
      error: 'found duplicate series for the match group {tenant="other"}',
    });
    expect(interpretResponse(addr, 422, body)).toEqual({
      kind: 'error',
      message:
        'Prometheus at http://prom.test:9090 could not run the query, HTTP 422 Unprocessable Entity (execution): make the query cheaper or raise provider.prometheus.timeout',
    });
    const odd = JSON.stringify({ status: 'error', errorType: 'see http://evil.example', error: 'x' });
    expect(interpretResponse(addr, 500, odd)).toEqual({
      kind: 'error',
      message: 'Prometheus at http://prom.test:9090 could not run the query, HTTP 500 Internal Server Error',
    });
  });

  it('reports an HTTP error from something in front of Prometheus by its status alone, not its body', () => {
    expect(interpretResponse(addr, 502, '<html>\n<b>upstream</b> down: root:x:0:0</html>')).toEqual({
      kind: 'error',
      message: 'Prometheus at http://prom.test:9090 answered HTTP 502 Bad Gateway',
    });
    expect(interpretResponse(addr, 401, 'no')).toEqual({
      kind: 'error',
      message:
        'Prometheus at http://prom.test:9090 answered HTTP 401 Unauthorized: check provider.prometheus.authentication',
    });
  });

  it('says when the address is not a Prometheus API, without quoting what it said', () => {
    expect(interpretResponse(addr, 200, '{"AccessKeyId":"AKIA-secret"}')).toEqual({
      kind: 'error',
      message:
        'Prometheus at http://prom.test:9090 answered with something other than the Prometheus API: check provider.prometheus.address',
    });
  });

  it('refuses an answer with more samples than Sluice reads, naming the limit', () => {
    const limits = { perSeries: 5, total: 12 };
    const matrix = (series: number, points: number) =>
      ok({
        resultType: 'matrix',
        result: Array.from({ length: series }, () => ({
          metric: {},
          values: Array.from({ length: points }, (_, i) => [i, '1']),
        })),
      });
    expect(interpretResponse(addr, 200, matrix(2, 5), limits)).toMatchObject({ kind: 'matrix' });
    expect(interpretResponse(addr, 200, matrix(1, 6), limits)).toEqual({
      kind: 'error',
      message:
        'Prometheus at http://prom.test:9090 answered with 6 points in one series, more than the 5 Sluice reads per series: use a longer range.step or a shorter range.lookback',
    });
    expect(interpretResponse(addr, 200, matrix(3, 5), limits)).toEqual({
      kind: 'error',
      message:
        'Prometheus at http://prom.test:9090 answered with 15 samples (series × points), more than the 12 Sluice reads in one answer: aggregate the query (sum, topk) or use a longer range.step',
    });
    const vector = ok({
      resultType: 'vector',
      result: Array.from({ length: 13 }, () => ({ metric: {}, value: [1, '1'] })),
    });
    expect(interpretResponse(addr, 200, vector, limits)).toMatchObject({
      kind: 'error',
      message: expect.stringContaining('13 series, more than the 12 samples') as string,
    });
  });

  it('reads up to 11,000 points per series by default, as Prometheus itself', () => {
    const series = (points: number) =>
      ok({
        resultType: 'matrix',
        result: [{ metric: {}, values: Array.from({ length: points }, (_, i) => [i, '1']) }],
      });
    expect(interpretResponse(addr, 200, series(11_000)).kind).toBe('matrix');
    expect(interpretResponse(addr, 200, series(11_001))).toMatchObject({
      kind: 'error',
      message: expect.stringContaining('more than the 11000 Sluice reads per series') as string,
    });
  });

  it.each([
    [{ resultType: 'string', result: [1, 'x'] }, 'returned a string'],
    [{ resultType: 'vector', result: [{ metric: {}, histogram: [1, {}] }] }, 'native histogram'],
    [
      { resultType: 'vector', result: [{ metric: {}, value: [1, 'abc'] }] },
      'a sample value (a string) is not a number',
    ],
    [{ resultType: 'vector', result: 'nope' }, 'expected a list, got string'],
    [{ resultType: 'weird' }, 'unknown result type'],
    [undefined, 'unknown result type'],
  ])('refuses a result it cannot read: %j', (data, message) => {
    const res = interpretResponse(addr, 200, ok(data));
    expect(res.kind).toBe('error');
    expect(res.kind === 'error' && res.message).toContain(message);
    expect(res.kind === 'error' && res.message).not.toMatch(/abc|nope|weird/);
  });
});

describe('PrometheusProvider over a socket', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
  });

  async function serve(
    handler: (req: IncomingMessage, body: string) => { status: number; body: string } | undefined,
  ): Promise<string> {
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

  /** A provider that may query the test's loopback servers from namespaced templates. */
  const local = (opts: PrometheusProviderOptions = {}) =>
    new PrometheusProvider({ allowedHosts: [{ host: '127.0.0.1', port: undefined }], ...opts });

  it('posts the query as a form with the headers, to a path under the address', async () => {
    const seen: { url?: string; auth?: string; form?: URLSearchParams } = {};
    const url = await serve((req, body) => {
      Object.assign(seen, { url: req.url, auth: req.headers.authorization, form: new URLSearchParams(body) });
      return { status: 200, body: ok({ resultType: 'vector', result: [{ metric: {}, value: [1, '3'] }] }) };
    });
    const p = local();
    expect(
      await p.query(`${url}/prom/`, 'up{job="x"}', { timeoutMs: 5000, headers: { Authorization: 'Bearer t' } }),
    ).toEqual({ kind: 'vector', values: [3] });
    expect(seen.url).toBe('/prom/api/v1/query');
    expect(seen.auth).toBe('Bearer t');
    expect(seen.form?.get('query')).toBe('up{job="x"}');
    expect(seen.form?.get('timeout')).toBe('5000ms');

    await p.queryRange(url, 'up', {
      start: new Date(1_000_000),
      end: new Date(1_060_000),
      stepMs: 15_000,
      timeoutMs: 1000,
    });
    expect(seen.url).toBe('/api/v1/query_range');
    expect([seen.form?.get('start'), seen.form?.get('end'), seen.form?.get('step')]).toEqual([
      '1000.000',
      '1060.000',
      '15',
    ]);
  });

  it('sends nothing to a host a namespaced template may not query, and lets a trusted (cluster) template query it', async () => {
    let requests = 0;
    const url = await serve(() => {
      requests++;
      return { status: 200, body: ok({ resultType: 'scalar', result: [1, '1'] }) };
    });
    const port = new URL(url).port;
    const strict = new PrometheusProvider({ allowedHosts: [{ host: 'prometheus.monitoring', port: 9090 }] });
    expect(await strict.query(url, 'up', { timeoutMs: 5000, headers: { Authorization: 'Bearer secret' } })).toEqual({
      kind: 'error',
      message:
        `provider.prometheus.address: host 127.0.0.1:${port} is not in --analysis-allowed-hosts / SLUICE_ANALYSIS_ALLOWED_HOSTS (which is prometheus.monitoring:9090), ` +
        'and only ClusterAnalysisTemplates may query other hosts: ask a cluster admin to allow the host, or use a ClusterAnalysisTemplate',
    });
    expect(requests).toBe(0);
    expect(await strict.query(url, 'up', { timeoutMs: 5000, trusted: true })).toEqual({ kind: 'scalar', values: [1] });
    expect(requests).toBe(1);
    // Credentials in the address are refused even for a trusted template, and never repeated.
    const withCredentials = url.replace('http://', 'http://admin:hunter2@');
    const refused = await strict.query(withCredentials, 'up', { timeoutMs: 5000, trusted: true });
    expect(refused).toEqual({
      kind: 'error',
      message:
        'provider.prometheus.address carries credentials (user:password@): remove them and use provider.prometheus.authentication with a secretKeyRef',
    });
    expect(requests).toBe(1);
  });

  it('says Prometheus was unreachable when nothing listens', async () => {
    const url = await serve(() => undefined);
    await new Promise((r) => servers.pop()!.close(r));
    const res = await local().query(url, 'up', { timeoutMs: 5000 });
    expect(res).toEqual({
      kind: 'error',
      message: `Prometheus at ${url} was unreachable: connect ECONNREFUSED ${url.slice('http://'.length)}`,
    });
  });

  it('gives up after the timeout when Prometheus does not answer', async () => {
    const url = await serve(() => undefined);
    const res = await local().query(url, 'up', { timeoutMs: 300 });
    expect(res).toEqual({
      kind: 'error',
      message: `Prometheus at ${url} did not answer within 300ms: raise provider.prometheus.timeout or make the query cheaper`,
    });
  });

  it('refuses an answer larger than the limit', async () => {
    const url = await serve(() => ({
      status: 200,
      body: ok({
        resultType: 'vector',
        result: Array.from({ length: 20_000 }, () => ({ metric: {}, value: [1, '1'] })),
      }),
    }));
    const res = await local({ maxResponseBytes: 100_000 }).query(url, 'up', { timeoutMs: 5000 });
    expect(res).toMatchObject({
      kind: 'error',
      message: expect.stringContaining('answered with more than 0.1 MiB: narrow the query') as string,
    });
  });

  it('names a header whose value HTTP cannot carry, without quoting the value', async () => {
    const url = await serve(() => ({ status: 200, body: ok({ resultType: 'scalar', result: [1, '1'] }) }));
    const res = await local().query(url, 'up', { timeoutMs: 5000, headers: { 'X-Token': 'secret\nvalue' } });
    expect(res).toEqual({
      kind: 'error',
      message: `Prometheus at ${url} cannot be queried: header X-Token has a value HTTP cannot carry (a line break or control character)`,
    });
  });

  it('follows no redirect, which could lead from an allowed host to one that is not', async () => {
    let followed = 0;
    const elsewhere = await serve(() => {
      followed++;
      return { status: 200, body: ok({ resultType: 'scalar', result: [1, '1'] }) };
    });
    const server = createServer((_req, res) =>
      res.writeHead(307, { Location: `${elsewhere.replace('127.0.0.1', 'localhost')}/api/v1/query` }).end(),
    );
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    expect(await local().query(url, 'up', { timeoutMs: 5000 })).toEqual({
      kind: 'error',
      message: `Prometheus at ${url} answered HTTP 307 Temporary Redirect: Sluice follows no redirects, so point provider.prometheus.address at where it leads`,
    });
    expect(followed).toBe(0);
  });

  it('logs the body of a refused answer at debug, where status never sees it', async () => {
    const url = await serve(() => ({ status: 503, body: 'upstream connect error: secret-db.internal:5432' }));
    const logged: Record<string, unknown>[] = [];
    const res = await local({ debug: (details) => logged.push(details) }).query(url, 'up', { timeoutMs: 5000 });
    expect(res).toEqual({ kind: 'error', message: `Prometheus at ${url} answered HTTP 503 Service Unavailable` });
    expect(logged).toEqual([{ address: url, status: 503, body: 'upstream connect error: secret-db.internal:5432' }]);
  });
});

describe('secret arguments in a bad_data answer', () => {
  // Prometheus quotes the query back in a parse error; a secret argument with a tab or non-ASCII text would be
  // folded and cut before the engine's redaction, leaving a part of it in status.
  it('removes a secret from the words before folding and cutting them', () => {
    const secret = 'tök\tsecret-value-123';
    const body = JSON.stringify({ status: 'error', errorType: 'bad_data', error: `1:5: parse error near "${secret}"` });
    const result = interpretResponse('http://prom.test:9090', 400, body, undefined, [secret]);
    expect(result.kind).toBe('error');
    const message = (result as { message: string }).message;
    expect(message).toContain('[redacted]');
    expect(message).not.toMatch(/secret-value|t.k/);
  });
});
