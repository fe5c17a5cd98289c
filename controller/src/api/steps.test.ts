import { describe, expect, it } from 'vitest';
import {
  analysesOf,
  canaryWeightAt,
  describeStep,
  isFlagOnly,
  managedRoutesAt,
  resolveBackgroundAnalysis,
  resolveSteps,
  stepField,
  stepKind,
  type StepKind,
} from './steps.ts';
import type { CanaryStep, RolloutSpec } from './types.ts';

function spec(steps: CanaryStep[], more: Partial<RolloutSpec> = {}): RolloutSpec {
  return { workloadRef: { name: 'checkout' }, strategy: { canary: { steps } }, ...more };
}

describe('stepKind', () => {
  it.each<[CanaryStep, StepKind]>([
    [{ setWeight: 0 }, 'setWeight'],
    [{ pause: {} }, 'pause'],
    [{ analysis: { templates: [{ templateName: 'error-rate' }] } }, 'analysis'],
    [{ setFlag: { name: 'f', rollout: 5 } }, 'setFlag'],
  ])('reads %j as %s', (step, kind) => {
    expect(stepKind(step)).toBe(kind);
  });

  it('refuses a step with two actions or none, naming the step', () => {
    expect(() => stepKind({ setWeight: 10, pause: {} }, stepField(3))).toThrow(
      'spec.strategy.canary.steps[3]: a step has exactly one action (setWeight, pause, analysis, setFlag, setHeaderRoute, setMirrorRoute), found setWeight and pause',
    );
    expect(() => stepKind({}, stepField(0))).toThrow(/steps\[0\]: .* found none/);
  });
});

describe('resolveSteps', () => {
  it('applies the schema defaults and parses durations', () => {
    const steps = resolveSteps(
      spec([
        { setWeight: 10 },
        { pause: { duration: '1m30s' } },
        { pause: {} },
        {
          analysis: {
            templates: [{ templateName: 'error-rate' }, { templateName: 'shared', clusterScope: true }],
            args: [{ name: 'service', value: 'checkout' }],
          },
        },
        { setFlag: { name: 'new-flow', rollout: 50 } },
        { setFlag: { name: 'banner', rollout: 100, environment: 'production', project: 'shop', onAbort: 'disable' } },
      ]),
    );
    expect(steps).toEqual([
      { index: 0, field: 'spec.strategy.canary.steps[0]', kind: 'setWeight', weight: 10 },
      { index: 1, field: 'spec.strategy.canary.steps[1]', kind: 'pause', durationMs: 90_000 },
      { index: 2, field: 'spec.strategy.canary.steps[2]', kind: 'pause', durationMs: undefined },
      {
        index: 3,
        field: 'spec.strategy.canary.steps[3]',
        kind: 'analysis',
        analysis: {
          field: 'spec.strategy.canary.steps[3].analysis',
          templates: [
            { templateName: 'error-rate', clusterScope: false },
            { templateName: 'shared', clusterScope: true },
          ],
          args: [{ name: 'service', value: 'checkout' }],
        },
      },
      {
        index: 4,
        field: 'spec.strategy.canary.steps[4]',
        kind: 'setFlag',
        flagField: 'spec.strategy.canary.steps[4].setFlag',
        flag: { name: 'new-flow', rollout: 50, environment: undefined, project: undefined, onAbort: 'restore' },
      },
      {
        index: 5,
        field: 'spec.strategy.canary.steps[5]',
        kind: 'setFlag',
        flagField: 'spec.strategy.canary.steps[5].setFlag',
        flag: { name: 'banner', rollout: 100, environment: 'production', project: 'shop', onAbort: 'disable' },
      },
    ]);
  });

  it('names the field of a duration it cannot read', () => {
    expect(() => resolveSteps(spec([{ setWeight: 5 }, { pause: { duration: '2 minutes' } }]))).toThrow(
      /^spec\.strategy\.canary\.steps\[1\]\.pause\.duration: "2 minutes" is not a duration/,
    );
  });
});

describe('canaryWeightAt', () => {
  const steps = resolveSteps(
    spec([
      { pause: { duration: '10s' } },
      { setWeight: 10 },
      { pause: {} },
      { setWeight: 50 },
      { setFlag: { name: 'f', rollout: 5 } },
    ]),
  );

  it('is 0 before the first setWeight, then that of the last setWeight so far', () => {
    expect([0, 1, 2, 3, 4].map((i) => canaryWeightAt(steps, i))).toEqual([0, 10, 10, 50, 50]);
  });

  it('is 100 once every step is done', () => {
    expect(canaryWeightAt(steps, steps.length)).toBe(100);
  });
});

describe('background analysis', () => {
  it('starts at step 0 unless startingStep says otherwise', () => {
    const templates = [{ templateName: 'error-rate' }];
    expect(
      resolveBackgroundAnalysis(
        spec([{ setWeight: 5 }], { strategy: { canary: { steps: [{ setWeight: 5 }], analysis: { templates } } } }),
      ),
    ).toMatchObject({
      field: 'spec.strategy.canary.analysis',
      startingStep: 0,
      args: [],
    });
    expect(resolveBackgroundAnalysis(spec([]))).toBeUndefined();
  });

  it('is listed after the step analyses', () => {
    const s: RolloutSpec = {
      strategy: {
        canary: {
          steps: [
            { analysis: { templates: [{ templateName: 'a' }] } },
            { pause: {} },
            { analysis: { templates: [{ templateName: 'b' }] } },
          ],
          analysis: { templates: [{ templateName: 'c' }], startingStep: 1 },
        },
      },
    };
    expect(analysesOf(s).map((a) => a.field)).toEqual([
      'spec.strategy.canary.steps[0].analysis',
      'spec.strategy.canary.steps[2].analysis',
      'spec.strategy.canary.analysis',
    ]);
  });
});

describe('describeStep', () => {
  it('says what each step does in a few words', () => {
    const steps = resolveSteps(
      spec([
        { setWeight: 10 },
        { pause: { duration: '90s' } },
        { pause: {} },
        { analysis: { templates: [{ templateName: 'error-rate' }, { templateName: 'latency' }] } },
        { setFlag: { name: 'new-flow', rollout: 50 } },
        { setHeaderRoute: { name: 'internal', match: [{ headerName: 'X-User', headerValue: { exact: 'qa' } }] } },
        { setHeaderRoute: { name: 'internal' } },
        { setMirrorRoute: { name: 'shadow', percentage: 25 } },
        { setMirrorRoute: { name: 'shadow', percentage: 0 } },
      ]),
    );
    expect(steps.map(describeStep)).toEqual([
      'setWeight 10%',
      'pause 1m30s',
      'pause until promoted',
      'analysis error-rate, latency',
      'setFlag new-flow to 50%',
      'header route internal (x-user exact "qa")',
      'remove route internal',
      'mirror route shadow 25%',
      'remove route shadow',
    ]);
  });
});

describe('managedRoutesAt', () => {
  const qa = { headerName: 'X-User', headerValue: { exact: 'qa' } };
  const steps = resolveSteps(
    spec([
      { setHeaderRoute: { name: 'internal', match: [qa] } },
      { setMirrorRoute: { name: 'shadow', percentage: 30 } },
      { setHeaderRoute: { name: 'internal', match: [{ headerName: 'x-user', headerValue: { prefix: 'qa-' } }] } },
      { setMirrorRoute: { name: 'shadow', percentage: 0 } },
      { setHeaderRoute: { name: 'internal' } },
      { pause: {} },
    ]),
  );
  const order = [{ name: 'shadow' }, { name: 'internal' }];
  const names = (i: number) => managedRoutesAt(steps, i, order).map((r) => `${r.kind} ${r.name}`);

  it('holds each route as the last step that named it left it, in the order of managedRoutes', () => {
    expect(names(0)).toEqual(['header internal']);
    expect(names(1)).toEqual(['mirror shadow', 'header internal']); // shadow is listed first: it wins
    expect(managedRoutesAt(steps, 2, order)[1]).toEqual({
      kind: 'header',
      name: 'internal',
      match: [{ headerName: 'x-user', headerValue: { prefix: 'qa-' } }],
    });
  });

  it('drops a route at a step without match or at 0%, and every route once the steps are done', () => {
    expect(names(3)).toEqual(['header internal']);
    expect(names(4)).toEqual([]);
    expect(names(5)).toEqual([]);
    expect(managedRoutesAt(steps, 1, order)).toHaveLength(2);
    expect(managedRoutesAt(steps, steps.length, order)).toEqual([]);
  });

  it('reads header names lowercase, as routers read them back', () => {
    expect(managedRoutesAt(steps, 0, order)[0]).toMatchObject({ match: [{ headerName: 'x-user' }] });
  });

  it('leaves out a route that managedRoutes does not list', () => {
    expect(managedRoutesAt(steps, 1, [{ name: 'internal' }]).map((r) => r.name)).toEqual(['internal']);
  });
});

describe('isFlagOnly', () => {
  it('is true exactly when there is no workloadRef', () => {
    expect(isFlagOnly(spec([{ setWeight: 5 }]))).toBe(false);
    expect(isFlagOnly({ strategy: { canary: { steps: [{ setFlag: { name: 'f', rollout: 5 } }] } } })).toBe(true);
  });
});
