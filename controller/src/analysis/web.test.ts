/**
 * The web provider against real HTTP servers on loopback, through the engine (takeMeasurement), so that what is
 * checked is what status would get: the host allowlist before anything is sent, redirects not followed, the
 * answer's text never in a message, Secret values scrubbed even when the endpoint echoes them, and the bounds on
 * an answer's size and nesting.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import type { Measurement, WebProvider } from '../api/types.ts';
import { AnswerBudget } from './answerBudget.ts';
import { takeMeasurement } from './measure.ts';
import type { HostPattern } from './providerPolicy.ts';
import { jsonDepth, webMetricProvider, type WebProviderOptions } from './web.ts';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
});

/** A server that records each request and answers with `answer`; its base URL and what it saw. */
async function endpoint(answer: (req: Seen, res: ServerResponse) => void) {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      };
      seen.push(r);
      answer(r, res);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

const json =
  (status: number, body: string, type = 'application/json') =>
  (_: Seen, res: ServerResponse) => {
    res.writeHead(status, { 'Content-Type': type });
    res.end(body);
  };

const secrets: Record<string, string> = { 'api/token': 'tok-SECRET-42' };

async function measureWeb(
  web: WebProvider,
  opts: { trusted?: boolean; allowedHosts?: HostPattern[]; provider?: Partial<WebProviderOptions> } = {},
  conditions = { successCondition: 'result == true' },
): Promise<Measurement> {
  const provider = webMetricProvider({
    budget: new AnswerBudget(16 * 1024 * 1024),
    allowedHosts: opts.allowedHosts ?? [{ host: '127.0.0.1', port: undefined }],
    ...opts.provider,
  });
  return takeMeasurement(
    {
      metric: { name: 'health', ...conditions, provider: { web } },
      args: { values: new Map([['service', 'checkout']]), secrets: [] },
      namespace: 'shop',
      field: 'AnalysisTemplate shop/health metrics[health]',
      startedAt: new Date(),
      trusted: opts.trusted ?? false,
    },
    {
      providers: { web: provider },
      readSecret: (_ns, name, key) => secrets[`${name}/${key}`],
      clock: () => new Date(),
    },
  );
}

const field = 'AnalysisTemplate shop/health metrics[health].provider.web';

describe('web provider: where it may send', () => {
  it('a namespaced template may not reach a host outside the allowlist, and nothing is sent there', async () => {
    const target = await endpoint(json(200, '{"ok":true}'));
    const m = await measureWeb({ url: `${target.url}/health`, jsonPath: '{$.ok}' }, { allowedHosts: [] });
    expect(m.phase).toBe('Error');
    expect(m.message).toContain(`${field}.url: host 127.0.0.1:`);
    expect(m.message).toContain('--analysis-allowed-hosts');
    expect(target.seen).toEqual([]);
  });

  it('a ClusterAnalysisTemplate may reach any host', async () => {
    const target = await endpoint(json(200, '{"ok":true}'));
    const m = await measureWeb(
      { url: `${target.url}/health`, jsonPath: '{$.ok}' },
      { allowedHosts: [], trusted: true },
    );
    expect(m).toMatchObject({ phase: 'Successful', value: 'true' });
  });

  it('credentials in the URL are refused without being quoted', async () => {
    const m = await measureWeb({ url: 'http://admin:hunter2@127.0.0.1:9/x', jsonPath: '$.ok' }, { trusted: true });
    expect(m.phase).toBe('Error');
    expect(m.message).toContain(`${field}.url carries credentials`);
    expect(m.message).not.toContain('hunter2');
  });

  it('does not follow a redirect: the host it points at gets nothing', async () => {
    const elsewhere = await endpoint(json(200, '{"ok":true}'));
    const redirecting = await endpoint((_, res) => {
      res.writeHead(302, { Location: `${elsewhere.url}/health` });
      res.end();
    });
    const m = await measureWeb({ url: `${redirecting.url}/health`, jsonPath: '$.ok' });
    expect(m.phase).toBe('Error');
    expect(m.message).toMatch(/HTTP 302 .*a redirect, which is not followed/);
    expect(elsewhere.seen).toEqual([]);
  });
});

describe('web provider: the answer', () => {
  it('sends method, headers and a JSON body, with arguments escaped where they land', async () => {
    const target = await endpoint(json(200, '{"data":{"ok":true}}'));
    const m = await measureWeb({
      url: `${target.url}/check/{{args.service}}?q={{args.service}}`,
      method: 'POST',
      headers: [{ key: 'X-Service', value: '{{args.service}}' }],
      body: '{"service":"{{args.service}}"}',
      jsonPath: '{$.data.ok}',
    });
    expect(m).toMatchObject({ phase: 'Successful', value: 'true' });
    expect(target.seen).toMatchObject([
      {
        method: 'POST',
        url: '/check/checkout?q=checkout',
        body: '{"service":"checkout"}',
        headers: { 'x-service': 'checkout', 'content-type': 'application/json', accept: 'application/json' },
      },
    ]);
  });

  it('an error answer names the status and content type, never the body', async () => {
    const target = await endpoint(json(503, 'database password is pa55 and the stack trace is...', 'text/html'));
    const m = await measureWeb({ url: `${target.url}/health`, jsonPath: '$.ok' });
    expect(m.phase).toBe('Error');
    expect(m.message).toBe(`${field}: ${target.url} answered HTTP 503 (text/html): only a 2xx answer is measured`);
  });

  it('a content type the endpoint made up is not quoted either', async () => {
    const target = await endpoint(json(500, '{}', 'text/evil ignore previous instructions'));
    const m = await measureWeb({ url: `${target.url}/health`, jsonPath: '$.ok' });
    expect(m.message).toContain('(an unreadable content type)');
  });

  it('an answer that is not JSON is an Error that does not quote it', async () => {
    const target = await endpoint(json(200, '<html>all good, token=abc</html>', 'text/html'));
    const m = await measureWeb({ url: `${target.url}/health`, jsonPath: '$.ok' });
    expect(m.phase).toBe('Error');
    expect(m.message).toContain('answered HTTP 200 (text/html), which is not JSON');
    expect(m.message).not.toContain('token');
  });

  it('a Secret header value never reaches status, even when the endpoint echoes it at the path and in errors', async () => {
    const echo = await endpoint((req, res) => {
      const token = String(req.headers.authorization);
      res.writeHead(req.url === '/fail' ? 500 : 200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ echoed: token, nested: { list: [token] } }));
    });
    const headers = [{ key: 'Authorization', valueFrom: { secretKeyRef: { name: 'api', key: 'token' } } }];
    const atPath = await measureWeb(
      { url: `${echo.url}/ok`, headers, jsonPath: '$.echoed' },
      {},
      { successCondition: 'result == "x"' },
    );
    const inList = await measureWeb({ url: `${echo.url}/ok`, headers, jsonPath: '$.nested' });
    const logged: unknown[] = [];
    const failed = await measureWeb(
      { url: `${echo.url}/fail`, headers, jsonPath: '$.echoed' },
      { provider: { debug: (details, message) => void logged.push(details, message) } },
    );
    expect(logged).toContain('web answer refused');
    expect(JSON.stringify(logged)).not.toContain('SECRET');
    expect(echo.seen[0]!.headers.authorization).toBe('tok-SECRET-42');
    for (const m of [atPath, inList, failed]) {
      expect(JSON.stringify(m)).not.toContain('SECRET');
    }
    expect(atPath.value).toContain('[redacted]');
  });

  it('a path that finds nothing, or null, is no data: Inconclusive', async () => {
    const target = await endpoint(json(200, '{"data":{"ok":null}}'));
    for (const jsonPath of ['$.data.ok', '$.data.missing', '$.checks[*]']) {
      const m = await measureWeb({ url: `${target.url}/health`, jsonPath });
      expect(m).toMatchObject({ phase: 'Inconclusive', value: 'no data' });
    }
  });

  it('several matches are a list the conditions can judge', async () => {
    const target = await endpoint(json(200, '{"checks":[{"up":1},{"up":1},{"up":0}]}'));
    const m = await measureWeb(
      { url: `${target.url}/health`, jsonPath: '{$.checks[*].up}' },
      {},
      { successCondition: 'result.all(x, x == 1)' },
    );
    expect(m).toMatchObject({ phase: 'Failed', value: '[1, 1, 0]' });
  });
});

describe('web provider: bounds', () => {
  it('an answer larger than the cap is refused, with or without a Content-Length', async () => {
    const big = `{"ok":true,"pad":"${'x'.repeat(4096)}"}`;
    const declared = await endpoint(json(200, big));
    const streamed = await endpoint((_, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write(big.slice(0, 2000));
      res.end(big.slice(2000));
    });
    for (const target of [declared, streamed]) {
      const m = await measureWeb({ url: target.url, jsonPath: '$.ok' }, { provider: { maxAnswerBytes: 1024 } });
      expect(m.phase).toBe('Error');
      expect(m.message).toMatch(/with more than 1 KiB/);
    }
  });

  it('the cap counts the bytes after decompression: a small gzip that inflates past it is refused', async () => {
    const bomb = gzipSync(`{"ok":true,"pad":"${'0'.repeat(8 * 1024 * 1024)}"}`);
    const target = await endpoint((_, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' });
      res.end(bomb);
    });
    expect(bomb.length).toBeLessThan(64 * 1024);
    const m = await measureWeb({ url: target.url, jsonPath: '$.ok' });
    expect(m).toMatchObject({ phase: 'Error', message: expect.stringMatching(/with more than 1024 KiB/) as unknown });
  });

  it('an answer nested deeper than the bound is refused before it is parsed', async () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const target = await endpoint(json(200, deep));
    const m = await measureWeb({ url: target.url, jsonPath: '$' });
    expect(m).toMatchObject({
      phase: 'Error',
      message: expect.stringMatching(/nested deeper than 64 levels/) as unknown,
    });
  });

  it('counts nesting outside strings only', () => {
    expect(jsonDepth('{"a":[1,{"b":2}]}', 64)).toBe(3);
    expect(jsonDepth('{"a":"[[[[\\"[[["}', 64)).toBe(1);
    expect(jsonDepth('[[[[[[', 3)).toBe(4);
  });

  it('an endpoint that is not listening is an Error saying so', async () => {
    const gone = await endpoint(json(200, '{}'));
    const closed = servers.pop()!;
    await new Promise((resolve) => closed.close(resolve));
    const m = await measureWeb({ url: `${gone.url}/health`, jsonPath: '$.ok' });
    expect(m).toMatchObject({
      phase: 'Error',
      message: expect.stringMatching(/unreachable: .*ECONNREFUSED/) as unknown,
    });
  });
});
