/**
 * Spans of the Unleash work done in the background: one per flag operation (read, set, restore, disable), in a trace
 * of its own linked to the reconcile that planned it (as a measurement's is: analysis/measureSpan.ts says why), with
 * a child span per Admin API request. The token is a header of the request and appears in no span.
 */
import type { Span } from '../trace/span.ts';
import { inSpan, type Tracer } from '../trace/tracer.ts';
import type { FlagRef } from './flagEnvironment.ts';
import type { FlagOperation } from './flagSteps.ts';
import type { HttpOutcome } from './http.ts';
import type { AdminResult } from './unleashAdmin.ts';

export interface FlagTrace {
  tracer: Tracer;
  /** The reconcile that planned the operation. */
  scheduledBy: Span | undefined;
}

export async function traceFlagOperation(
  trace: FlagTrace | undefined,
  op: FlagOperation,
  run: () => Promise<AdminResult>,
): Promise<AdminResult> {
  if (trace === undefined || !trace.tracer.enabled) return run();
  const { tracer, scheduledBy } = trace;
  return inSpan(
    tracer,
    `sluice.flag.${op.kind}`,
    {
      links: scheduledBy === undefined ? [] : [scheduledBy],
      attributes: {
        ...flagAttributes(op.flag),
        'sluice.flag.operation': op.kind,
        'sluice.flag.percent': op.kind === 'set' ? op.percent : undefined,
      },
    },
    run,
    (span, result) => {
      if (result.ok) return;
      span.setAttribute('sluice.flag.failure', result.kind);
      span.fail(result.message);
    },
  );
}

/** A child span of the operation's for one Admin API request, from the fence check to the answer. */
export async function traceAdminRequest(
  tracer: Tracer,
  flag: FlagRef,
  method: string,
  url: string,
  send: () => Promise<HttpOutcome>,
): Promise<HttpOutcome> {
  const parent = tracer.currentSpan();
  if (parent === undefined) return send();
  const where = new URL(url);
  const span = tracer.startSpan(`unleash ${method}`, {
    kind: 'client',
    parent,
    attributes: {
      ...flagAttributes(flag),
      'http.request.method': method,
      'server.address': where.host,
      'url.path': where.pathname,
    },
  });
  try {
    const outcome = await send();
    if (outcome.answered) {
      span.setAttribute('http.response.status_code', outcome.answer.status);
      if (outcome.answer.status >= 200 && outcome.answer.status < 300) span.succeed();
      else span.fail(`HTTP ${outcome.answer.status}`);
    } else span.fail(outcome.reason);
    return outcome;
  } catch (err) {
    span.fail(err); // the fence: this replica stopped leading, nothing was sent
    throw err;
  } finally {
    span.end();
  }
}

function flagAttributes(flag: FlagRef) {
  return {
    'sluice.flag.name': flag.name,
    'sluice.flag.project': flag.project,
    'sluice.flag.environment': flag.environment,
  };
}
