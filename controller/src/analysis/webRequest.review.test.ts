/**
 * Hostile review of how the web provider builds its request (webRequest.ts), as a tenant passing arguments to a
 * ClusterAnalysisTemplate (whose arguments come from every Rollout that uses it) would attack it.
 */
import { describe, expect, it } from 'vitest';
import type { WebProvider } from '../api/types.ts';
import type { ProviderRequest } from './provider.ts';
import { buildWebRequest } from './webRequest.ts';

function requestWith(args: Record<string, string>): ProviderRequest {
  return {
    namespace: 'shop',
    rollout: { name: 'checkout', uid: undefined },
    measurementId: 'm-1',
    field: 'ClusterAnalysisTemplate health metrics[ok].provider.web',
    startedAt: new Date(0),
    trusted: true,
    args: { values: new Map(Object.entries(args)), secrets: [] },
    vars: {},
    secret: () => '',
    scrub: () => undefined,
    signal: new AbortController().signal,
  };
}

describe('review: an argument cannot switch off the escaping of another', () => {
  // review: whether body arguments are JSON-escaped is decided on the Content-Type header *after* its arguments
  // are filled in (webRequest.ts renderBody reads headers.get('Content-Type') of the rendered headers). In a
  // ClusterAnalysisTemplate with `Content-Type: {{args.contentType}}` (to let teams pick application/json or a
  // vendor +json type), a tenant passes contentType=text/plain and then service='x", "admin": true, "y": "', and
  // the admin's JSON body gains an "admin" field: the documented promise "escaped for a JSON string, so it cannot
  // add fields" is broken by a second argument. The escaping should follow the template as written (or a
  // placeholder in Content-Type should be refused). Severity: low-medium (needs that template shape).
  it('a Content-Type from an argument does not turn a JSON body into raw text', () => {
    const built = buildWebRequest(
      {
        url: 'http://health.platform:8080/check',
        method: 'POST',
        jsonPath: '{$.ok}',
        headers: [{ key: 'Content-Type', value: '{{args.contentType}}' }],
        body: '{"service": "{{args.service}}"}',
      } satisfies WebProvider,
      requestWith({ contentType: 'text/plain', service: 'x", "admin": true, "y": "' }),
    );
    let parsed: unknown;
    try {
      parsed = JSON.parse(built.body ?? '');
    } catch {
      parsed = undefined; // not JSON at all is also not an injected field
    }
    expect(parsed).not.toHaveProperty('admin');
  });
});
