/**
 * Checks of a Rollout that the API server cannot make because they need other objects: do the referenced
 * AnalysisTemplates exist, does each analysis pass the arguments its templates require, do two templates of one
 * analysis define the same metric. The controller turns the errors into the InvalidSpec condition and touches
 * nothing else; each error names the field and says what to do.
 */
import { DurationError } from './duration.ts';
import { analysesOf, StepError, stepsField, type ResolvedAnalysis, type ResolvedTemplateRef } from './steps.ts';
import type { AnalysisTemplateSpec, Rollout } from './types.ts';

export type SpecErrorCode = 'TemplateNotFound' | 'MissingArg' | 'UnknownArg' | 'DuplicateMetric' | 'InvalidStep';

export interface SpecError {
  /** Path of the offending field, e.g. spec.strategy.canary.steps[2].analysis.templates[0].templateName. */
  field: string;
  /** What is wrong and what to do about it. */
  message: string;
  code: SpecErrorCode;
}

/** Finds templates in the controller's cache; undefined means there is no such template. */
export interface TemplateLookup {
  analysisTemplate(namespace: string, name: string): AnalysisTemplateSpec | undefined;
  clusterAnalysisTemplate(name: string): AnalysisTemplateSpec | undefined;
}

interface FoundTemplate {
  /** How messages name it: "AnalysisTemplate shop/error-rate" or "ClusterAnalysisTemplate error-rate". */
  label: string;
  field: string;
  spec: AnalysisTemplateSpec;
}

function templateLabel(ref: ResolvedTemplateRef, namespace: string): string {
  return ref.clusterScope ? `ClusterAnalysisTemplate ${ref.templateName}` : `AnalysisTemplate ${namespace}/${ref.templateName}`;
}

function lookUp(ref: ResolvedTemplateRef, namespace: string, lookup: TemplateLookup): AnalysisTemplateSpec | undefined {
  return ref.clusterScope ? lookup.clusterAnalysisTemplate(ref.templateName) : lookup.analysisTemplate(namespace, ref.templateName);
}

function validateAnalysis(analysis: ResolvedAnalysis, namespace: string, lookup: TemplateLookup): SpecError[] {
  const errors: SpecError[] = [];
  const found: FoundTemplate[] = [];
  analysis.templates.forEach((ref, i) => {
    const field = `${analysis.field}.templates[${i}].templateName`;
    const label = templateLabel(ref, namespace);
    const spec = lookUp(ref, namespace, lookup);
    if (spec === undefined) {
      const hint = ref.clusterScope ? ', or drop clusterScope to use an AnalysisTemplate in the namespace' : ', or set clusterScope: true for a ClusterAnalysisTemplate';
      errors.push({ field, code: 'TemplateNotFound', message: `${label} not found: create it or fix the name${hint}` });
    } else {
      found.push({ label, field, spec });
    }
  });

  const passed = new Set(analysis.args.map((a) => a.name));
  for (const t of found) {
    for (const arg of t.spec.args ?? []) {
      if (arg.value !== undefined || arg.valueFrom !== undefined || passed.has(arg.name)) continue;
      errors.push({
        field: `${analysis.field}.args`,
        code: 'MissingArg',
        message: `${t.label} needs argument "${arg.name}": add {name: ${arg.name}, value: ...} to args`,
      });
    }
  }

  // An argument no template declares is almost always a typo; only say so when every template could be read.
  if (found.length === analysis.templates.length) {
    const declared = new Set(found.flatMap((t) => (t.spec.args ?? []).map((a) => a.name)));
    analysis.args.forEach((arg, j) => {
      if (declared.has(arg.name)) return;
      const known = declared.size === 0 ? 'they declare none' : `they declare ${[...declared].join(', ')}`;
      errors.push({
        field: `${analysis.field}.args[${j}].name`,
        code: 'UnknownArg',
        message: `no template of this analysis declares argument "${arg.name}" (${known}): fix the name or remove it`,
      });
    });
  }

  // Results are recorded per metric name, so two templates of one analysis must not share one.
  const owner = new Map<string, FoundTemplate>();
  for (const t of found) {
    for (const m of t.spec.metrics) {
      const first = owner.get(m.name);
      if (first === undefined) owner.set(m.name, t);
      else if (first !== t) {
        errors.push({
          field: t.field,
          code: 'DuplicateMetric',
          message: `metric "${m.name}" is defined by both ${first.label} and ${t.label}: rename it in one of them, or split them into two analysis steps`,
        });
      }
    }
  }
  return errors;
}

/**
 * Returns every problem with the Rollout that only the controller can see (empty when there is none). A step that
 * cannot be read (which the API server should have refused) is reported as InvalidStep rather than thrown.
 */
export function validateRollout(rollout: Rollout, lookup: TemplateLookup): SpecError[] {
  const namespace = rollout.metadata.namespace ?? 'default';
  let analyses: ResolvedAnalysis[];
  try {
    analyses = analysesOf(rollout.spec);
  } catch (err) {
    if (err instanceof StepError || err instanceof DurationError) {
      return [{ field: err.field ?? stepsField, code: 'InvalidStep', message: err.problem }];
    }
    throw err;
  }
  return analyses.flatMap((analysis) => validateAnalysis(analysis, namespace, lookup));
}
