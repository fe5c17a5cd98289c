/**
 * The Rollout status: everything the controller must remember across a restart (where the rollout is, which
 * revisions are stable and canary, what analysis measured, which flags it changed). Written only by the controller,
 * through the status subresource. Every list has maxItems: status must stay small however long a rollout runs.
 */
import { Type } from 'typebox';
import { condition, labelName, mapList, object, percent, text, timestamp, unleashName } from './common.schema.ts';
import { previousStableRevisions, rollbackWithinWindow, undoStatus } from './rollback.schema.ts';

/** How many measurements per metric status keeps (the newest); older ones are dropped. */
export const maxMeasurementsPerMetric = 10;
export const maxAnalysisRuns = 8;
export const maxMetricsPerRun = 20;

export const rolloutPhase = Type.Enum(['Progressing', 'Paused', 'Healthy', 'Degraded'], {
  description:
    'Progressing: a canary is moving through the steps. Paused: waiting for a promote, a resume or a freeze flag. ' +
    'Healthy: all traffic is on the stable revision and nothing is in flight. Degraded: the rollout aborted, missed its progress deadline or its spec is invalid.',
});

const analysisPhase = (what: string) =>
  Type.Enum(['Pending', 'Running', 'Successful', 'Failed', 'Inconclusive', 'Error'], {
    description: `Verdict of the ${what} so far.`,
  });

/**
 * The bound of a statistic in status (beyond it, it is left out). An integer: the API server reads a bound like
 * 1e+300 from the CRD as an int64 and overflows, refusing every value.
 */
export const maxStatistic = 1e15;

/** A finite number in status; the judge's statistics are finite or left out (JSON has no infinity). */
const statistic = (description: string, options: { minimum?: number; maximum?: number } = {}) =>
  Type.Number({ description, minimum: -maxStatistic, maximum: maxStatistic, ...options });

export const judgeStatistics = object(
  "The statistical judge's numbers for one comparison (metric compare:), so that a verdict can be explained.",
  {
    u: Type.Optional(statistic('Mann-Whitney U of the canary samples against the stable samples.', { minimum: 0 })),
    p: Type.Optional(statistic('p-value of the test in the direction the metric judges.', { minimum: 0, maximum: 1 })),
    // No minimum: the means, and so their ratio, are negative for a metric that can be (a balance, a delta).
    effectSize: Type.Optional(
      statistic('Effect size: the ratio of the canary mean to the stable mean (1 is no change).'),
    ),
    canaryCount: Type.Integer({ description: 'Canary samples judged (NaN samples dropped).', minimum: 0 }),
    stableCount: Type.Integer({ description: 'Stable samples judged (NaN samples dropped).', minimum: 0 }),
    canaryMean: Type.Optional(statistic('Mean of the canary samples.')),
    stableMean: Type.Optional(statistic('Mean of the stable samples.')),
  },
);

export const measurement = object('One measurement of a metric.', {
  phase: Type.Enum(['Successful', 'Failed', 'Inconclusive', 'Error'], {
    description:
      "Successful or Failed by the metric's conditions or comparison; Inconclusive when neither decided; Error when the provider could not measure.",
  }),
  value: Type.Optional(
    text("The measured value as text (a number, a list of numbers, or the comparison's summary).", { maxLength: 256 }),
  ),
  message: Type.Optional(text('Why the measurement errored or was inconclusive.')),
  judge: Type.Optional(judgeStatistics),
  decidedBy: Type.Optional(
    Type.Enum(['successCondition', 'failureCondition', 'noData', 'nonFinite'], {
      description:
        'What decided a measurement judged by conditions: the successCondition or the failureCondition (holding, or the successCondition not holding), no data, or a NaN or infinite value.',
    }),
  ),
  startedAt: timestamp('When the measurement started.'),
  finishedAt: Type.Optional(timestamp('When the measurement finished.')),
});

export const metricResult = object('What analysis has measured for one metric.', {
  name: labelName('Name of the metric, from the template.'),
  phase: analysisPhase('metric'),
  dryRun: Type.Optional(Type.Boolean({ description: 'The metric is recorded but does not gate the rollout.' })),
  count: Type.Integer({ description: 'Measurements taken.', minimum: 0 }),
  successful: Type.Integer({ description: 'Successful measurements.', minimum: 0 }),
  failed: Type.Integer({ description: 'Failed measurements.', minimum: 0 }),
  inconclusive: Type.Integer({ description: 'Inconclusive measurements.', minimum: 0 }),
  errors: Type.Integer({ description: 'Measurements the provider could not take.', minimum: 0 }),
  consecutiveErrors: Type.Integer({ description: 'Errors since the last measurement that did not error.', minimum: 0 }),
  consecutiveSuccesses: Type.Optional(
    Type.Integer({
      description: 'Successful measurements in a row (kept when the metric has a consecutiveSuccessLimit).',
      minimum: 0,
    }),
  ),
  measurements: Type.Array(measurement, {
    description: `The newest measurements, oldest first (at most ${maxMeasurementsPerMetric}).`,
    maxItems: maxMeasurementsPerMetric,
  }),
});

export const analysisRun = object(
  "One analysis of the canary: the metrics of a step's templates, or the background analysis.",
  {
    name: Type.String({
      description: 'Which analysis: background, or step-<index> for an analysis step.',
      minLength: 1,
      maxLength: 63,
    }),
    stepIndex: Type.Optional(
      Type.Integer({ description: 'Index of the analysis step; absent for background analysis.', minimum: 0 }),
    ),
    revision: text('The canary revision this run judged.', { maxLength: 63 }),
    phase: analysisPhase('run'),
    message: Type.Optional(text('Summary of the run for humans, such as which metric failed and why.')),
    startedAt: timestamp('When the run started.'),
    finishedAt: Type.Optional(timestamp('When the run reached its verdict.')),
    metrics: mapList('Results per metric.', metricResult, ['name'], { maxItems: maxMetricsPerRun }),
  },
);

export const touchedFlag = object(
  'A feature flag the rollout changed, with its state from before, so that an abort can put it back.',
  {
    name: unleashName('Name of the Unleash feature flag.'),
    project: unleashName('Unleash project of the flag.'),
    environment: unleashName('Unleash environment that was changed.'),
    previousEnabled: Type.Boolean({
      description: 'Whether the flag was enabled in this environment before the rollout changed it.',
    }),
    previousRollout: Type.Optional(
      percent(
        "Rollout percentage of the flag's gradual rollout before the change; absent when Sluice added the strategy.",
      ),
    ),
    strategyId: Type.Optional(
      text('ID of the gradual rollout strategy that Sluice changed or added.', { maxLength: 256 }),
    ),
    rollout: percent('The last rollout percentage Sluice set.'),
    onAbort: Type.Enum(['restore', 'disable'], {
      description: 'What an abort does to this flag (from the setFlag step).',
    }),
  },
);

export const blueGreenPhase = Type.Enum(['Preview', 'Switching', 'Switched', 'Promoted', 'Aborted'], {
  description:
    'Preview: the new revision runs behind the preview Service, active still on the old one. Switching: the new revision scales to full size and active moves to it. ' +
    'Switched: active serves the new revision, the old one still runs at full size (post-promotion flags and analysis). Promoted: the new revision is stable. ' +
    'Aborted: active is back on the old revision.',
});

export const blueGreenStatus = object('Where a blue-green rollout stands; absent for a canary.', {
  phase: blueGreenPhase,
  activeRevision: text('Revision the active Service selects (or the router sends all traffic to).', { maxLength: 63 }),
  previewRevision: text('Revision the preview Service selects.', { maxLength: 63 }),
  switchedAt: Type.Optional(
    timestamp(
      'When Sluice last decided to move active to the new revision (recorded before the Service or the route is written; phase Switched says it read back).',
    ),
  ),
  activeService: Type.Optional(
    text(
      'The active Service this release uses: a change of spec.strategy.blueGreen.activeService takes effect once no new revision is in flight, so that a rename never repoints the Service users reach mid-release.',
      { maxLength: 63 },
    ),
  ),
  previewService: Type.Optional(text('The preview Service this release uses (see activeService).', { maxLength: 63 })),
});

/** At most this many previous revisions kept warm at once (a release a minute, with a long scaleDownDelaySeconds). */
export const maxWarmRevisions = 4;

export const scaleDownStatus = mapList(
  `Previous revisions kept running, so that connections and proxies still holding their endpoints drain and a rollback to them finds warm pods; oldest first, at most ${maxWarmRevisions}.`,
  object('One previous revision kept running.', {
    revision: text('The previous revision.', { maxLength: 63 }),
    scaleDownAt: Type.Optional(
      timestamp(
        'When its pods are scaled to 0. Absent while users may still reach it (the active Service, or the router, reads back on it): the delay starts once they no longer do.',
      ),
    ),
  }),
  ['revision'],
  { maxItems: maxWarmRevisions },
);

export const restartStatus = object(
  'The restart Sluice is carrying out (spec.restartAt): present from its first eviction until every stable pod is newer.',
  {
    restartAt: text('The spec.restartAt this restart carries out.', { maxLength: 35 }),
    startedAt: timestamp('When Sluice asked for its first eviction.'),
    pod: text('The stable pod Sluice last asked to evict; asked again while a PodDisruptionBudget refuses it.', {
      maxLength: 253,
    }),
    evictions: Type.Integer({ description: 'Stable pods Sluice has asked to evict so far.', minimum: 0 }),
    reportedAt: Type.Optional(
      timestamp('When the last PodEvicted Event was sent: at most one a minute, however many pods there are.'),
    ),
    progressedAt: Type.Optional(
      timestamp(
        'When the restart last asked to evict a new pod: past progressDeadlineSeconds without one it is stuck, and a Warning says why.',
      ),
    ),
    warnedAt: Type.Optional(timestamp('When the last RestartStuck Warning was sent: one per deadline, not per retry.')),
    olderThan: Type.Optional(
      timestamp(
        "The newest creationTimestamp among the stable pods the restart found to replace, as the API server stamped it: a pod created later is a replacement, whatever the controller's clock says.",
      ),
    ),
  },
);

export const rolloutStatus = object('What the controller observed and did; written only by the controller.', {
  observedGeneration: Type.Optional(
    Type.Integer({ description: 'The .metadata.generation this status describes.', format: 'int64', minimum: 0 }),
  ),
  phase: Type.Optional(rolloutPhase),
  message: Type.Optional(text('What the rollout is doing or waiting for, for humans.')),
  currentStepIndex: Type.Optional(
    Type.Integer({
      description: 'Index of the step being run (0 is the first); equal to the number of steps once all are done.',
      minimum: 0,
    }),
  ),
  stableRevision: Type.Optional(text('Pod template hash of the stable revision.', { maxLength: 63 })),
  canaryRevision: Type.Optional(
    text('Pod template hash of the canary revision; equal to stableRevision when no canary is in flight.', {
      maxLength: 63,
    }),
  ),
  weights: Type.Optional(
    object(
      'Traffic percentages Sluice set the router to. Written with the decision, before the router is: the router can lag by a moment, and for longer while condition WriteFailed is True; Healthy waits for the router to read back 0% on the canary.',
      {
        canary: percent('Percentage of traffic on the canary.'),
        stable: percent('Percentage of traffic on stable.'),
      },
    ),
  ),
  abort: Type.Optional(
    Type.Boolean({
      description: 'The canary revision was aborted: all traffic is on stable until a retry or a new revision.',
    }),
  ),
  abortCause: Type.Optional(
    Type.Enum(['Analysis', 'User', 'ProgressDeadline'], {
      description:
        'Why the canary was aborted: analysis failed, a user asked, or progressDeadlineSeconds passed with progressDeadlineAbort.',
    }),
  ),
  releaseStartedAt: Type.Optional(
    timestamp(
      'When Sluice first saw the newest release (canaryRevision) in flight: the release duration metric counts from it, also after a restart of the controller.',
    ),
  ),
  progressDeadlineExceededAt: Type.Optional(
    timestamp(
      'When the release in flight first passed progressDeadlineSeconds (without progressDeadlineAbort): the outcome metrics count the release then, as deadline, and not again when it is resumed, promoted or aborted.',
    ),
  ),
  abortedAt: Type.Optional(
    timestamp('When the abort happened; the canary is scaled down abortScaleDownDelaySeconds later.'),
  ),
  handledAction: Type.Optional(
    Type.String({
      maxLength: 256,
      description:
        'The sluice.dev/action request this status already carried out and the state it left the rollout in ("promote at <revision> step 2"); set until the annotation is removed, so that a retried reconcile never acts on one request twice.',
    }),
  ),
  stepStartedAt: Type.Optional(
    timestamp('When the current step started; pause durations and the progress deadline count from it.'),
  ),
  pauseConditions: Type.Optional(
    mapList(
      'Why the rollout is paused; empty when it is not.',
      object('One reason the rollout is paused.', {
        reason: Type.Enum(['PauseStep', 'UserPaused', 'AnalysisInconclusive', 'FreezeFlag'], {
          description:
            'PauseStep: a pause step. UserPaused: spec.paused is true. AnalysisInconclusive: analysis could not decide. FreezeFlag: the freeze flag is enabled.',
        }),
        startTime: timestamp('When the pause began.'),
      }),
      ['reason'],
      { maxItems: 4 },
    ),
  ),
  analysis: Type.Optional(
    object('Analysis of the current canary.', {
      runs: mapList(
        `The analysis runs of the current canary revision, newest last (at most ${maxAnalysisRuns}).`,
        analysisRun,
        ['name'],
        { maxItems: maxAnalysisRuns },
      ),
    }),
  ),
  flags: Type.Optional(
    mapList(
      'Feature flags the rollout changed and how to put them back on abort.',
      touchedFlag,
      ['name', 'project', 'environment'],
      { maxItems: 64 },
    ),
  ),
  replicas: Type.Optional(
    Type.Integer({
      description:
        "Pods the Rollout runs at full size (spec.replicas, or the Deployment's): the scale subresource reads it.",
      minimum: 0,
    }),
  ),
  selector: Type.Optional(
    text('Label selector of the pods of every revision of the Rollout, for the scale subresource (an autoscaler).', {
      maxLength: 128,
    }),
  ),
  blueGreen: Type.Optional(blueGreenStatus),
  restartedAt: Type.Optional(
    text('The spec.restartAt whose restart is done: every stable pod was then newer than it.', { maxLength: 35 }),
  ),
  restartedRevision: Type.Optional(
    text(
      'The stable revision when the restart of restartedAt was done: once another revision is stable (an undo to pods kept warm), its pods older than restartedAt are restarted too.',
      { maxLength: 63 },
    ),
  ),
  restart: Type.Optional(restartStatus),
  scaleDown: Type.Optional(scaleDownStatus),
  stableShrunk: Type.Optional(
    Type.Boolean({
      description:
        'True from the moment dynamicStableScale sized stable below full until its pods are all ready again: while it is, traffic goes back to stable only as fast as its ready pods carry it, even with the option removed.',
    }),
  ),
  undo: Type.Optional(undoStatus),
  rollbackWithinWindow: Type.Optional(rollbackWithinWindow),
  previousStableRevisions: Type.Optional(previousStableRevisions),
  conditions: Type.Optional(
    mapList(
      'Standard conditions: Healthy, Progressing, Paused, InvalidSpec and WriteFailed; AutoscalerOnDeployment while a HorizontalPodAutoscaler still targets the Deployment; ActionRefused when the last sluice.dev/action request could not be carried out (False once a later one was); Restarting while a spec.restartAt is not done yet.',
      condition,
      ['type'],
      {
        maxItems: 16,
      },
    ),
  ),
});
