/**
 * Blue-green stories on the pure planner: given a Rollout with strategy.blueGreen, when the preview, the analyses
 * and the switch play out, then the Services, the pods and status say what a user expects.
 */
import { describe, expect, it } from 'vitest';
import { analysis, blueGreen, released } from './blueGreen.test-support.ts';
import { SimCluster } from './fixtures.test-support.ts';

describe('blue-green taking over a running application', () => {
  it('points the active Service at its pods only once they are all ready (an adopted Service serves users)', () => {
    const sim = new SimCluster(blueGreen());
    const plan = sim.reconcile();
    expect(sim.replicasOf('rev-a')).toBe(4);
    expect(plan.services).toBeUndefined(); // the user's Service keeps its own selector meanwhile
    expect(plan.takeOverDeployment).toBeUndefined();
    sim.settlePods();
    const ready = sim.reconcile();
    expect(ready.services).toEqual({ stable: 'rev-a', canary: 'rev-a' });
    sim.converge();
    expect(sim.rollout.status?.phase).toBe('Healthy');
  });
});

describe('blue-green with a manual promotion', () => {
  it('previews the new revision, switches active on promote, keeps the old one warm, then scales it down', () => {
    const sim = released(blueGreen({ autoPromotionEnabled: false, previewReplicaCount: 1 }));
    sim.converge();
    expect(sim.replicasOf('rev-b')).toBe(1); // the preview size, not full
    expect(sim.replicasOf('rev-a')).toBe(4);
    expect(sim.services).toEqual({ stable: 'rev-a', canary: 'rev-b' }); // active old, preview new
    expect(sim.rollout.status).toMatchObject({
      phase: 'Paused',
      weights: { canary: 0, stable: 100 },
      blueGreen: { phase: 'Preview', activeRevision: 'rev-a', previewRevision: 'rev-b' },
    });
    expect(sim.rollout.status?.message).toMatch(/pause until promoted/);

    sim.request('promote');
    const scaling = sim.reconcile();
    // Full size first; active does not move before every new pod is ready.
    expect(sim.replicasOf('rev-b')).toBe(4);
    expect(scaling.services).toEqual({ stable: 'rev-a', canary: 'rev-b' });
    expect(sim.rollout.status?.blueGreen?.phase).toBe('Switching');
    sim.settlePods();
    sim.reconcile();
    expect(sim.services).toEqual({ stable: 'rev-b', canary: 'rev-b' });
    expect(sim.rollout.status?.blueGreen?.phase).toBe('Switching'); // status says Switched once it reads back
    sim.reconcile(); // read back: nothing after the switch, so this is the promotion too
    expect(sim.rollout.status?.blueGreen).toMatchObject({ phase: 'Promoted', activeRevision: 'rev-b' });
    expect(sim.eventReasons()).toContain('Switched');
    sim.converge();
    expect(sim.rollout.status).toMatchObject({ stableRevision: 'rev-b', phase: 'Healthy' });
    expect(sim.rollout.status?.blueGreen?.phase).toBe('Promoted');
    // The old revision keeps its pods for scaleDownDelaySeconds (30 s by default), then goes.
    expect(sim.replicasOf('rev-a')).toBe(4);
    expect(sim.rollout.status?.scaleDown?.map((w) => w.revision)).toEqual(['rev-a']);
    expect(sim.lastPlan?.requeueAfterMs).toBeLessThanOrEqual(30_000);
    sim.advance(29_000);
    sim.converge();
    expect(sim.replicasOf('rev-a')).toBe(4);
    sim.advance(1_000);
    sim.converge();
    expect(sim.replicasOf('rev-a')).toBe(0);
    expect(sim.rollout.status?.scaleDown).toBeUndefined();
  });

  it('does not count the switch until the active Service reads back selecting the new revision', () => {
    const sim = released(blueGreen({ autoPromotionEnabled: false, postPromotionAnalysis: analysis }));
    sim.converge();
    sim.servicesTakeWrites = false;
    sim.request('promote');
    sim.converge();
    expect(sim.rollout.status?.message).toMatch(/waiting for Service checkout-active to select revision rev-b/);
    expect(sim.rollout.status?.currentStepIndex).toBe(2); // still at the switch: post-promotion has not started
    sim.servicesTakeWrites = true;
    sim.converge();
    expect(sim.rollout.status?.currentStepIndex).toBe(3);
  });
});

describe('blue-green with automatic promotion', () => {
  it('switches on its own autoPromotionSeconds after the preview is ready', () => {
    const sim = released(blueGreen({ autoPromotionSeconds: 60 }));
    sim.converge();
    expect(sim.services.stable).toBe('rev-a');
    expect(sim.rollout.status?.phase).toBe('Paused');
    sim.advance(59_000);
    sim.converge();
    expect(sim.services.stable).toBe('rev-a');
    sim.advance(1_000);
    sim.converge();
    expect(sim.services.stable).toBe('rev-b');
    expect(sim.rollout.status?.stableRevision).toBe('rev-b');
  });

  it('switches as soon as the preview is ready when no wait is set', () => {
    const sim = released(blueGreen());
    sim.converge();
    expect(sim.rollout.status).toMatchObject({ stableRevision: 'rev-b', phase: 'Healthy' });
  });
});

describe('blue-green analysis', () => {
  it('aborts on a failed pre-promotion analysis with active never moved, and scales the preview down later', () => {
    const sim = released(blueGreen({ prePromotionAnalysis: analysis, abortScaleDownDelaySeconds: 10 }));
    const activeSeen = new Set<string | undefined>();
    for (let i = 0; i < 5; i++) {
      sim.reconcile();
      sim.settlePods();
      activeSeen.add(sim.services.stable);
    }
    expect(sim.rollout.status?.message).toMatch(/prePromotionAnalysis|waiting for a verdict/);
    sim.stepVerdicts.set(1, { kind: 'failed', message: 'error-rate 0.2 > 0.05' });
    sim.converge();
    activeSeen.add(sim.services.stable);
    expect([...activeSeen]).toEqual(['rev-a']);
    expect(sim.rollout.status).toMatchObject({ phase: 'Degraded', abort: true, blueGreen: { phase: 'Aborted' } });
    expect(sim.rollout.status?.message).toMatch(/error-rate 0.2 > 0.05/);
    expect(sim.replicasOf('rev-b')).toBe(4); // kept for abortScaleDownDelaySeconds
    sim.advance(10_000);
    sim.converge();
    expect(sim.replicasOf('rev-b')).toBe(0);
  });

  it('switches back within the reconcile that sees the post-promotion failure, with no pod created', () => {
    const sim = released(blueGreen({ postPromotionAnalysis: analysis }));
    sim.converge();
    expect(sim.services.stable).toBe('rev-b');
    expect(sim.rollout.status?.blueGreen?.phase).toBe('Switched');
    expect(sim.replicasOf('rev-a')).toBe(4); // the old version still runs at full size
    const created = sim.createdRevisions.length;
    sim.stepVerdicts.set(2, { kind: 'failed', message: 'latency-p99 1.2 > 0.5' });
    const plan = sim.reconcile();
    expect(plan.services).toEqual({ stable: 'rev-a', canary: 'rev-b' });
    expect(plan.replicaSets.find((d) => d.revision === 'rev-a')?.replicas).toBe(4);
    expect(sim.createdRevisions.length).toBe(created);
    expect(sim.rollout.status).toMatchObject({ phase: 'Degraded', weights: { canary: 0, stable: 100 } });
    expect(sim.rollout.status?.message).toMatch(/latency-p99/);
    sim.reconcile(); // the Service reads back on the old revision: status and the Event say so
    expect(sim.rollout.status?.blueGreen).toMatchObject({ phase: 'Aborted', activeRevision: 'rev-a' });
    expect(sim.eventReasons()).toContain('SwitchedBack');
  });

  it('switches back on a user abort during post-promotion, and retry starts again from the preview', () => {
    const sim = released(blueGreen({ postPromotionAnalysis: analysis, previewReplicaCount: 2 }));
    sim.converge();
    sim.request('abort');
    expect(sim.reconcile().services?.stable).toBe('rev-a');
    sim.request('retry');
    sim.converge();
    expect(sim.rollout.status?.currentStepIndex).toBe(2);
    expect(sim.services.stable).toBe('rev-b');
  });
});

describe('blue-green with a changing template', () => {
  it('replaces the preview revision with a newer template, and ends when the template is set back to active', () => {
    const sim = released(blueGreen({ autoPromotionEnabled: false }));
    sim.converge();
    sim.templateRevision = 'rev-c';
    sim.converge();
    expect(sim.services).toEqual({ stable: 'rev-a', canary: 'rev-c' });
    expect(sim.replicasOf('rev-b')).toBe(0);
    expect(sim.eventReasons()).toContain('Superseded');
    sim.templateRevision = 'rev-a';
    sim.converge();
    expect(sim.services).toEqual({ stable: 'rev-a', canary: 'rev-a' });
    expect(sim.replicasOf('rev-c')).toBe(0);
    expect(sim.rollout.status).toMatchObject({ phase: 'Healthy', blueGreen: { phase: 'Promoted' } });
  });

  it('moves active back to stable when a newer template arrives after the switch', () => {
    const sim = released(blueGreen({ postPromotionAnalysis: analysis }));
    sim.converge();
    expect(sim.services.stable).toBe('rev-b');
    sim.templateRevision = 'rev-c';
    const plan = sim.reconcile();
    expect(plan.services?.stable).toBe('rev-a');
  });
});

describe('blue-green through a traffic router', () => {
  it('switches with the route weights 0 -> 100, read back, and leaves both Services on the new revision after', () => {
    const sim = released(
      blueGreen({ postPromotionAnalysis: analysis }, { trafficRouting: { gatewayAPI: { httpRoute: 'checkout' } } }),
    );
    sim.converge();
    expect(sim.routeWeight).toBe(100);
    expect(sim.services).toEqual({ stable: 'rev-a', canary: 'rev-b' }); // the route moves traffic, not the selector
    sim.stepVerdicts.set(2, { kind: 'done', message: 'ok' });
    sim.converge();
    expect(sim.routeWeight).toBe(0);
    expect(sim.services).toEqual({ stable: 'rev-b', canary: 'rev-b' });
  });

  it('waits for the router to read back 100% before the switch counts', () => {
    const sim = released(
      blueGreen({ postPromotionAnalysis: analysis }, { trafficRouting: { gatewayAPI: { httpRoute: 'checkout' } } }),
    );
    sim.converge();
    sim.routeWeight = 0; // the route was put back by someone
    sim.rollout.status!.currentStepIndex = 1;
    const plan = sim.reconcile();
    expect(plan.canaryWeight).toBe(100);
    expect(sim.rollout.status?.message).toMatch(/confirm 100%/);
  });
});

describe('blue-green with flags around the switch', () => {
  it('confirms the flag before the switch before active moves, sets the one after it after, and puts both back on abort', () => {
    const sim = released(
      blueGreen({
        prePromotionFlags: [{ setFlag: { name: 'new-flow', rollout: 100 } }],
        postPromotionFlags: [{ setFlag: { name: 'banner', rollout: 50 } }],
        postPromotionAnalysis: analysis,
      }),
    );
    sim.unleash.add('default', 'production', 'new-flow', { enabled: false, percent: 20 });
    sim.unleash.add('default', 'production', 'banner', { enabled: false });
    const flag = (name: string) => sim.unleash.get('default', 'production', name);
    for (let i = 0; i < 30 && sim.services.stable !== 'rev-b'; i++) {
      expect(flag('banner')?.enabled).toBe(false); // never before the switch
      sim.reconcile();
      sim.settlePods();
      if (sim.services.stable === 'rev-b') expect(flag('new-flow')).toMatchObject({ enabled: true, percent: 100 });
      else expect(sim.rollout.status?.weights?.canary).toBe(0);
    }
    expect(sim.services.stable).toBe('rev-b');
    sim.converge();
    expect(flag('banner')).toMatchObject({ enabled: true, percent: 50 });
    sim.stepVerdicts.set(4, { kind: 'failed', message: 'errors' });
    sim.converge();
    expect(sim.services.stable).toBe('rev-a');
    expect(flag('new-flow')).toMatchObject({ enabled: false, percent: 20 });
    expect(flag('banner')?.enabled).toBe(false);
  });
});

describe('blue-green Service names changed mid-release', () => {
  it('keeps the names the release started with until it ends, and says so', () => {
    const sim = released(blueGreen({ autoPromotionEnabled: false }));
    sim.converge();
    expect(sim.rollout.status?.blueGreen).toMatchObject({
      activeService: 'checkout-active',
      previewService: 'checkout-preview',
    });
    sim.rollout.spec.strategy.blueGreen!.activeService = 'checkout-preview';
    sim.rollout.spec.strategy.blueGreen!.previewService = 'checkout-active';
    sim.reconcile();
    expect(sim.rollout.status?.blueGreen).toMatchObject({
      activeService: 'checkout-active',
      previewService: 'checkout-preview',
    });
    expect(sim.rollout.status?.message).toMatch(/new Service names .* take effect once no new revision is in flight/);
    sim.request('promote');
    sim.converge();
    expect(sim.rollout.status?.blueGreen).toMatchObject({
      phase: 'Promoted',
      activeService: 'checkout-preview',
      previewService: 'checkout-active',
    });
  });
});

describe('blue-green abort while the spec is invalid', () => {
  it('still switches active back to stable', () => {
    const sim = released(blueGreen({ postPromotionAnalysis: analysis }));
    sim.converge();
    expect(sim.services.stable).toBe('rev-b');
    sim.specErrors = [
      {
        field: 'spec.strategy.blueGreen.postPromotionAnalysis.templates[0]',
        code: 'TemplateNotFound',
        message: 'gone',
      },
    ];
    sim.request('abort');
    expect(sim.reconcile().services?.stable).toBe('rev-a');
  });
});

describe('blue-green switchedAt', () => {
  it('is the time of the decision, recorded before the Service is written, and is kept once it reads back', () => {
    const sim = released(blueGreen({ autoPromotionEnabled: false, postPromotionAnalysis: analysis }));
    sim.converge(); // waiting for promotion, the preview read back
    sim.servicesTakeWrites = false;
    sim.request('promote');
    for (let i = 0; i < 10 && sim.rollout.status?.weights?.canary !== 100; i++) {
      sim.reconcile();
      sim.settlePods();
    }
    const decidedAt = sim.now.toISOString();
    expect(sim.rollout.status?.blueGreen).toMatchObject({ phase: 'Switching', switchedAt: decidedAt });
    sim.advance(5_000);
    sim.servicesTakeWrites = true;
    sim.converge();
    expect(sim.rollout.status?.blueGreen).toMatchObject({ phase: 'Switched', switchedAt: decidedAt });
  });
});
