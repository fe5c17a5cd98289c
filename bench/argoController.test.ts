import { describe, expect, it } from 'vitest';
import { argoHealthyOn, argoRollout } from './argoController.ts';

describe("Argo Rollouts' side of the comparison", () => {
  it('asks for the 4 replicas itself and scales the Deployment to 0 once Healthy, as Sluice ends', () => {
    const r = argoRollout('app-0', 4, [{ setWeight: 25 }, { setWeight: 50 }, { setWeight: 75 }]);
    expect(r.spec.replicas).toBe(4);
    expect(r.spec.workloadRef).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: 'app-0',
      scaleDown: 'onsuccess',
    });
    expect(r.spec.strategy.canary.steps).toHaveLength(3);
    expect(r.spec).not.toHaveProperty('selector');
  });

  it('counts a Rollout through only when Healthy with every pod on the stable revision', () => {
    expect(argoHealthyOn({ status: { phase: 'Healthy', stableRS: 'abc', currentPodHash: 'abc' } })).toBe('abc');
    // Healthy still says the old revision until Argo has seen the new template.
    expect(argoHealthyOn({ status: { phase: 'Healthy', stableRS: 'abc', currentPodHash: 'def' } })).toBeUndefined();
    expect(argoHealthyOn({ status: { phase: 'Progressing', stableRS: 'def', currentPodHash: 'def' } })).toBeUndefined();
    expect(argoHealthyOn({ status: { phase: 'Healthy' } })).toBeUndefined();
    expect(argoHealthyOn({})).toBeUndefined();
  });
});
