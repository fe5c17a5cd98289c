/**
 * The executor's undo write against the real API server: the old ReplicaSet's pod template goes into the
 * Deployment only while the Deployment is the one the planner saw (its resourceVersion); a Deployment changed since
 * refuses it with a conflict (routine: the next reconcile decides again). The template written is the same revision
 * as the ReplicaSet's, so the canary path recognises it.
 */
import type { V1ReplicaSet } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { isConflict } from '../../controller/src/kube/apiErrors.ts';
import { revisionOf } from '../../controller/src/planner/revision.ts';
import { writeUndoTemplate } from '../../controller/src/reconcile/revisionWrites.ts';
import type { Clients } from '../../controller/src/reconcile/execute.ts';
import { clients, createApp, setImage } from './rolloutStory.ts';
import { useNamespace } from './support.ts';

const ns = useNamespace('undo-write');

describe("writing an undo's pod template into the Deployment", () => {
  it('writes the old template when the Deployment is unchanged, and refuses with a conflict when it changed', async () => {
    const { apps } = clients();
    await createApp(ns.name, 'web', { replicas: 1, route: false });
    const v1 = await apps.readNamespacedDeployment({ namespace: ns.name, name: 'web' });
    // The ReplicaSet Sluice built from v1's template: its labels added, as workload/objects.ts adds them.
    // Its revision label is the template's own revision: the write refuses a template that is not the revision named.
    const x = revisionOf(v1.spec!.template);
    const template = structuredClone(v1.spec!.template);
    template.metadata!.labels = {
      ...template.metadata!.labels,
      'sluice.dev/rollout': 'web',
      'sluice.dev/revision': x,
    };
    const rs: V1ReplicaSet = { metadata: { name: 'web-x' }, spec: { selector: {}, template } };
    await setImage(ns.name, 'web', 'example.invalid/app:v2');
    const ctx = { clients: clients() as unknown as Clients, fence: () => undefined, replicaSets: [rs] };

    // Planned from v1's Deployment, which has changed since: refused, and v2 stays.
    const stale = await writeUndoTemplate({ ...ctx, deployment: v1 }, { replicaSet: 'web-x', revision: x }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(isConflict(stale)).toBe(true);
    const still = await apps.readNamespacedDeployment({ namespace: ns.name, name: 'web' });
    expect(still.spec?.template.spec?.containers[0]?.image).toBe('example.invalid/app:v2');

    // Read as the cache would have it now (the Deployment's own controller writes its status meanwhile, each write a
    // new resourceVersion: a conflict then is retried from the newer object, as a reconcile is).
    for (let attempt = 1; ; attempt++) {
      const v2 = await apps.readNamespacedDeployment({ namespace: ns.name, name: 'web' });
      expect(v2.spec?.template.spec?.containers[0]?.image).toBe('example.invalid/app:v2');
      const err = await writeUndoTemplate({ ...ctx, deployment: v2 }, { replicaSet: 'web-x', revision: x }).then(
        () => undefined,
        (e: unknown) => e,
      );
      if (err === undefined) break;
      if (!isConflict(err) || attempt === 10) throw err instanceof Error ? err : new Error(JSON.stringify(err));
      await new Promise((r) => setTimeout(r, 200));
    }
    const undone = await apps.readNamespacedDeployment({ namespace: ns.name, name: 'web' });
    expect(undone.spec?.template.spec?.containers[0]?.image).toBe('example.invalid/app:v1');
    expect(undone.spec?.template.metadata?.labels).toEqual({ app: 'web' });
    expect(revisionOf(undone.spec!.template)).toBe(revisionOf(v1.spec!.template));
  });
});
