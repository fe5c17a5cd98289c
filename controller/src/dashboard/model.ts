/**
 * What the dashboard's JSON API and its stream send, shared by the server and the page. Pure TypeScript with no
 * Node and no DOM (the page's bundle imports it), so it holds only types, constants and the list filter.
 */

/** The dashboard's actions; the first four are the sluice.dev/action annotation, the last two spec.paused. */
export const dashboardActions = ['promote', 'promote-full', 'abort', 'retry', 'pause', 'resume'] as const;
export type DashboardAction = (typeof dashboardActions)[number];

export function isDashboardAction(value: string): value is DashboardAction {
  return (dashboardActions as readonly string[]).includes(value);
}

export const rolloutPhases = ['Progressing', 'Paused', 'Healthy', 'Degraded'] as const;

/** One row of the list. */
export interface RolloutSummary {
  /** namespace/name */
  key: string;
  namespace: string;
  name: string;
  /** Which of spec.strategy the rollout uses. */
  strategy: 'canary' | 'blueGreen';
  /** Empty until the controller has written a status. */
  phase: string;
  message: string;
  /** 1-based step being run, and the number of steps; current equals total once done. */
  step: { current: number; total: number };
  canaryWeight: number;
  /** ISO time the Rollout was created. */
  createdAt: string | undefined;
  /** spec.paused */
  paused: boolean;
  aborted: boolean;
}

export interface StepView {
  index: number;
  kind: string;
  /** "setWeight 20%", "pause until promoted", "switch Service shop-active to the new revision" */
  text: string;
  state: 'done' | 'current' | 'pending';
}

export interface MeasurementView {
  phase: string;
  /** The value as a number when it is one; null for lists, comparison summaries and errors. */
  value: number | null;
  text: string | undefined;
  message: string | undefined;
  /** Why it has its phase: the value against the deciding condition, or canary against stable (the judge's numbers). */
  explanation: string | undefined;
  startedAt: string;
  finishedAt: string | undefined;
}

/** A line to draw on a metric's chart, read from a condition such as `result < 0.05`. */
export interface ThresholdView {
  verdict: 'success' | 'failure';
  op: '<' | '<=' | '>' | '>=';
  value: number;
}

export interface MetricView {
  name: string;
  phase: string;
  dryRun: boolean;
  count: number;
  successful: number;
  failed: number;
  inconclusive: number;
  errors: number;
  /** The template's conditions as written, when the template is found. */
  successCondition: string | undefined;
  failureCondition: string | undefined;
  /** "mannWhitney, increase, confidence 0.98" for a statistical comparison. */
  compare: string | undefined;
  thresholds: ThresholdView[];
  /** Why the metric has its phase, from its newest failed (or newest) measurement: see analysis/verdictExplanation.ts. */
  explanation: string | undefined;
  measurements: MeasurementView[];
}

export interface AnalysisRunView {
  name: string;
  /** "Background analysis", "Analysis of step 3", or the blue-green field it comes from: "prePromotionAnalysis". */
  title: string;
  stepIndex: number | undefined;
  revision: string;
  phase: string;
  message: string | undefined;
  startedAt: string;
  finishedAt: string | undefined;
  metrics: MetricView[];
}

export interface FlagView {
  name: string;
  project: string;
  environment: string;
  rollout: number;
  previousEnabled: boolean;
  previousRollout: number | undefined;
  onAbort: string;
}

export interface EventView {
  type: string;
  reason: string;
  message: string;
  /** ISO time of the last occurrence. */
  time: string | undefined;
  count: number;
}

export interface ConditionView {
  type: string;
  status: string;
  reason: string;
  message: string;
}

/** A blue-green rollout's Services (from spec) and where they point (from status). */
export interface BlueGreenView {
  activeService: string;
  previewService: string;
  /** Preview, Switching, Switched, Promoted or Aborted; empty until the controller has written it. */
  phase: string;
  activeRevision: string | undefined;
  previewRevision: string | undefined;
  /** ISO time active last moved to the new revision. */
  switchedAt: string | undefined;
}

/** A previous revision kept running: until scaleDownAt (ISO time), or while users may still reach it (undefined). */
export interface ScaleDownView {
  revision: string;
  scaleDownAt: string | undefined;
}

export interface RolloutDetail extends RolloutSummary {
  stableRevision: string | undefined;
  canaryRevision: string | undefined;
  stableWeight: number;
  steps: StepView[];
  /** Undefined for a canary. */
  blueGreen: BlueGreenView | undefined;
  /** Empty when no previous revision is kept. */
  scaleDown: ScaleDownView[];
  pauseReasons: string[];
  conditions: ConditionView[];
  analysis: AnalysisRunView[];
  flags: FlagView[];
  /** Newest first. */
  events: EventView[];
  /** Canary weight over time, as seen by this controller process (epoch ms, percent). */
  weightHistory: { t: number[]; canary: number[] };
  /** The actions that make sense now (the page greys out the others). */
  applicableActions: DashboardAction[];
}

/** GET /api/config */
export interface DashboardInfo {
  version: string;
  /** Whether the action endpoints are on. */
  actions: boolean;
  /** The only namespace the controller handles, or empty for all. */
  namespace: string;
}

/** GET /api/rollouts */
export interface RolloutList {
  items: RolloutSummary[];
  /** Matching rollouts, of which `items` is the page from `offset`. */
  total: number;
  offset: number;
  limit: number;
}

/** The stream's messages, by SSE event name. */
export interface StreamMessages {
  /** First message of every connection: every rollout that matches the stream's filter. */
  snapshot: { items: RolloutSummary[] };
  /** Rollouts that changed since the last message. */
  changes: { upserted: RolloutSummary[]; removed: string[] };
  /** The rollout named by the stream's `rollout` parameter, whenever it or its Events change; null once deleted. */
  detail: { key: string; rollout: RolloutDetail | null };
}

/** An error from the API: a stable code and a sentence a user can act on. */
export interface ApiError {
  code: string;
  message: string;
}

export interface RolloutFilter {
  namespace?: string | undefined;
  /** Any of these phases; all phases when empty. */
  phases?: readonly string[] | undefined;
  /** Case-insensitive text in the name, namespace or message. */
  text?: string | undefined;
}

export function matchesFilter(s: RolloutSummary, filter: RolloutFilter): boolean {
  if (filter.namespace !== undefined && filter.namespace !== '' && s.namespace !== filter.namespace) return false;
  if (filter.phases !== undefined && filter.phases.length > 0 && !filter.phases.includes(s.phase)) return false;
  const text = filter.text?.trim().toLowerCase();
  if (text !== undefined && text !== '') {
    return (
      s.name.toLowerCase().includes(text) ||
      s.namespace.toLowerCase().includes(text) ||
      s.message.toLowerCase().includes(text)
    );
  }
  return true;
}

/** The list's order: by namespace, then name. */
export function compareSummaries(a: RolloutSummary, b: RolloutSummary): number {
  return a.namespace === b.namespace
    ? a.name < b.name
      ? -1
      : a.name > b.name
        ? 1
        : 0
    : a.namespace < b.namespace
      ? -1
      : 1;
}
