/**
 * Checks of a Rollout that the API server cannot make because they need other objects, or did not make because the
 * object is older than the rule (names Sluice derives from the Rollout's). Do the referenced
 * AnalysisTemplates exist, does each analysis pass the arguments its templates require, do two templates of one
 * analysis define the same metric. The controller turns the errors into the InvalidSpec condition and touches
 * nothing else; each error names the field and says what to do.
 *
 * It also repeats the bounds the CRD's CEL rules set (a pause of at most 720h, a query timeout of at most 60s...)
 * for objects written before those rules existed, and refuses conditions too expensive to evaluate whatever the
 * data (OutOfRange, TooExpensive).
 */
import { maxAutoPromotionSeconds } from './blueGreen.schema.ts';
import { conditionCostProblem } from '../analysis/celProgram.ts';
import { maxNameWithService, maxNameWithWorkload, nameWithServicePattern } from '../workload/names.ts';
import { metricLimits } from './analysis.schema.ts';
import { jobLimits } from './jobProvider.schema.ts';
import { DurationError, isDuration, longerThan, parseDuration } from './duration.ts';
import { parseRestartAt, restartAtField } from './restartAt.ts';
import { rolloutLimits } from './rollout.schema.ts';
import {
  analysesOf,
  StepError,
  stepField,
  stepsField,
  type ResolvedAnalysis,
  type ResolvedTemplateRef,
} from './steps.ts';
import type { AnalysisTemplateSpec, Metric, Rollout } from './types.ts';

export type SpecErrorCode =
  | 'TemplateNotFound'
  | 'MissingArg'
  | 'UnknownArg'
  | 'DuplicateMetric'
  | 'InvalidStep'
  | 'OutOfRange'
  | 'TooExpensive'
  | 'InvalidName'
  | 'InvalidTime';

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
  return ref.clusterScope
    ? `ClusterAnalysisTemplate ${ref.templateName}`
    : `AnalysisTemplate ${namespace}/${ref.templateName}`;
}

function lookUp(ref: ResolvedTemplateRef, namespace: string, lookup: TemplateLookup): AnalysisTemplateSpec | undefined {
  return ref.clusterScope
    ? lookup.clusterAnalysisTemplate(ref.templateName)
    : lookup.analysisTemplate(namespace, ref.templateName);
}

function validateAnalysis(analysis: ResolvedAnalysis, namespace: string, lookup: TemplateLookup): SpecError[] {
  const errors: SpecError[] = [];
  const found: FoundTemplate[] = [];
  analysis.templates.forEach((ref, i) => {
    const field = `${analysis.field}.templates[${i}].templateName`;
    const label = templateLabel(ref, namespace);
    const spec = lookUp(ref, namespace, lookup);
    if (spec === undefined) {
      const hint = ref.clusterScope
        ? ', or drop clusterScope to use an AnalysisTemplate in the namespace'
        : ', or set clusterScope: true for a ClusterAnalysisTemplate';
      errors.push({ field, code: 'TemplateNotFound', message: `${label} not found: create it or fix the name${hint}` });
    } else {
      found.push({ label, field, spec });
    }
  });

  const passed = new Set([...analysis.args.map((a) => a.name), ...(analysis.provided ?? [])]);
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

  for (const t of found) errors.push(...metricLimitErrors(t));

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

/** Bounds on a template's metrics, and conditions too expensive to run; each error names the template's field. */
function metricLimitErrors(t: FoundTemplate): SpecError[] {
  const errors: SpecError[] = [];
  const outOfRange = (field: string, message: string) =>
    errors.push({ field: `${t.label} ${field}`, code: 'OutOfRange', message });
  t.spec.metrics.forEach((m: Metric, i) => {
    const at = `spec.metrics[${i}]`;
    const prom = m.provider.prometheus;
    const durations: [string, string | undefined, string, string][] = [
      [
        `${at}.provider.prometheus.timeout`,
        prom?.timeout,
        metricLimits.timeout,
        'a query that slow holds a measurement worker: make the query cheaper',
      ],
      [
        `${at}.provider.web.timeout`,
        m.provider.web?.timeout,
        metricLimits.timeout,
        'a request that slow holds a measurement worker: make the endpoint faster',
      ],
      [
        `${at}.provider.influxdb.timeout`,
        m.provider.influxdb?.timeout,
        metricLimits.timeout,
        'a query that slow holds a measurement worker: make the query cheaper',
      ],
      [`${at}.interval`, m.interval, metricLimits.interval, 'measure at least daily'],
      [
        `${at}.initialDelay`,
        m.initialDelay,
        metricLimits.initialDelay,
        'use a pause step before the analysis for a longer wait',
      ],
      [`${at}.provider.prometheus.range.lookback`, prom?.range?.lookback, metricLimits.lookback, 'shorten it'],
      [`${at}.provider.job.timeout`, m.provider.job?.timeout, jobLimits.timeout, 'split the check into shorter Jobs'],
    ];
    for (const [field, value, max, advice] of durations) {
      const problem = value === undefined ? undefined : longerThan(value, max);
      if (problem !== undefined) outOfRange(field, `${problem}: ${advice}`);
    }
    if (prom?.range !== undefined && isDuration(prom.range.lookback) && isDuration(prom.range.step)) {
      const stepMs = parseDuration(prom.range.step);
      const points = stepMs > 0 ? parseDuration(prom.range.lookback) / stepMs : Infinity;
      if (points > metricLimits.pointsPerSeries) {
        outOfRange(
          `${at}.provider.prometheus.range.step`,
          `range.lookback ${prom.range.lookback} / range.step ${prom.range.step} gives more than ${metricLimits.pointsPerSeries} samples per series, which Prometheus refuses: raise range.step or shorten range.lookback`,
        );
      }
    }
    const counts: [string, number | undefined, number][] = [
      [`${at}.count`, m.count, metricLimits.count],
      [`${at}.failureLimit`, m.failureLimit, metricLimits.tolerated],
      [`${at}.inconclusiveLimit`, m.inconclusiveLimit, metricLimits.tolerated],
      [`${at}.consecutiveErrorLimit`, m.consecutiveErrorLimit, metricLimits.tolerated],
    ];
    for (const [field, value, max] of counts)
      if (value !== undefined && value > max) outOfRange(field, `${value} is more than the ${max} allowed`);
    // The CRD refuses both; an object stored before those rules is refused here, naming the field: a limit of 0 would
    // pass a metric before any measurement, and one above count can never be reached.
    const streak = m.consecutiveSuccessLimit;
    if (streak !== undefined && streak < 1)
      outOfRange(`${at}.consecutiveSuccessLimit`, `${streak} successes in a row is no evidence: set it to 1 or more`);
    else if (streak !== undefined && m.count !== undefined && streak > m.count)
      outOfRange(
        `${at}.consecutiveSuccessLimit`,
        `${streak} successes in a row can never happen within count ${m.count}: lower it, raise count, or omit count`,
      );
    for (const name of ['successCondition', 'failureCondition'] as const) {
      const expression = m[name];
      if (expression === undefined) continue;
      // Only cost is refused here; other CEL problems become an Error measurement that shows the expression.
      const problem = conditionCostProblem(expression);
      if (problem !== undefined)
        errors.push({
          field: `${t.label} ${at}.${name}`,
          code: 'TooExpensive',
          message: `${name} is too expensive to evaluate: ${problem}`,
        });
    }
  });
  return errors;
}

/** Bounds on the Rollout's own fields that the CRD may not have enforced (an object older than the rule). */
function rolloutLimitErrors(rollout: Rollout): SpecError[] {
  const errors: SpecError[] = [];
  const { canary, blueGreen } = rollout.spec.strategy;
  if ((canary === undefined) === (blueGreen === undefined))
    errors.push({
      field: 'spec.strategy',
      code: 'InvalidStep',
      message: 'set exactly one of canary or blueGreen',
    });
  const canarySteps = canary?.steps ?? [];
  canarySteps.forEach((step, i) => {
    const duration = step.pause?.duration;
    const problem = duration === undefined ? undefined : longerThan(duration, rolloutLimits.pause);
    if (problem !== undefined) {
      errors.push({
        field: `${stepField(i)}.pause.duration`,
        code: 'OutOfRange',
        message: `${problem}: pause without a duration to wait until promoted`,
      });
    }
  });
  canarySteps.forEach((step, i) => {
    const route = step.setHeaderRoute ?? step.setMirrorRoute;
    const kind = step.setHeaderRoute !== undefined ? 'setHeaderRoute' : 'setMirrorRoute';
    // Header names are case-insensitive: two matches on one header cannot both hold, and the routers keep one
    // per name, so the route could never be read back as the step wrote it.
    const names = (route?.match ?? []).map((m) => m.headerName.toLowerCase());
    const twice = names.findIndex((name, k) => names.indexOf(name) !== k);
    if (twice >= 0)
      errors.push({
        field: `${stepField(i)}.${kind}.match[${twice}].headerName`,
        code: 'InvalidStep',
        message: `header ${names[twice]} is matched twice (names are case-insensitive): keep one match per header`,
      });
  });
  const seconds: [string, number | undefined, number][] = [
    [
      'spec.strategy.canary.abortScaleDownDelaySeconds',
      canary?.abortScaleDownDelaySeconds,
      rolloutLimits.abortScaleDownDelaySeconds,
    ],
    [
      'spec.strategy.canary.scaleDownDelaySeconds',
      canary?.scaleDownDelaySeconds,
      rolloutLimits.abortScaleDownDelaySeconds,
    ],
    [
      'spec.strategy.blueGreen.abortScaleDownDelaySeconds',
      blueGreen?.abortScaleDownDelaySeconds,
      rolloutLimits.abortScaleDownDelaySeconds,
    ],
    [
      'spec.strategy.blueGreen.scaleDownDelaySeconds',
      blueGreen?.scaleDownDelaySeconds,
      rolloutLimits.abortScaleDownDelaySeconds,
    ],
    ['spec.strategy.blueGreen.autoPromotionSeconds', blueGreen?.autoPromotionSeconds, maxAutoPromotionSeconds],
    ['spec.progressDeadlineSeconds', rollout.spec.progressDeadlineSeconds, rolloutLimits.progressDeadlineSeconds],
  ];
  for (const [field, value, max] of seconds) {
    if (value !== undefined && value > max)
      errors.push({ field, code: 'OutOfRange', message: `${value} is more than the ${max} allowed` });
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
    return [
      {
        field: 'metadata.name',
        code: 'InvalidName',
        message:
          `a Rollout with spec.service needs a name of at most ${maxNameWithService} lowercase letters, digits or dashes, starting with a letter, ` +
          `since Sluice names its Services <name>-stable and <name>-canary: recreate it under a shorter name`,
      },
    ];
  }
  if (rollout.spec.workloadRef !== undefined && name.length > maxNameWithWorkload) {
    return [
      {
        field: 'metadata.name',
        code: 'InvalidName',
        message:
          `a Rollout with spec.workloadRef needs a name of at most ${maxNameWithWorkload} characters (this one has ${name.length}), ` +
          `since Sluice labels its ReplicaSets and pods sluice.dev/rollout=<name>: recreate it under a shorter name`,
      },
    ];
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
  const restartAt = rollout.spec.restartAt === undefined ? undefined : parseRestartAt(rollout.spec.restartAt);
  return [
    ...(restartAt?.kind === 'invalid'
      ? [{ field: restartAtField, code: 'InvalidTime' as const, message: restartAt.message }]
      : []),
    ...rolloutLimitErrors(rollout),
    ...analyses.flatMap((analysis) => validateAnalysis(analysis, namespace, lookup)),
  ];
}
