/**
 * Turns the trace settings into a tracer: the no-op tracer when no endpoint is set, else a recording tracer whose
 * spans go through a BatchSpanProcessor to an OTLP/HTTP JSON exporter. runController.ts calls this once at start and
 * shutdown() on SIGTERM, after the work queue has drained, so that the last reconciles' spans are sent.
 */
import type { Registry } from 'prom-client';
import type { Logger } from 'pino';
import type { ControllerConfig } from '../config.ts';
import { sampleRatio } from '../traceSettings.ts';
import { BatchSpanProcessor, type BatchOptions } from './batchProcessor.ts';
import { OtlpHttpJsonExporter } from './otlpExporter.ts';
import type { AttributeValue } from './span.ts';
import { traceMetrics } from './traceMetrics.ts';
import { noopTracer, RecordingTracer, type Tracer } from './tracer.ts';

export interface Tracing {
  tracer: Tracer;
  /** Sends what is queued, within `timeoutMs`. */
  shutdown(timeoutMs: number): Promise<void>;
}

export type TraceConfig = Pick<
  ControllerConfig,
  | 'otlpEndpoint'
  | 'otlpTracesEndpoint'
  | 'otlpHeaders'
  | 'tracesSampler'
  | 'tracesSamplerArg'
  | 'tracesQueueSize'
  | 'tracesExportDelay'
>;

/** Who is sending: OpenTelemetry's semantic conventions for a service in a pod. */
export interface TraceResource {
  version: string;
  /** This replica's identity (the Lease's): service.instance.id, and k8s.pod.name when it is the pod's name. */
  instance: string;
  podName?: string | undefined;
  podNamespace?: string | undefined;
}

/** The URL spans are POSTed to: the traces endpoint as it is, or the general one with /v1/traces (the spec's rule). */
export function tracesUrl(config: Pick<TraceConfig, 'otlpEndpoint' | 'otlpTracesEndpoint'>): string | undefined {
  if (config.otlpTracesEndpoint !== undefined) return config.otlpTracesEndpoint;
  if (config.otlpEndpoint === undefined) return undefined;
  const url = new URL(config.otlpEndpoint);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/v1/traces`;
  return url.toString();
}

export function startTracing(
  config: TraceConfig,
  resource: TraceResource,
  deps: { registry: Registry; log: Logger; batch?: Partial<BatchOptions> },
): Tracing {
  const url = tracesUrl(config);
  const ratio = sampleRatio(config.tracesSampler, config.tracesSamplerArg);
  if (url === undefined || ratio === 0) return { tracer: noopTracer, shutdown: () => Promise.resolve() };
  const attributes: Record<string, AttributeValue> = {
    'service.name': 'sluice-controller',
    'service.version': resource.version,
    'service.instance.id': resource.instance,
  };
  if (resource.podName !== undefined) attributes['k8s.pod.name'] = resource.podName;
  if (resource.podNamespace !== undefined) attributes['k8s.namespace.name'] = resource.podNamespace;
  const exporter = new OtlpHttpJsonExporter({
    url,
    headers: config.otlpHeaders,
    source: { resource: attributes, scope: { name: 'sluice', version: resource.version } },
  });
  // Origin and path only: a query string may carry a key, as the headers do.
  const where = new URL(url);
  const target = `${where.origin}${where.pathname}`;
  // The queue gauge is read at scrape time, by when the processor exists.
  const counters = traceMetrics(deps.registry, () => processor.queued);
  const batch = { maxQueueSize: config.tracesQueueSize, scheduledDelayMs: config.tracesExportDelay, ...deps.batch };
  const processor = new BatchSpanProcessor(exporter, counters, batch, {
    onExportStateChange: (outcome) => {
      if (outcome.ok) deps.log.info({ target }, 'trace export works again');
      else deps.log.warn({ target, why: outcome.reason }, 'trace export failed; spans are dropped while it does');
    },
  });
  deps.log.info({ target, sampleRatio: ratio, headers: Object.keys(config.otlpHeaders) }, 'tracing on');
  return {
    tracer: new RecordingTracer({ onEnd: processor.onEnd, sampleRatio: ratio }),
    shutdown: (timeoutMs) => processor.shutdown(timeoutMs),
  };
}
