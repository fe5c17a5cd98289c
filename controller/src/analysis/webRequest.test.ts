import { describe, expect, it } from 'vitest';
import type { WebProvider } from '../api/types.ts';
import { AnalysisConfigError } from './errors.ts';
import type { ProviderRequest } from './provider.ts';
import { buildWebRequest } from './webRequest.ts';

const field = 'AnalysisTemplate shop/health metrics[ok].provider.web';

function requestWith(args: Record<string, string>, opts: { secrets?: Record<string, string> } = {}) {
  const scrubbed: string[] = [];
  const secretArgs = Object.values(args).filter((v) => v.startsWith('s3cr3t'));
  const request: ProviderRequest = {
    namespace: 'shop',
    rollout: { name: 'checkout', uid: undefined },
    measurementId: 'm-1',
    field,
    startedAt: new Date(0),
    trusted: false,
    args: { values: new Map(Object.entries(args)), secrets: secretArgs },
    vars: {},
    secret: (ref, at) => {
      const value = opts.secrets?.[`${ref.name}/${ref.key}`];
      if (value === undefined) throw new AnalysisConfigError('SecretNotFound', at, `${at}: no such Secret`);
      scrubbed.push(value);
      return value;
    },
    scrub: (derived) => void scrubbed.push(derived),
    signal: new AbortController().signal,
  };
  return { request, scrubbed };
}

const spec = (over: Partial<WebProvider>): WebProvider => ({
  url: 'http://health.shop:8080/status',
  jsonPath: '{$.ok}',
  ...over,
});

describe('web request: the URL', () => {
  it('URL-encodes arguments, so that they stay one path segment or one query value', () => {
    const { request } = requestWith({ service: 'a/b?c=d&e#f', q: 'x y&admin=1' });
    const built = buildWebRequest(spec({ url: 'http://health.shop/svc/{{args.service}}/ok?q={{args.q}}' }), request);
    expect(built.url.pathname).toBe('/svc/a%2Fb%3Fc%3Dd%26e%23f/ok');
    expect([...built.url.searchParams]).toEqual([['q', 'x y&admin=1']]);
    expect(built.url.hash).toBe('');
  });

  it.each(['http://{{args.host}}:80/x', 'http://health.shop:{{args.port}}/', '{{args.scheme}}://health.shop/'])(
    'refuses a placeholder in the scheme, host or port: %s',
    (url) => {
      const { request } = requestWith({ host: 'metadata.internal', port: '80', scheme: 'http' });
      expect(() => buildWebRequest(spec({ url }), request)).toThrow(
        `${field}.url has a placeholder in its scheme, host or port`,
      );
    },
  );

  it.each(['..', '.', '%2e%2e'])('refuses an argument %j that would climb the path', (value) => {
    const { request } = requestWith({ p: value });
    const build = () => buildWebRequest(spec({ url: 'http://health.shop/api/{{args.p}}/admin' }), request);
    if (value === '%2e%2e') {
      // The % is encoded, so the value stays the literal text "%2e%2e", one harmless segment.
      expect(build().url.pathname).toBe('/api/%252e%252e/admin');
      return;
    }
    expect(build).toThrow(/\. or \.\. path segment/);
  });

  it('names the field when the URL is not one, or names an unknown argument', () => {
    const { request } = requestWith({});
    expect(() => buildWebRequest(spec({ url: 'http://health.shop:99999/' }), request)).toThrow(
      `${field}.url is not a URL`,
    );
    expect(() => buildWebRequest(spec({ url: 'http://health.shop/{{args.nope}}' }), request)).toThrow(
      /names no argument/,
    );
  });

  it('scrubs the URL-encoded form of a secret argument', () => {
    const { request, scrubbed } = requestWith({ token: 's3cr3t/+=' });
    buildWebRequest(spec({ url: 'http://health.shop/?t={{args.token}}' }), request);
    expect(scrubbed).toContain('s3cr3t%2F%2B%3D');
  });
});

describe('web request: headers and body', () => {
  it('sends plain, argument and Secret header values, and reads Secrets through the engine', () => {
    const { request, scrubbed } = requestWith({ team: 'payments' }, { secrets: { 'api/token': 'tok-123' } });
    const built = buildWebRequest(
      spec({
        headers: [
          { key: 'X-Team', value: 'team-{{args.team}}' },
          { key: 'Authorization', valueFrom: { secretKeyRef: { name: 'api', key: 'token' } } },
        ],
      }),
      request,
    );
    expect(built.headers.get('x-team')).toBe('team-payments');
    expect(built.headers.get('authorization')).toBe('tok-123');
    expect(built.headers.get('accept')).toBe('application/json');
    expect(scrubbed).toContain('tok-123');
    expect(built.method).toBe('GET');
    expect(built.body).toBeUndefined();
  });

  it('a missing Secret is a config error naming the header field', () => {
    const { request } = requestWith({});
    expect(() =>
      buildWebRequest(
        spec({ headers: [{ key: 'Authorization', valueFrom: { secretKeyRef: { name: 'gone', key: 'k' } } }] }),
        request,
      ),
    ).toThrow(`${field}.headers[0].valueFrom.secretKeyRef`);
  });

  it('a header value with a line break is refused naming the header, never quoting the value', () => {
    const { request } = requestWith({}, { secrets: { 'api/token': 'tok\r\nX-Evil: 1' } });
    let message = '';
    try {
      buildWebRequest(
        spec({ headers: [{ key: 'Authorization', valueFrom: { secretKeyRef: { name: 'api', key: 'token' } } }] }),
        request,
      );
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/header Authorization has a value HTTP cannot carry/);
    expect(message).not.toContain('tok');
  });

  it.each(['Host', 'content-length', 'Transfer-Encoding'])('refuses header %s, which HTTP itself sets', (key) => {
    const { request } = requestWith({});
    expect(() => buildWebRequest(spec({ headers: [{ key, value: 'x' }] }), request)).toThrow(
      `${field}.headers[0].key: ${key} is set by HTTP itself`,
    );
  });

  it('a JSON body gets arguments escaped for a JSON string: they cannot add fields', () => {
    const { request } = requestWith({ service: 'x", "admin": true, "y": "' });
    const built = buildWebRequest(spec({ method: 'POST', body: '{"service": "{{args.service}}"}' }), request);
    expect(built.headers.get('content-type')).toBe('application/json');
    expect(JSON.parse(built.body!)).toEqual({ service: 'x", "admin": true, "y": "' });
  });

  it('a body of another content type gets arguments as written', () => {
    const { request } = requestWith({ service: 'a"b' });
    const built = buildWebRequest(
      spec({
        method: 'PUT',
        body: 'service={{args.service}}',
        headers: [{ key: 'Content-Type', value: 'text/plain' }],
      }),
      request,
    );
    expect(built.body).toBe('service=a"b');
    expect(built.method).toBe('PUT');
  });

  it('a Content-Type from a Secret leaves a body JSON-escaped', () => {
    const { request } = requestWith({ service: 'x", "admin": true, "y": "' });
    request.secret = () => 'text/plain';
    const built = buildWebRequest(
      spec({
        method: 'POST',
        body: '{"service": "{{args.service}}"}',
        headers: [{ key: 'Content-Type', valueFrom: { secretKeyRef: { name: 'api', key: 'type' } } }],
      }),
      request,
    );
    expect(built.headers.get('content-type')).toBe('text/plain');
    expect(JSON.parse(built.body!)).toEqual({ service: 'x", "admin": true, "y": "' });
  });

  it('a body with GET is refused (the schema refuses it too)', () => {
    const { request } = requestWith({});
    expect(() => buildWebRequest(spec({ body: '{}' }), request)).toThrow(`${field}.body: a GET has no body`);
  });

  it('a jsonPath it cannot read is a config error naming the field', () => {
    const { request } = requestWith({});
    expect(() => buildWebRequest(spec({ jsonPath: '$..ok' }), request)).toThrow(`${field}.jsonPath: recursive descent`);
  });
});
