/**
 * Hostile-review tests for the executor's undo write (issue 16): it must not be held back by unrelated writes
 * failing, and it must write the revision the plan, status.undo and the UndoRequested event named, nothing else.
 */
import type { V1PodTemplateSpec, V1ReplicaSet } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { revisionOf } from '../planner/revision.ts';
import type { Plan } from '../planner/world.ts';
import { executePlan, type ExecuteContext } from './execute.ts';
import { abortPlan, recorder, rollout, rs } from './execute.test-support.ts';
import { writeUndoTemplate } from './revisionWrites.ts';

const template = (image: string): V1PodTemplateSpec => ({
  metadata: { labels: { app: 'checkout' } },
  spec: { containers: [{ name: 'app', image }] },
});
const good = template('shop/checkout:v1');
const goodRevision = revisionOf(good);

/** A Sluice ReplicaSet of `revision` whose pod template is `content` (with the labels Sluice adds). */
const replicaSet = (revision: string, content: V1PodTemplateSpec, replicas = 0): V1ReplicaSet => ({
  metadata: {
    name: `checkout-${revision}`,
    namespace: 'shop',
    uid: `rs-${revision}`,
    resourceVersion: '1',
    labels: { 'sluice.dev/rollout': 'checkout', 'sluice.dev/revision': revision },
    annotations: { 'sluice.dev/revision-number': '1' },
  },
  spec: {
    replicas,
    selector: { matchLabels: {} },
    template: {
      ...content,
      metadata: {
        labels: { ...content.metadata?.labels, 'sluice.dev/rollout': 'checkout', 'sluice.dev/revision': revision },
      },
    },
  },
});

const deployment = {
  metadata: { name: 'checkout', namespace: 'shop', resourceVersion: '77' },
  spec: { selector: {}, template: template('shop/checkout:v2-broken') },
};

/** The recorder's context with a Deployment whose template writes are recorded too. */
function withDeployment(fail: Parameters<typeof recorder>[0], replicaSets: V1ReplicaSet[]) {
  const { ctx, calls } = recorder(fail);
  const apps = {
    ...(ctx.clients.apps as object),
    patchNamespacedDeployment: (p: { name: string }) =>
      Promise.resolve().then(() => calls.push(`patch Deployment ${p.name}`)),
  };
  const full = { ...ctx, deployment, replicaSets, clients: { ...ctx.clients, apps } } as unknown as ExecuteContext;
  return { ctx: full, calls };
}

describe("the undo's template write", () => {
  // Defect (reconcile/execute.ts applyEffects: the undo write comes after the ReplicaSet writes, the traffic
  // weight, the scale-downs and the PodDisruptionBudget, and any failure among them throws past it). Undo is what
  // an on-call engineer reaches for when the canary's world is broken: here the mesh refuses the weight write
  // (its admission webhook is down). status.undo says the undo is under way, the annotation is removed, and yet the
  // Deployment is never given the old template, on this reconcile or any retry, for as long as that write fails.
  // The template write depends on none of them and must not wait for them.
  it('is carried out even when the traffic write before it is refused', async () => {
    const refused = Object.assign(new Error('admission webhook "validation.istio.io" unavailable'), { code: 500 });
    const { ctx, calls } = withDeployment({ route: refused }, [
      rs('a', 4),
      replicaSet('b', template('shop/checkout:v2-broken'), 1),
      replicaSet(goodRevision, good),
    ]);
    const plan: Plan = {
      ...abortPlan(),
      status: {
        ...rollout.status,
        undo: { revision: goodRevision, revisionNumber: 1, from: 'b', requestedAt: '2026-11-30T00:00:00Z' },
      },
      replicaSets: [
        { revision: 'a', replicas: 4 },
        { revision: 'b', replicas: 1 },
      ],
      canaryWeight: 40,
      flagOperations: [],
      events: [],
      undoTemplate: { replicaSet: `checkout-${goodRevision}`, revision: goodRevision },
    };
    await expect(executePlan(ctx, plan)).rejects.toThrow(/set the canary weight/);
    expect(calls).toContain('patch Deployment checkout');
  });

  it('holds no other write back when it is refused itself', async () => {
    const old = replicaSet('old', template('shop/checkout:v0'));
    const { ctx, calls } = withDeployment({}, [
      rs('a', 4),
      replicaSet('b', template('shop/checkout:v2-broken'), 1),
      old,
    ]);
    (ctx.clients.apps as unknown as Record<string, unknown>).deleteNamespacedReplicaSet = (p: { name: string }) =>
      Promise.resolve().then(() => calls.push(`delete ${p.name}`));
    // The ReplicaSet the undo names is not in the cache: the write fails before it reaches the API server.
    const plan: Plan = {
      ...abortPlan({ abort: false, handledAction: undefined }),
      replicaSets: [
        { revision: 'a', replicas: 4 },
        { revision: 'b', replicas: 1 },
      ],
      canaryWeight: 40,
      flagOperations: [],
      events: [],
      deleteReplicaSets: ['checkout-old'],
      undoTemplate: { replicaSet: `checkout-${goodRevision}`, revision: goodRevision },
    };
    await expect(executePlan(ctx, plan)).rejects.toThrow(/pod template of/);
    expect(calls).toEqual(expect.arrayContaining(['route 40%', 'delete checkout-old']));
  });

  // Defect (reconcile/revisionWrites.ts writeUndoTemplate, reconcile/observe.ts ownedReplicaSets). Anyone who may
  // create or edit ReplicaSets in the namespace can give one the Rollout's label, revision label, number and owner
  // reference (ownerReferences are not authorised), or edit the template of an old Sluice ReplicaSet. The undo then
  // copies whatever template that object holds into the Deployment, while status.undo and the UndoRequested event
  // tell the engineer it is "revision 1 (<hash>)". The write must carry the revision it names: a template whose
  // content is not that revision is refused, and the Deployment is left alone.
  it('refuses a ReplicaSet whose template is not the revision its label claims', async () => {
    const forged = replicaSet(goodRevision, template('evil.example/miner:latest'));
    const { ctx, calls } = withDeployment({}, [forged]);
    const written = writeUndoTemplate(ctx, { replicaSet: `checkout-${goodRevision}`, revision: goodRevision });
    await expect(written).rejects.toThrow();
    expect(calls).not.toContain('patch Deployment checkout');
  });

  it('(control) writes a ReplicaSet whose template is the revision its label claims', async () => {
    const { ctx, calls } = withDeployment({}, [replicaSet(goodRevision, good)]);
    await writeUndoTemplate(ctx, { replicaSet: `checkout-${goodRevision}`, revision: goodRevision });
    expect(calls).toContain('patch Deployment checkout');
  });
});
