/**
 * The steps the planner cannot decide alone, evaluated before it plans: analysis measurements (Prometheus),
 * setFlag steps and the freeze flag (Unleash). Their verdicts, and what status must remember of them (runs,
 * touched flags), go into the ObservedWorld; the planner stays pure.
 */
import { activeAnalyses } from '../analysis/active.ts';
import type { ReadSecret } from '../analysis/args.ts';
import { evaluateAnalysis, splitVerdicts } from '../analysis/engine.ts';
import type { PrometheusApi } from '../analysis/prometheus.ts';
import { resolveSteps } from '../api/steps.ts';
import type { AnalysisRunStatus, Rollout, TouchedFlag } from '../api/types.ts';
import type { SpecError, TemplateLookup } from '../api/validate.ts';
import { runSetFlagStep } from '../flags/flagSteps.ts';
import type { UnleashConnection } from '../flags/unleashConnection.ts';
import type { GateVerdict } from '../planner/world.ts';

export interface GateDeps {
  templates: TemplateLookup;
  readSecret: ReadSecret;
  prometheus: PrometheusApi;
  unleash: UnleashConnection;
}

export interface GateOutcome {
  analysisRuns: AnalysisRunStatus[] | undefined;
  flags: TouchedFlag[] | undefined;
  stepVerdicts: Map<number, GateVerdict>;
  backgroundVerdict: GateVerdict | undefined;
  freeze: { message: string } | undefined;
  specErrors: SpecError[];
  requeueAfterMs: number | undefined;
}

/** How often a frozen rollout looks again, besides the wake-up the freeze gate sends when the flag changes. */
const frozenRecheckMs = 5_000;

export async function evaluateGates(rollout: Rollout, now: Date, deps: GateDeps): Promise<GateOutcome> {
  const out: GateOutcome = { analysisRuns: undefined, flags: undefined, stepVerdicts: new Map(), backgroundVerdict: undefined, freeze: undefined, specErrors: [], requeueAfterMs: undefined };
  const requeue = (ms: number | undefined) => {
    if (ms !== undefined) out.requeueAfterMs = out.requeueAfterMs === undefined ? ms : Math.min(out.requeueAfterMs, ms);
  };
  const status = rollout.status;
  const inFlight = status?.canaryRevision !== undefined && status.canaryRevision !== status.stableRevision && status.abort !== true;

  const freezeFlag = rollout.spec.gates?.freezeFlag;
  if (freezeFlag !== undefined && inFlight) {
    const reading = deps.unleash.isFrozen(freezeFlag, { namespace: rollout.metadata.namespace!, rollout: rollout.metadata.name! });
    if (reading.frozen) {
      out.freeze = { message: reading.message };
      requeue(frozenRecheckMs);
    }
  }

  const active = activeAnalyses(rollout);
  if (active.length > 0) {
    const outcome = await evaluateAnalysis({ rollout, now, runs: status?.analysis?.runs ?? [], active }, { templates: deps.templates, readSecret: deps.readSecret, provider: deps.prometheus });
    out.analysisRuns = outcome.runs;
    const split = splitVerdicts(outcome.verdicts);
    for (const [i, v] of split.stepVerdicts) out.stepVerdicts.set(i, v);
    out.backgroundVerdict = split.backgroundVerdict;
    requeue(outcome.requeueAfterMs);
  }

  if (inFlight && out.freeze === undefined) {
    const index = status.currentStepIndex ?? 0;
    let step;
    try {
      step = resolveSteps(rollout.spec)[index];
    } catch {
      step = undefined; // the planner reports an unreadable spec
    }
    if (step?.kind === 'setFlag') {
      const admin = deps.unleash.admin();
      if (!admin.ok) {
        out.specErrors.push({ field: `${step.field}.setFlag`, message: admin.message, code: 'InvalidStep' });
      } else {
        const result = await runSetFlagStep(step, status.flags ?? [], admin.value, deps.unleash.defaultEnvironment);
        out.flags = result.flags;
        if (result.verdict.kind === 'invalid') {
          out.specErrors.push({ field: result.verdict.field, message: result.verdict.message, code: 'InvalidStep' });
        } else {
          out.stepVerdicts.set(index, result.verdict);
        }
        requeue('requeueAfterMs' in result.verdict ? result.verdict.requeueAfterMs : undefined);
      }
    }
  }
  return out;
}
