/**
 * Checks of a Rollout that the API server cannot make because they need other objects, or did not make because the
 * object is older than the rule (names Sluice derives from the Rollout's). Do the referenced
 * AnalysisTemplates exist, does each analysis pass the arguments its templates require, do two templates of one
 * analysis define the same metric. The controller turns the errors into the InvalidSpec condition and touches
 * nothing else; each error names the field and says what to do.
 */
import { DurationError } from './duration.ts';
import { analysesOf, StepError, stepsField, type ResolvedAnalysis, type ResolvedTemplateRef } from './steps.ts';
import type { AnalysisTemplateSpec, Rollout } from './types.ts';
import { maxNameWithService, maxNameWithWorkload, nameWithServicePattern } from '../workload/names.ts';

export type SpecErrorCode = 'TemplateNotFound' | 'MissingArg' | 'UnknownArg' | 'DuplicateMetric' | 'InvalidStep' | 'InvalidName';

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
 * The API server refuses these names (resources.ts), but only for Rollouts created or renamed since the rules came:
 * an older one would fail every create of its ReplicaSets or Services, with nothing in its status to say why.
 */
function nameErrors(rollout: Rollout): SpecError[] {
  const name = rollout.metadata.name ?? '';
  if (rollout.spec.service !== undefined && !new RegExp(nameWithServicePattern).test(name)) {
    return [{
      field: 'metadata.name', code: 'InvalidName',
      message: `a Rollout with spec.service needs a name of at most ${maxNameWithService} lowercase letters, digits or dashes, starting with a letter, ` +
        `since Sluice names its Services <name>-stable and <name>-canary: recreate it under a shorter name`,
    }];
  }
  if (rollout.spec.workloadRef !== undefined && name.length > maxNameWithWorkload) {
    return [{
      field: 'metadata.name', code: 'InvalidName',
      message: `a Rollout with spec.workloadRef needs a name of at most ${maxNameWithWorkload} characters (this one has ${name.length}), ` +
        `since Sluice labels its ReplicaSets and pods sluice.dev/rollout=<name>: recreate it under a shorter name`,
    }];
  }
  return [];
}

/**
 * Returns every problem with the Rollout that only the controller can see (empty when there is none). A step that
 * cannot be read (which the API server should have refused) is reported as InvalidStep rather than thrown.
 */
export function validateRollout(rollout: Rollout, lookup: TemplateLookup): SpecError[] {
  const names = nameErrors(rollout);
  if (names.length > 0) return names;
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
