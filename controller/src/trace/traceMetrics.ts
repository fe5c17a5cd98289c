/**
 * What became of the spans Sluice made, on the controller's one registry: exported, dropped (the queue was full,
 * usually because the collector is away) or failed (sent and refused or lost). Registered only when tracing is on,
 * so that a controller without an endpoint exports no series about traces it does not make.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { SpanCounters } from './batchProcessor.ts';

export function traceMetrics(registry: Registry, queued: () => number): SpanCounters {
  const spans = new Counter({
    name: 'sluice_trace_spans_total',
    help: 'Spans by what became of them: exported (accepted by the collector), dropped (never sent: the queue was full or the controller stopping) or failed (sent, then refused or lost).',
    labelNames: ['result'] as const,
    registers: [registry],
  });
  for (const result of ['exported', 'dropped', 'failed']) spans.inc({ result }, 0);
  new Gauge({
    name: 'sluice_trace_queue_spans',
    help: 'Spans waiting to be exported (bounded: past the bound they are dropped).',
    registers: [registry],
    collect() {
      this.set(queued());
    },
  });
  return {
    exported: (count) => spans.inc({ result: 'exported' }, count),
    dropped: (count) => spans.inc({ result: 'dropped' }, count),
    failed: (count) => spans.inc({ result: 'failed' }, count),
  };
}
