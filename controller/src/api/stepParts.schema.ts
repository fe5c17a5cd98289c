/**
 * The parts of a Rollout's strategy that canary and blue-green share: analysis references, pauses and setFlag
 * steps, and the bounds on them. Apart from rollout.schema.ts so that blueGreen.schema.ts can use them too.
 */
import { Type } from 'typebox';
import { duration, mapList, object, objectName, percent, text, unleashName } from './common.schema.ts';

/** Bounds that keep CEL rules that walk these lists within the API server's cost budget. */
export const maxSteps = 64;
export const maxTemplatesPerAnalysis = 10;
export const maxArgs = 32;

/**
 * Bounds with no sane use beyond them. A long pause stays legal: the controller wakes the Rollout hourly (the
 * work queue caps timers) and plans the time still left.
 */
export const rolloutLimits = {
  pause: '720h',
  abortScaleDownDelaySeconds: 86_400,
  progressDeadlineSeconds: 86_400,
} as const;

/** The argument a scale-down analysis's templates get from Sluice: the revision being drained. */
export const drainingRevisionArg = 'drainingRevision';

export const analysisArg = object('A value for an argument that the AnalysisTemplates declare.', {
  name: Type.String({
    description: "Name of the argument, as declared in the template's spec.args.",
    minLength: 1,
    maxLength: 63,
    pattern: '^[A-Za-z_][A-Za-z0-9_-]*$',
  }),
  value: text("Value substituted for {{args.<name>}} in the templates' queries."),
});

export const analysisTemplateRef = object(
  "Refers to an AnalysisTemplate in the Rollout's namespace, or to a ClusterAnalysisTemplate.",
  {
    templateName: objectName('Name of the AnalysisTemplate (or ClusterAnalysisTemplate when clusterScope is true).'),
    clusterScope: Type.Optional(
      Type.Boolean({
        description: "Look the name up among ClusterAnalysisTemplates instead of the Rollout's namespace.",
        default: false,
      }),
    ),
  },
);

export const templates = mapList(
  'Templates whose metrics are measured together; all must pass.',
  analysisTemplateRef,
  ['templateName', 'clusterScope'],
  {
    minItems: 1,
    maxItems: maxTemplatesPerAnalysis,
  },
);
export const args = mapList("Values for the templates' arguments.", analysisArg, ['name'], { maxItems: maxArgs });

export const analysisStep = object(
  "Runs the templates' metrics against the canary and waits for their verdict: success moves on, failure aborts.",
  {
    templates,
    args: Type.Optional(args),
  },
);

export const pauseStep = object('Waits before the next step.', {
  duration: Type.Optional(
    duration('How long to wait. Omitted, the rollout waits until it is promoted.', {}, rolloutLimits.pause),
  ),
});

export const setFlagStep = object(
  "Sets an Unleash feature flag's gradual rollout percentage and enables the flag; done when Unleash confirms.",
  {
    name: unleashName('Name of the Unleash feature flag.'),
    rollout: percent("Percentage of users who get the flag (the flexibleRollout strategy's rollout)."),
    environment: Type.Optional(
      unleashName("Unleash environment to change. Omitted: the controller's configured default environment."),
    ),
    project: Type.Optional(
      unleashName(
        'Unleash project that owns the flag; the controller\'s --unleash-project (default "default") when omitted.',
      ),
    ),
    onAbort: Type.Optional(
      Type.Enum(['restore', 'disable'], {
        description:
          'What happens to the flag when the rollout aborts: restore puts back the state from before the rollout touched it; disable turns the flag off.',
        default: 'restore',
      }),
    ),
  },
);
