/**
 * The Prometheus metric provider: renders the metric's PromQL (arguments escaped for PromQL strings, {{track}} for
 * compare), adds its headers and authentication, and asks the process's Prometheus client for an instant query, or
 * a range query over range.lookback ending when the measurement started. What the answer means is the engine's.
 */
import { prometheusProvider } from '../api/analysis.schema.ts';
import { parseDuration } from '../api/duration.ts';
import type { PrometheusProvider as PrometheusSpec } from '../api/types.ts';
import { renderQuery, renderText } from './args.ts';
import type { PrometheusApi } from './prometheus.ts';
import type { MetricProvider, ProviderRequest } from './provider.ts';

const defaultTimeout = (prometheusProvider.properties.timeout as unknown as { default: string }).default;

/** The HTTP headers of the queries: the metric's headers (plain or from Secrets) and its authentication. */
function requestHeaders(prom: PrometheusSpec, request: ProviderRequest): Record<string, string> {
  const headers: Record<string, string> = {};
  const base = request.field;
  (prom.headers ?? []).forEach((h, i) => {
    const field = `${base}.headers[${i}]`;
    const ref = h.valueFrom?.secretKeyRef;
    headers[h.name] =
      ref !== undefined
        ? request.secret(ref, `${field}.valueFrom.secretKeyRef`)
        : renderText(h.value ?? '', { args: request.args.values }, `${field}.value`);
  });
  const auth = prom.authentication;
  if (auth?.bearerToken !== undefined) {
    const token = request.secret(auth.bearerToken.secretKeyRef, `${base}.authentication.bearerToken.secretKeyRef`);
    headers.Authorization = `Bearer ${token}`;
  } else if (auth?.basicAuth !== undefined) {
    const password = request.secret(
      auth.basicAuth.password.secretKeyRef,
      `${base}.authentication.basicAuth.password.secretKeyRef`,
    );
    const encoded = Buffer.from(`${auth.basicAuth.username}:${password}`).toString('base64');
    request.scrub(encoded);
    headers.Authorization = `Basic ${encoded}`;
  }
  return headers;
}

export function prometheusMetricProvider(client: PrometheusApi): MetricProvider<'prometheus'> {
  return {
    key: 'prometheus',
    timeoutMs: (spec, field) => parseDuration(spec.timeout ?? defaultTimeout, field),
    measure(spec, request) {
      const base = request.field;
      const timeoutMs = parseDuration(spec.timeout ?? defaultTimeout, `${base}.timeout`);
      const headers = requestHeaders(spec, request);
      const promql = renderQuery(spec.query, request.args, request.vars, `${base}.query`);
      const scope = {
        timeoutMs,
        headers,
        trusted: request.trusted,
        tenant: request.namespace,
        secrets: request.args.secrets,
      };
      if (spec.range === undefined) return client.query(spec.address, promql, scope);
      const lookbackMs = parseDuration(spec.range.lookback, `${base}.range.lookback`);
      const stepMs = parseDuration(spec.range.step, `${base}.range.step`);
      const start = new Date(request.startedAt.getTime() - lookbackMs);
      return client.queryRange(spec.address, promql, { ...scope, start, end: request.startedAt, stepMs });
    },
  };
}
