/**
 * Builds the web provider's request from its spec (pure: nothing is sent here). Each text gets the escaping of the
 * place its arguments land in, so that an argument is only ever data:
 * - in the URL, {{args.x}} may sit in the path or query only, never in the scheme, host or port (those are the
 *   template's to name), and is URL-encoded (encodeURIComponent): it cannot add a path segment, a query parameter,
 *   a fragment or credentials; a value of "." or ".." (which URLs read as "climb") is refused. The host is checked
 *   against the allowlist after rendering (web.ts), on the URL as it will be sent;
 * - in a JSON body, it is escaped for a JSON string, so it cannot add fields; in any other body it is as written.
 *   Which it is follows the template's Content-Type as written, before any argument is filled in: a Content-Type
 *   from an argument or a Secret (which a Rollout's namespace controls) counts as JSON, so that no value can
 *   switch off the escaping of another;
 * - in a header value, it is as written (a line break is refused by HTTP itself, naming only the header).
 * Values from Secrets (headers' valueFrom, secret arguments) are scrubbed from everything the measurement returns,
 * in the forms they take here (URL-encoded, JSON-escaped).
 */
import type { WebProvider as WebSpec } from '../api/types.ts';
import { renderText } from './args.ts';
import { AnalysisConfigError } from './errors.ts';
import { JsonPathError, parseJsonPath, type JsonPath } from './jsonPath.ts';
import type { ProviderRequest } from './provider.ts';

export interface WebRequest {
  url: URL;
  method: 'GET' | 'POST' | 'PUT';
  headers: Headers;
  body: string | undefined;
  path: JsonPath;
}

/** A template's values with each one passed through `escape`: placeholders then land already escaped. */
function escapedValues(request: ProviderRequest, escape: (value: string) => string) {
  const args = new Map([...request.args.values].map(([name, value]) => [name, escape(value)]));
  const vars = Object.fromEntries(Object.entries(request.vars).map(([name, value]) => [name, escape(value)]));
  return { args, vars };
}

function renderUrl(spec: WebSpec, request: ProviderRequest): URL {
  const field = `${request.field}.url`;
  // The scheme, host and port are the template's to name, never an argument's: a ClusterAnalysisTemplate may
  // reach any host, and its arguments come from each Rollout that uses it, so a placeholder there would let any
  // namespace pick where the admin's request goes.
  const origin = /^[^:/?#]*:\/\/[^/?#]*/.exec(spec.url)?.[0] ?? spec.url;
  if (origin.includes('{{')) {
    throw new AnalysisConfigError(
      'UnsafePlaceholder',
      field,
      `${field} has a placeholder in its scheme, host or port: write them out, and use {{args.<name>}} in the path or query only`,
    );
  }
  for (const secret of request.args.secrets) request.scrub(encodeURIComponent(secret));
  const rendered = renderText(spec.url, escapedValues(request, encodeURIComponent), field);
  let url: URL;
  try {
    url = new URL(rendered);
  } catch {
    throw new AnalysisConfigError(
      'InvalidSpec',
      field,
      `${field} is not a URL once its arguments are filled in: write it like http://checkout.shop/health?service={{args.service}}`,
    );
  }
  // encodeURIComponent leaves "." alone, and a URL parser reads a "." or ".." segment as a step up the path.
  const path = /^[a-z]+:\/\/[^/?#]*([^?#]*)/i.exec(rendered)?.[1] ?? '';
  if (path.split('/').some((segment) => /^(\.|%2e){1,2}$/i.test(segment))) {
    throw new AnalysisConfigError(
      'UnsafePlaceholder',
      field,
      `${field} has a . or .. path segment once its arguments are filled in: an argument may not move the request up the path`,
    );
  }
  return url;
}

const connectionHeaders = new Set([
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
  'expect',
]);

const jsonType = /^[^;]*[/+]json\s*(;|$)/i;

function renderHeaders(spec: WebSpec, request: ProviderRequest): Headers {
  const headers = new Headers({ Accept: 'application/json', 'User-Agent': 'sluice' });
  if (spec.body !== undefined) headers.set('Content-Type', 'application/json');
  (spec.headers ?? []).forEach((h, i) => {
    const field = `${request.field}.headers[${i}]`;
    if (connectionHeaders.has(h.key.toLowerCase())) {
      // HTTP itself sets these: fetch drops Host silently (so it could not pick another virtual host of an
      // allowed address anyway) and fails on some of the others with a message that reads like a network fault.
      throw new AnalysisConfigError(
        'InvalidSpec',
        `${field}.key`,
        `${field}.key: ${h.key} is set by HTTP itself, not by a template: remove the header`,
      );
    }
    const ref = h.valueFrom?.secretKeyRef;
    const value =
      ref !== undefined
        ? request.secret(ref, `${field}.valueFrom.secretKeyRef`)
        : renderText(h.value ?? '', { args: request.args.values, vars: request.vars }, `${field}.value`);
    try {
      headers.set(h.key, value);
    } catch {
      // The error would quote the value, which may come from a Secret: name the header only.
      throw new AnalysisConfigError(
        'InvalidSpec',
        field,
        `${field}: header ${h.key} has a value HTTP cannot carry (a line break or control character)`,
      );
    }
  });
  return headers;
}

/**
 * Whether the body is JSON, read from the template alone: its last Content-Type header (as Headers keeps it), or
 * application/json when it sets none. A value written out decides; one an argument or a Secret fills in cannot.
 */
function templateSaysRawBody(spec: WebSpec): boolean {
  const contentType = (spec.headers ?? []).filter((h) => h.key.toLowerCase() === 'content-type').at(-1);
  if (contentType === undefined) return false;
  if (contentType.valueFrom !== undefined || (contentType.value ?? '').includes('{{')) return false;
  return !jsonType.test(contentType.value ?? '');
}

function renderBody(spec: WebSpec, request: ProviderRequest): string | undefined {
  if (spec.body === undefined) return undefined;
  const field = `${request.field}.body`;
  const method = spec.method ?? 'GET';
  if (method === 'GET')
    throw new AnalysisConfigError('InvalidSpec', field, `${field}: a GET has no body: set method to POST or PUT`);
  if (templateSaysRawBody(spec)) return renderText(spec.body, { args: request.args.values, vars: request.vars }, field);
  const jsonString = (value: string) => JSON.stringify(value).slice(1, -1);
  return renderText(spec.body, escapedValues(request, jsonString), field);
}

/** Reads the spec's jsonPath, or throws an AnalysisConfigError naming the field and what is wrong. */
export function readJsonPath(written: string, field: string): JsonPath {
  try {
    return parseJsonPath(written);
  } catch (err) {
    if (err instanceof JsonPathError) throw new AnalysisConfigError('InvalidSpec', field, `${field}: ${err.message}`);
    throw err;
  }
}

/** The request one measurement sends. Throws AnalysisConfigError (naming the field) for a spec it cannot carry out. */
export function buildWebRequest(spec: WebSpec, request: ProviderRequest): WebRequest {
  const path = readJsonPath(spec.jsonPath, `${request.field}.jsonPath`);
  const url = renderUrl(spec, request);
  const headers = renderHeaders(spec, request);
  const body = renderBody(spec, request);
  return { url, method: spec.method ?? 'GET', headers, body, path };
}
