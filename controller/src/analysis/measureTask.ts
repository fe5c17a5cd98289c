/**
 * Takes one due measurement in the background: reads the Secrets it needs (only this template's, only now that it
 * is due), resolves the template's arguments and measures. Never throws: a Secret it may not read (403), a
 * missing argument or an unreachable provider is an Error measurement whose message says what to do, so an
 * analysis that needs a Secret never blocks a reconcile, let alone an abort.
 */
import type { Measurement, Rollout } from '../api/types.ts';
import { resolveArgs, type ReadSecret, type ResolvedArgs } from './args.ts';
import type { DueMeasurement } from './engine.ts';
import { AnalysisConfigError, truncate } from './errors.ts';
import { takeMeasurement } from './measure.ts';
import type { ProviderSet } from './provider.ts';
import type { Span } from '../trace/span.ts';
import { noopTracer, type Tracer } from '../trace/tracer.ts';
import { traceMeasurement } from './measureSpan.ts';

export interface MeasureTaskDeps {
  providers: ProviderSet;
  /** Reads the named Secrets of a namespace (missing ones read as undefined); may reject (403, 5xx). */
  readSecrets: (namespace: string, refs: readonly { name: string; key: string }[]) => Promise<ReadSecret>;
  clock: () => Date;
  /** Each measurement is a span of its own trace (measureSpan.ts); off when omitted. */
  tracer?: Tracer;
}

/** Every {secretKeyRef: {name, key}} anywhere in the given values. */
export function secretRefs(specs: readonly unknown[]): { name: string; key: string }[] {
  const found: { name: string; key: string }[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (v === null || typeof v !== 'object') return;
    const ref = (v as { secretKeyRef?: { name?: unknown; key?: unknown } }).secretKeyRef;
    if (typeof ref?.name === 'string' && typeof ref.key === 'string') found.push({ name: ref.name, key: ref.key });
    Object.values(v).forEach(walk);
  };
  specs.forEach(walk);
  return found;
}

/** `scheduledBy`: the reconcile that asked for it, which its span links to. */
export function measureInBackground(
  due: DueMeasurement,
  rollout: Rollout,
  deps: MeasureTaskDeps,
  scheduledBy?: Span,
): Promise<Measurement> {
  return traceMeasurement(deps.tracer ?? noopTracer, scheduledBy, due, rollout, () => measure(due, rollout, deps));
}

async function measure(due: DueMeasurement, rollout: Rollout, deps: MeasureTaskDeps): Promise<Measurement> {
  const namespace = rollout.metadata.namespace ?? 'default';
  const startedAt = deps.clock();
  let args: ResolvedArgs | AnalysisConfigError;
  let readSecret: ReadSecret = () => undefined;
  try {
    // Not a Job's pod spec: its pods read their Secrets themselves, and Sluice need not be allowed to.
    const { job: _podsReadTheirOwn, ...others } = due.metric.provider;
    readSecret = await deps.readSecrets(namespace, secretRefs([due.templateArgs, others]));
    args = resolveArgs(due.templateArgs, due.passedArgs, {
      rollout,
      readSecret,
      template: due.template,
      argsField: due.argsField,
    });
  } catch (err) {
    // Whatever went wrong (a Secret Sluice may not read, an API error), it is this measurement's Error.
    const text = err instanceof Error ? err.message : String(err);
    args =
      err instanceof AnalysisConfigError
        ? err
        : new AnalysisConfigError('InvalidSpec', due.template, truncate(`${due.template}: ${text}`, 900));
  }
  return takeMeasurement(
    // A ClusterAnalysisTemplate is a cluster admin's: it may query any host; a namespaced one only allowed hosts.
    {
      metric: due.metric,
      args,
      namespace,
      field: due.field,
      startedAt,
      trusted: due.clusterScope,
      rollout: { name: rollout.metadata.name ?? '', uid: rollout.metadata.uid },
      measurementId: due.id,
    },
    { providers: deps.providers, readSecret, clock: deps.clock },
  );
}

/** The Error measurement of one that did not finish in time (or failed in a way nothing else caught). */
export function failedMeasurement(why: string, at: Date): Measurement {
  return {
    phase: 'Error',
    message: truncate(`the measurement did not finish: ${why}`, 1024),
    startedAt: at.toISOString(),
    finishedAt: at.toISOString(),
  };
}
