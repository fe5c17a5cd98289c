/**
 * The span of one measurement taken in the background. Its own trace, linked to the reconcile that asked for it
 * rather than a child of it: the measurement runs for up to its timeout after that reconcile ended, and its result
 * is read by a later reconcile, so as a child it would stretch a reconcile's trace over work the reconcile never
 * waited for. The provider's calls (the Prometheus query) are children of this span.
 *
 * The query recorded is the template's, before its arguments are filled in: an argument may come from a Secret.
 */
import type { Measurement, Rollout } from '../api/types.ts';
import { nonRecordingSpan, type Attributes, type Span } from '../trace/span.ts';
import { inSpan, type Tracer } from '../trace/tracer.ts';
import type { DueMeasurement } from './engine.ts';
import type { PromResult } from './prometheusAnswer.ts';

export async function traceMeasurement(
  tracer: Tracer,
  scheduledBy: Span | undefined,
  due: DueMeasurement,
  rollout: Rollout,
  measure: () => Promise<Measurement>,
): Promise<Measurement> {
  if (!tracer.enabled) return measure();
  const [provider, spec] = Object.entries(due.metric.provider as Record<string, unknown>)[0] ?? [];
  const query = (spec as { query?: unknown } | undefined)?.query;
  return inSpan(
    tracer,
    'sluice.measure',
    {
      links: scheduledBy === undefined ? [] : [scheduledBy],
      attributes: {
        'sluice.rollout.namespace': rollout.metadata.namespace,
        'sluice.rollout.name': rollout.metadata.name,
        'sluice.analysis.run': due.run.name,
        'sluice.analysis.revision': due.run.revision,
        'sluice.analysis.template': due.template,
        'sluice.analysis.metric': due.metric.name,
        'sluice.analysis.provider': provider,
        'sluice.analysis.query': typeof query === 'string' ? query : undefined,
      },
    },
    measure,
    (span, measurement) => {
      span.setAttributes({
        'sluice.measurement.phase': measurement.phase,
        'sluice.measurement.value': measurement.value,
      });
      if (measurement.phase === 'Error') span.fail(measurement.message ?? 'the provider could not measure');
    },
  );
}

/** The status message of a provider call's span that failed: the why, masked, is on the measurement's span. */
export const providerCallFailed = "failed: the measurement's span says why";

/**
 * A child span of the measurement's for one Prometheus API call: which server and endpoint, and the kind of answer
 * (or the error that status would show). Not the filled-in query, nor the template's headers: both may hold a
 * Secret's value.
 */
export async function tracePrometheusCall(
  tracer: Tracer,
  address: string,
  path: string,
  send: () => Promise<PromResult>,
): Promise<PromResult> {
  const parent = tracer.currentSpan();
  if (parent === undefined) return send();
  let server: string | undefined;
  try {
    server = new URL(address).host; // the host and port only: never userinfo
  } catch {
    // the call itself reports an address it cannot use
  }
  const span = tracer.startSpan(`prometheus ${path}`, {
    kind: 'client',
    parent,
    attributes: { 'server.address': server, 'url.path': `/${path}`, 'http.request.method': 'POST' },
  });
  try {
    const result = await send();
    span.setAttribute('sluice.prometheus.result', result.kind);
    // Not the result's message: a bad_data answer keeps Prometheus's words, which quote the filled-in query and so
    // any Secret's value in it. The measurement's span gets that message once measure.ts has masked the Secrets.
    if (result.kind === 'error') span.fail(providerCallFailed);
    else span.succeed();
    return result;
  } finally {
    span.end();
  }
}

/**
 * A client span under the current measurement's for one outbound call of a provider (the web request, the InfluxDB
 * query, a Job's create, wait or delete). `failed` says whether the result is a failure. Its status message is never
 * the call's error text: an endpoint may quote back what it was sent, Secrets included; the measurement's span has
 * the message once measure.ts has masked them. Outside a measurement's span (tracing off), `run` runs as it is.
 */
export async function traceProviderCall<T>(
  tracer: Tracer,
  name: string,
  attributes: Attributes,
  run: (span: Span) => Promise<T>,
  failed: (result: T) => boolean,
): Promise<T> {
  const parent = tracer.currentSpan();
  if (parent === undefined) return run(nonRecordingSpan);
  const span = tracer.startSpan(name, { kind: 'client', parent, attributes });
  try {
    // Current while it runs: the Kubernetes writes a Job's create and delete send are its children.
    const result = await tracer.withSpan(span, () => run(span));
    if (failed(result)) span.fail(providerCallFailed);
    else span.succeed();
    return result;
  } catch (err) {
    span.fail(providerCallFailed);
    throw err;
  } finally {
    span.end();
  }
}

/** The path of a URL template as written, placeholders and all: never the filled-in one, nor the query string. */
export function templatePath(template: string): string {
  const rest = template.replace(/^[^:/?#]*:\/\/[^/?#]*/, '');
  const path = rest.replace(/[?#].*$/s, '');
  return path === '' ? '/' : path;
}

/** Whether a provider's answer is an error: its call's span then says it failed. */
export const isError = (answer: { kind: string }): boolean => answer.kind === 'error';
