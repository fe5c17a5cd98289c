/** What the engine tests share: a Rollout, a metric, a hand-moved clock, a Prometheus stand-in and the reconcile loop. */
import { expect } from 'vitest';
import type { AnalysisRunStatus, AnalysisTemplateSpec, Measurement, Metric, Rollout } from '../api/types.ts';
import {
  analysisRunName,
  evaluateAnalysis,
  type ActiveAnalysis,
  type AnalysisDeps,
  type AnalysisOutcome,
} from './engine.ts';
import { measureInBackground } from './measureTask.ts';
import { prometheusMetricProvider } from './prometheusMetric.ts';
import type { PrometheusApi, PromResult } from './prometheus.ts';

export const rollout: Rollout = {
  apiVersion: 'sluice.dev/v1alpha1',
  kind: 'Rollout',
  metadata: { name: 'checkout', namespace: 'shop' },
  spec: {
    workloadRef: { name: 'checkout' },
    strategy: { canary: { steps: [{ setWeight: 10 }, { analysis: { templates: [{ templateName: 'error-rate' }] } }] } },
  },
};

export const prom = { address: 'http://prom:9090', query: 'errors{service="{{args.service}}"}' };
export const errorRate: Metric = {
  name: 'error-rate',
  successCondition: 'result < 0.05',
  failureCondition: 'result >= 0.10',
  provider: { prometheus: prom },
};

/** A clock the test moves by hand. */
export class Clock {
  t = new Date('2026-03-01T12:00:00Z').getTime();
  now = () => new Date(this.t);
  advance(seconds: number): Date {
    this.t += seconds * 1000;
    return this.now();
  }
}

/** Prometheus stand-in: answers each query with `answer(promql)` and counts the queries. */
export function provider(
  answer: (promql: string) => PromResult | Promise<PromResult>,
): PrometheusApi & { queries: string[] } {
  const queries: string[] = [];
  return {
    queries,
    query: async (_a, promql) => {
      queries.push(promql);
      return answer(promql);
    },
    queryRange: async (_a, promql) => {
      queries.push(promql);
      return answer(promql);
    },
  };
}

export function setup(
  metrics: Metric[],
  answer: (promql: string) => PromResult | Promise<PromResult>,
  more: { args?: AnalysisTemplateSpec['args']; secrets?: Record<string, string> } = {},
) {
  const clock = new Clock();
  const templates = new Map<string, AnalysisTemplateSpec>([
    ['shop/error-rate', { args: more.args ?? [{ name: 'service' }], metrics }],
  ]);
  const p = provider(answer);
  const measured = new Map<string, Measurement>();
  const deps: AnalysisDeps = {
    templates: {
      analysisTemplate: (ns, name) => templates.get(`${ns}/${name}`),
      clusterAnalysisTemplate: () => undefined,
    },
    measurement: (id) => measured.get(id),
  };
  const taskDeps = {
    providers: { prometheus: prometheusMetricProvider(p) },
    readSecrets: () =>
      Promise.resolve((ns: string, name: string, key: string) => more.secrets?.[`${ns}/${name}/${key}`]),
    clock: clock.now,
  };
  let runs: AnalysisRunStatus[] = [];
  const step = (index = 1, revision = 'rev1'): ActiveAnalysis => ({
    name: analysisRunName(index),
    stepIndex: index,
    revision,
    analysis: {
      field: `spec.strategy.canary.steps[${index}].analysis`,
      templates: [{ templateName: 'error-rate', clusterScope: false }],
      args: [{ name: 'service', value: 'checkout' }],
    },
  });
  const background = (revision = 'rev1'): ActiveAnalysis => ({
    ...step(0, revision),
    name: 'background',
    stepIndex: undefined,
  });
  /**
   * One reconcile, and the one the background's wake-up brings: what is due is measured (as the background would,
   * at the same instant), then folded in. Feeds back the runs from the last one, as status would.
   */
  const reconcile = async (active: ActiveAnalysis[]): Promise<AnalysisOutcome> => {
    let out = evaluateAnalysis({ rollout, now: clock.now(), runs, active }, deps);
    if (out.due.length > 0) {
      runs = out.runs;
      // All due measurements are asked for at once; the background takes them concurrently.
      await Promise.all(
        out.due.map(async (due) => measured.set(due.id, await measureInBackground(due, rollout, taskDeps))),
      );
      out = evaluateAnalysis({ rollout, now: clock.now(), runs, active }, deps);
      expect(out.due).toEqual([]);
    }
    runs = out.runs;
    return out;
  };
  /** Status loses the runs, as a retry after an abort does. */
  const clearRuns = () => (runs = []);
  return { clock, templates, provider: p, deps, step, background, reconcile, runs: () => runs, clearRuns };
}

export const value = (v: number): PromResult => ({ kind: 'scalar', values: [v] });
