import { describe, expect, it } from 'vitest';
import { baseSpec, SimCluster } from './fixtures.test-support.ts';
import { planRollout } from './plan.ts';

/** A cluster where rev-a is stable and healthy, and the Deployment's template has just changed to rev-b. */
function withCanary(spec = baseSpec()): SimCluster {
  const sim = new SimCluster(spec);
  sim.converge();
  sim.templateRevision = 'rev-b';
  return sim;
}

describe('first sight of a Rollout', () => {
  it('makes the running template stable, waits for its pods, then takes the Deployment over', () => {
    const sim = new SimCluster();
    const first = sim.reconcile();
    expect(first.status.stableRevision).toBe('rev-a');
    expect(first.status.phase).toBe('Progressing');
    expect(first.replicaSets).toEqual([{ revision: 'rev-a', replicas: 4 }]);
    expect(first.takeOverDeployment).toBeUndefined(); // the Deployment's pods serve until ours are ready
    sim.settlePods();
    const second = sim.reconcile();
    expect(second.takeOverDeployment).toEqual({ recordReplicas: 4 });
    expect(second.status.phase).toBe('Healthy');
    expect(second.status.conditions?.find((c) => c.type === 'Healthy')?.status).toBe('True');
    expect(sim.eventReasons()).toEqual(['Initialized', 'Healthy']);
  });

  it('plans the same status twice for the same world, so a steady rollout causes no write', () => {
    const sim = new SimCluster();
    sim.converge();
    sim.advance(60_000);
    const a = planRollout(sim.world());
    sim.advance(60_000);
    const b = planRollout(sim.world());
    expect(b.status).toEqual(a.status);
    expect(b.status).toEqual(sim.rollout.status);
    expect(b.events).toEqual([]);
  });
});

describe('a canary through every step (Gateway API router)', () => {
  it('sets 20%, pauses 2s, sets 60%, pauses until promoted, then promotes keeping the canary pods', () => {
    const sim = withCanary();
    let plan = sim.reconcile();
    expect(plan.status.canaryRevision).toBe('rev-b');
    expect(plan.replicaSets).toEqual([
      { revision: 'rev-a', replicas: 4 },
      { revision: 'rev-b', replicas: 1 },
    ]);
    expect(plan.canaryWeight).toBe(0); // no traffic to pods that are not ready
    expect(plan.status.message).toMatch(/step 1\/4 \(setWeight 20%\): waiting for canary pods \(0\/1 ready\)/);

    sim.settlePods();
    plan = sim.reconcile();
    expect(plan.canaryWeight).toBe(20);
    expect(plan.status.currentStepIndex).toBe(0); // done only once the router confirms
    plan = sim.reconcile();
    expect(plan.status.currentStepIndex).toBe(1);
    expect(plan.status.phase).toBe('Paused');
    expect(plan.requeueAfterMs).toBe(2_000);
    expect(plan.status.message).toBe('step 2/4 (pause 2s): paused until 2026-11-29T03:00:02.000Z');
    sim.advance(500);
    expect(sim.reconcile().status.message).toBe(plan.status.message); // no countdown: nothing to write while it waits
    expect(plan.status.weights).toEqual({ canary: 20, stable: 80 });

    sim.advance(2_000);
    plan = sim.converge();
    expect(plan.status.currentStepIndex).toBe(3);
    expect(sim.routeWeight).toBe(60);
    expect(sim.replicasOf('rev-b')).toBe(3);
    expect(sim.replicasOf('rev-a')).toBe(4); // stable keeps its size: an abort needs no new pod
    expect(plan.status.phase).toBe('Paused');
    expect(plan.status.pauseConditions?.map((p) => p.reason)).toEqual(['PauseStep']);
    expect(plan.requeueAfterMs).toBeUndefined(); // an indefinite pause needs no timer

    sim.request('promote');
    plan = sim.converge();
    expect(plan.status.phase).toBe('Healthy');
    expect(plan.status.stableRevision).toBe('rev-b');
    expect(sim.routeWeight).toBe(0);
    expect(sim.replicasOf('rev-b')).toBe(4);
    expect(sim.replicasOf('rev-a')).toBe(0);
    expect(sim.createdRevisions).toEqual(['rev-a', 'rev-b']); // promotion reused the canary's ReplicaSet
    expect(sim.eventReasons()).toEqual(
      expect.arrayContaining(['CanaryStarted', 'StepCompleted', 'Paused', 'Promoted', 'Healthy']),
    );
  });

  it('is Healthy after promotion only once the router reads back 100% on stable', () => {
    const sim = withCanary(baseSpec({ strategy: { canary: { steps: [{ setWeight: 20 }, { pause: {} }] } } }));
    sim.converge();
    sim.request('promote');
    let plan = sim.reconcile();
    for (let i = 0; i < 5 && plan.canaryWeight !== 0; i++) {
      sim.settlePods();
      plan = sim.reconcile();
    }
    expect(plan.canaryWeight).toBe(0);
    expect(plan.status.phase).toBe('Progressing');
    expect(plan.status.message).toMatch(
      /waiting for the traffic router to confirm 100% on stable \(reads 20% on the canary\)/,
    );
    expect(sim.reconcile().status.phase).toBe('Healthy');
  });

  it('skips the remaining steps on promote-full', () => {
    const sim = withCanary();
    sim.converge();
    sim.request('promote-full');
    const plan = sim.converge();
    expect(plan.status.stableRevision).toBe('rev-b');
    expect(sim.eventReasons()).toContain('PromotedFull');
  });
});

describe('abort', () => {
  it('puts 100% on stable in the same reconcile, starts no pod, and scales the canary down after the delay', () => {
    const sim = withCanary(
      baseSpec({ strategy: { canary: { steps: [{ setWeight: 20 }, { pause: {} }], abortScaleDownDelaySeconds: 30 } } }),
    );
    sim.converge();
    expect(sim.routeWeight).toBe(20);
    const podsBefore = sim.createdRevisions.length;

    sim.request('abort');
    const plan = sim.reconcile();
    expect(plan.canaryWeight).toBe(0);
    expect(plan.status.abort).toBe(true);
    expect(plan.status.phase).toBe('Degraded');
    expect(plan.status.message).toBe('aborted: aborted by a user request');
    expect(plan.replicaSets).toEqual([
      { revision: 'rev-a', replicas: 4 },
      { revision: 'rev-b', replicas: 1 },
    ]);
    expect(plan.requeueAfterMs).toBe(30_000);
    expect(sim.createdRevisions.length).toBe(podsBefore);

    sim.advance(29_000);
    expect(sim.reconcile().replicaSets).toHaveLength(2);
    sim.advance(1_000);
    sim.reconcile();
    expect(sim.replicasOf('rev-b')).toBe(0);
    expect(sim.replicasOf('rev-a')).toBe(4);
  });

  it('acts on a promote once, even when removing the request failed after status recorded it', () => {
    const sim = withCanary(
      baseSpec({
        strategy: {
          canary: {
            steps: [
              { setWeight: 20 },
              { pause: {} },
              { setWeight: 40 },
              { pause: {} },
              { setWeight: 60 },
              { pause: {} },
            ],
          },
        },
      }),
    );
    sim.converge();
    expect(sim.rollout.status?.currentStepIndex).toBe(1);
    sim.clearActionFails = true;
    sim.request('promote');
    let plan = sim.reconcile();
    expect(plan.status.handledAction).toBe('promote at rev-b step 2');
    // The annotation is still there (the removal failed): the next reconciles must not promote again.
    sim.settlePods();
    sim.reconcile();
    sim.settlePods();
    plan = sim.reconcile();
    expect(plan.status.currentStepIndex).toBe(3);
    expect(plan.clearAction).toBe(true);
    sim.clearActionFails = false;
    sim.reconcile();
    plan = sim.reconcile();
    expect(plan.status.handledAction).toBeUndefined();
    // A new request after the old one was removed is acted on.
    sim.request('promote');
    plan = sim.converge();
    expect(plan.status.currentStepIndex).toBe(5);
  });

  it('retries from the first step', () => {
    const sim = withCanary();
    sim.converge();
    sim.request('abort');
    sim.converge();
    sim.request('retry');
    const plan = sim.reconcile();
    expect(plan.status.abort).toBe(false);
    expect(plan.status.currentStepIndex).toBe(0);
    expect(sim.eventReasons()).toContain('Retried');
  });

  it('ignores promote while aborted and says why', () => {
    const sim = withCanary();
    sim.converge();
    sim.request('abort');
    sim.converge();
    sim.request('promote');
    const plan = sim.reconcile();
    expect(plan.status.stableRevision).toBe('rev-a');
    expect(plan.clearAction).toBe(true);
    expect(sim.events.at(-1)?.message).toMatch(/promote ignored: the rollout is aborted; use retry/);
  });
});

describe('a newer template mid-canary', () => {
  it('supersedes the canary and starts the steps again for the newest revision', () => {
    const sim = withCanary();
    sim.converge();
    expect(sim.rollout.status?.currentStepIndex).toBe(1);
    sim.templateRevision = 'rev-c';
    const plan = sim.reconcile();
    expect(plan.status.canaryRevision).toBe('rev-c');
    expect(plan.status.currentStepIndex).toBe(0);
    expect(plan.replicaSets.map((r) => r.revision)).toEqual(['rev-a', 'rev-c']); // rev-b scales to 0
    expect(sim.eventReasons()).toContain('Superseded');
  });

  it('goes back to stable at once when the template returns to the stable one', () => {
    const sim = withCanary();
    sim.converge();
    sim.templateRevision = 'rev-a';
    const plan = sim.converge();
    expect(plan.status.phase).toBe('Healthy');
    expect(sim.routeWeight).toBe(0);
    expect(sim.replicasOf('rev-b')).toBe(0);
    expect(sim.eventReasons()).toContain('CanaryReverted');
  });
});

describe('replica-ratio router', () => {
  it('runs ceil(N × weight) canary pods beside a full stable and reports their share of pods', () => {
    const sim = withCanary(
      baseSpec({
        trafficRouting: undefined,
        strategy: { canary: { steps: [{ setWeight: 20 }, { setWeight: 60 }, { pause: {} }] } },
      }),
    );
    sim.routeWeight = undefined;
    const plan = sim.converge();
    expect(sim.replicasOf('rev-b')).toBe(3);
    expect(sim.replicasOf('rev-a')).toBe(4);
    expect(plan.status.weights).toEqual({ canary: 43, stable: 57 });
    expect(plan.status.currentStepIndex).toBe(2);
  });
});

describe('holding', () => {
  it('holds at the step while spec.paused is true and goes on when it is false', () => {
    const sim = withCanary();
    sim.rollout.spec.paused = true;
    let plan = sim.converge();
    expect(plan.status.phase).toBe('Paused');
    expect(plan.status.pauseConditions?.map((p) => p.reason)).toEqual(['UserPaused']);
    expect(plan.status.currentStepIndex).toBe(0);
    sim.rollout.spec.paused = false;
    plan = sim.converge();
    expect(plan.status.currentStepIndex).toBe(1);
  });

  it('holds while the freeze flag is on and names it', () => {
    const sim = withCanary();
    sim.freeze = { message: 'freeze flag deploy-freeze is enabled' };
    const plan = sim.converge();
    expect(plan.status.message).toMatch(/held at step 1\/4 .*deploy-freeze/);
    expect(plan.status.pauseConditions?.map((p) => p.reason)).toEqual(['FreezeFlag']);
  });
});

describe('analysis and flag steps', () => {
  const spec = () =>
    baseSpec({
      strategy: {
        canary: {
          steps: [{ setWeight: 20 }, { analysis: { templates: [{ templateName: 'error-rate' }] } }, { setWeight: 50 }],
        },
      },
    });

  it('waits without a verdict, advances on success', () => {
    const sim = withCanary(spec());
    expect(sim.converge().status.message).toMatch(/step 2\/3 \(analysis error-rate\): waiting for a verdict/);
    sim.stepVerdicts.set(1, { kind: 'done', message: 'all metrics passed' });
    expect(sim.converge().status.currentStepIndex).toBe(3);
  });

  it('aborts on failure with the reason in status and the Event, in the same reconcile', () => {
    const sim = withCanary(spec());
    sim.converge();
    sim.stepVerdicts.set(1, {
      kind: 'failed',
      message: 'metric error-rate measured 0.31 (failureCondition result >= 0.10)',
    });
    const plan = sim.reconcile();
    expect(plan.canaryWeight).toBe(0);
    expect(plan.status.message).toContain('error-rate measured 0.31');
    expect(sim.events.find((e) => e.reason === 'Aborted')?.message).toContain('error-rate measured 0.31');
  });

  it('pauses on an inconclusive verdict', () => {
    const sim = withCanary(spec());
    sim.stepVerdicts.set(1, { kind: 'inconclusive', message: 'no data' });
    const plan = sim.converge();
    expect(plan.status.phase).toBe('Paused');
    expect(plan.status.pauseConditions?.map((p) => p.reason)).toEqual(['AnalysisInconclusive']);
  });

  it('aborts when background analysis fails', () => {
    const sim = withCanary(spec());
    sim.converge();
    sim.backgroundVerdict = { kind: 'failed', message: 'latency High' };
    expect(sim.reconcile().status.message).toBe('aborted: background analysis failed: latency High');
  });
});

describe('progress deadline', () => {
  const spec = (abort: boolean) => baseSpec({ progressDeadlineSeconds: 60, progressDeadlineAbort: abort });

  it('marks the rollout Degraded when canary pods never become ready', () => {
    const sim = withCanary(spec(false));
    sim.podsBecomeReady = false;
    expect(sim.converge().status.phase).toBe('Progressing');
    sim.advance(61_000);
    const plan = sim.converge();
    expect(plan.status.phase).toBe('Degraded');
    expect(plan.status.message).toMatch(
      /progress deadline exceeded: step 1\/4 \(setWeight 20%\) made no progress for 1m/,
    );
    expect(plan.status.abort).toBe(false);
    expect(sim.eventReasons().filter((r) => r === 'ProgressDeadlineExceeded')).toHaveLength(1);
  });

  it('aborts when asked to', () => {
    const sim = withCanary(spec(true));
    sim.podsBecomeReady = false;
    sim.converge();
    sim.advance(61_000);
    const plan = sim.converge();
    expect(plan.status.abort).toBe(true);
    expect(plan.status.message).toMatch(/^aborted: progress deadline exceeded/);
  });
});

describe('specs the controller cannot carry out', () => {
  it('reports InvalidSpec and shifts nothing', () => {
    const sim = withCanary();
    sim.converge();
    const replicasBefore = [...sim.replicaSets.values()].map((r) => [r.revision, r.replicas]);
    sim.specErrors = [
      {
        field: 'spec.strategy.canary.steps[1].analysis.templates[0].templateName',
        message: 'AnalysisTemplate shop/x not found: create it or fix the name',
        code: 'TemplateNotFound',
      },
    ];
    const plan = sim.reconcile();
    expect(plan.canaryWeight).toBeUndefined();
    expect(plan.services).toBeUndefined();
    expect(plan.replicaSets.map((r) => [r.revision, r.replicas])).toEqual(replicasBefore);
    expect(plan.status.phase).toBe('Degraded');
    const invalidSpec = plan.status.conditions?.find((c) => c.type === 'InvalidSpec');
    expect(invalidSpec?.status).toBe('True');
    expect(invalidSpec?.message).toContain('templates[0].templateName');
    sim.reconcile();
    expect(sim.eventReasons().filter((r) => r === 'InvalidSpec')).toHaveLength(1); // one Event, not one per reconcile
  });

  describe('never block an abort', () => {
    const atTwentyPercent = () => {
      const sim = withCanary(
        baseSpec({
          strategy: { canary: { steps: [{ setWeight: 20 }, { pause: {} }], abortScaleDownDelaySeconds: 30 } },
        }),
      );
      sim.converge();
      expect(sim.routeWeight).toBe(20);
      return sim;
    };

    it('a later template deleted: traffic back on stable in the reconcile that reads the request', () => {
      const sim = atTwentyPercent();
      sim.specErrors = [
        {
          field: 'spec.strategy.canary.steps[1].analysis.templates[0].templateName',
          message: 'AnalysisTemplate shop/x not found',
          code: 'TemplateNotFound',
        },
      ];
      sim.request('abort');
      const plan = sim.reconcile();
      expect(plan.canaryWeight).toBe(0);
      expect(plan.status.abort).toBe(true);
      expect(plan.clearAction).toBe(true);
      expect(plan.status.message).toMatch(/^aborted: .*; invalid spec: spec.strategy.canary.steps\[1\]/);
      expect(plan.replicaSets).toEqual([
        { revision: 'rev-a', replicas: 4 },
        { revision: 'rev-b', replicas: 1 },
      ]);
      sim.advance(30_000);
      sim.reconcile();
      expect(sim.replicasOf('rev-b')).toBe(0);
      expect(sim.replicasOf('rev-a')).toBe(4);
    });

    it('the Deployment deleted: stable keeps the pods it has, traffic goes back to it', () => {
      const sim = atTwentyPercent();
      sim.deploymentExists = false;
      sim.request('abort');
      const plan = sim.reconcile();
      expect(plan.canaryWeight).toBe(0);
      expect(plan.status.abort).toBe(true);
      expect(plan.replicaSets).toContainEqual({ revision: 'rev-a', replicas: 4 });
    });

    it('the route lost its canary backend: the router cannot be written, so the canary is scaled to 0 at once', () => {
      const sim = atTwentyPercent();
      sim.routeInvalid = 'HTTPRoute shop/checkout has no backendRef named checkout-canary';
      sim.request('abort');
      const plan = sim.reconcile();
      expect(plan.canaryWeight).toBeUndefined();
      expect(plan.replicaSets).toEqual([{ revision: 'rev-a', replicas: 4 }]);
      expect(plan.status.message).toContain('the canary was scaled to 0 at once');
    });

    it('an abort already recorded keeps its course while the spec is invalid', () => {
      const sim = atTwentyPercent();
      sim.request('abort');
      sim.reconcile();
      sim.specErrors = [{ field: 'spec.strategy.canary.steps[0]', message: 'broken', code: 'InvalidStep' }];
      sim.advance(30_000);
      sim.reconcile();
      expect(sim.replicasOf('rev-b')).toBe(0);
      expect(sim.rollout.status?.abort).toBe(true);
    });
  });

  it('keeps a promote request waiting while the spec is invalid, and says so', () => {
    const sim = withCanary();
    sim.converge();
    sim.specErrors = [{ field: 'spec.strategy.canary.steps[0]', message: 'broken', code: 'InvalidStep' }];
    sim.request('promote');
    const plan = sim.reconcile();
    expect(plan.clearAction).toBe(false);
    expect(plan.status.message).toContain('the promote request waits until the spec is fixed');
  });

  it('names spec.workloadRef.name when the Deployment is missing', () => {
    const sim = new SimCluster();
    sim.deploymentExists = false;
    expect(sim.reconcile().status.message).toBe(
      'invalid spec: spec.workloadRef.name: Deployment shop/checkout not found: create it or fix the name',
    );
  });
});

describe('flag-only rollouts', () => {
  it('are the release themselves: a new one runs its steps from the first', () => {
    const sim = new SimCluster({ strategy: { canary: { steps: [{ setFlag: { name: 'new-flow', rollout: 10 } }] } } });
    sim.unleash.failure = { ok: false, kind: 'unreachable', message: 'Unleash is unreachable' };
    const plan = sim.converge();
    expect(plan.status.phase).toBe('Progressing');
    expect(plan.status.currentStepIndex).toBe(0);
    expect(plan.status.message).toMatch(/step 1\/1 \(setFlag new-flow to 10%\): Unleash is unreachable/);
    sim.unleash.failure = undefined;
    sim.unleash.add('default', 'production', 'new-flow', { enabled: false });
    sim.advance(10_000);
    expect(sim.converge().status.phase).toBe('Healthy');
    expect(sim.unleash.get('default', 'production', 'new-flow')).toMatchObject({ enabled: true, percent: 10 });
  });

  it('run their steps without pods or traffic and end released', () => {
    const sim = new SimCluster({
      strategy: { canary: { steps: [{ setFlag: { name: 'new-flow', rollout: 10 } }, { pause: { duration: '1s' } }] } },
    });
    sim.unleash.add('default', 'production', 'new-flow', { enabled: false });
    sim.converge();
    sim.advance(1_000);
    sim.converge();
    sim.rollout.spec.strategy.canary.steps[0] = { setFlag: { name: 'new-flow', rollout: 50 } };
    let plan = sim.reconcile();
    expect(plan.replicaSets).toEqual([]);
    expect(plan.canaryWeight).toBeUndefined();
    expect(sim.converge().status.phase).toBe('Paused'); // the 1s pause starts once the flag step is done
    expect(sim.unleash.get('default', 'production', 'new-flow')?.percent).toBe(50);
    sim.advance(1_000);
    plan = sim.converge();
    expect(plan.status.phase).toBe('Healthy');
    expect(plan.status.stableRevision).toBe(plan.status.canaryRevision);
  });
});
