/**
 * What the planner needs from analysis and the freeze flag, read without waiting for anyone: the analysis runs
 * with the measurements that finished in the background folded in (and the ones now due), and the freeze flag
 * from unleash-client's in-memory copy. Nothing here does I/O, so a reconcile plans at once, whatever Prometheus,
 * Unleash or the Secrets are doing; an abort is never behind a measurement.
 */
import { activeAnalyses } from '../analysis/active.ts';
import { evaluateAnalysis, splitVerdicts, type DueMeasurement, type MeasurementState } from '../analysis/engine.ts';
import type { AnalysisRunStatus, Rollout } from '../api/types.ts';
import type { TemplateLookup } from '../api/validate.ts';
import type { FreezeReading } from '../flags/freezeGate.ts';
import type { GateVerdict } from '../planner/world.ts';

export interface GateDeps {
  templates: TemplateLookup;
  /** Where the background stands with a measurement of this Rollout. */
  measurement: (id: string) => MeasurementState;
  /** unleash-client's cached answer for a freeze flag (never a request). */
  isFrozen: (flag: string, context: { namespace: string; rollout: string }) => FreezeReading;
}

export interface GateOutcome {
  analysisRuns: AnalysisRunStatus[] | undefined;
  stepVerdicts: Map<number, GateVerdict>;
  backgroundVerdict: GateVerdict | undefined;
  freeze: { message: string } | undefined;
  /** Measurements due now: handed to the background once the plan is carried out (unless it aborts). */
  due: DueMeasurement[];
  requeueAfterMs: number | undefined;
}

/** How often a frozen rollout looks again, besides the wake-up the freeze gate sends when the flag changes. */
const frozenRecheckMs = 5_000;

export function observeGates(rollout: Rollout, now: Date, deps: GateDeps): GateOutcome {
  const out: GateOutcome = {
    analysisRuns: undefined,
    stepVerdicts: new Map(),
    backgroundVerdict: undefined,
    freeze: undefined,
    due: [],
    requeueAfterMs: undefined,
  };
  const requeue = (ms: number | undefined) => {
    if (ms !== undefined) out.requeueAfterMs = out.requeueAfterMs === undefined ? ms : Math.min(out.requeueAfterMs, ms);
  };
  const status = rollout.status;
  const inFlight =
    status?.canaryRevision !== undefined && status.canaryRevision !== status.stableRevision && status.abort !== true;

  const freezeFlag = rollout.spec.gates?.freezeFlag;
  if (freezeFlag !== undefined && inFlight) {
    const reading = deps.isFrozen(freezeFlag, {
      namespace: rollout.metadata.namespace!,
      rollout: rollout.metadata.name!,
    });
    if (reading.frozen) {
      out.freeze = { message: reading.message };
      requeue(frozenRecheckMs);
    }
  }

  const active = activeAnalyses(rollout);
  if (active.length > 0) {
    const outcome = evaluateAnalysis(
      { rollout, now, runs: status?.analysis?.runs ?? [], active },
      { templates: deps.templates, measurement: deps.measurement },
    );
    out.analysisRuns = outcome.runs;
    const split = splitVerdicts(outcome.verdicts);
    for (const [i, v] of split.stepVerdicts) out.stepVerdicts.set(i, v);
    out.backgroundVerdict = split.backgroundVerdict;
    out.due = outcome.due;
    requeue(outcome.requeueAfterMs);
  }
  return out;
}
