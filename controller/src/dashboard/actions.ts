/**
 * What a dashboard button writes: the same merge patch as `kubectl sluice` and the documented kubectl one-liners
 * (the sluice.dev/action annotation for promote, promote-full, abort and retry; spec.paused for pause and resume),
 * followed by an Event on the Rollout that names the user who asked, so `kubectl describe` shows who did what.
 */
import type { KubeConfig } from '../kube/clientNode.ts';
import { CoreClient, CustomObjectsClient, PatchStrategy, jsonApi } from '../kube/resourceClients.ts';
import { actionAnnotation } from '../api/controls.ts';
import type { Rollout } from '../api/types.ts';
import { rolloutEvent } from '../reconcile/eventRecorder.ts';
import { rolloutRef } from '../reconcile/execute.ts';
import type { DashboardAction } from './model.ts';

export const dashboardActionReason = 'DashboardAction';

/** The merge patch an action stands for. */
export function actionPatch(action: DashboardAction): object {
  switch (action) {
    case 'pause':
      return { spec: { paused: true } };
    case 'resume':
      return { spec: { paused: false } };
    default:
      return { metadata: { annotations: { [actionAnnotation]: action } } };
  }
}

/** The Event's message: "promote requested by alice via the dashboard". */
export function actionMessage(action: DashboardAction, username: string): string {
  return `${action} requested by ${username} via the dashboard`;
}

export interface RolloutWriter {
  /** Writes the action's patch with the controller's identity. */
  request(rollout: Rollout, action: DashboardAction): Promise<void>;
  /** Records a Normal Event with reason DashboardAction on the Rollout. */
  recordAction(rollout: Rollout, message: string): Promise<void>;
}

export function kubernetesRolloutWriter(kc: KubeConfig, reportingInstance: string): RolloutWriter {
  const api = jsonApi(kc);
  const clients = { core: new CoreClient(api), custom: new CustomObjectsClient(api) };
  const merge = PatchStrategy.MergePatch;
  return {
    async request(rollout, action) {
      await clients.custom.patchNamespacedCustomObject(
        {
          ...rolloutRef,
          namespace: rollout.metadata.namespace!,
          name: rollout.metadata.name!,
          body: actionPatch(action),
        },
        merge,
      );
    },
    async recordAction(rollout, message) {
      // Written before the answer, unlike the reconciles' Events: the person who clicked is told if it failed.
      await clients.core.createNamespacedEvent({
        namespace: rollout.metadata.namespace!,
        body: rolloutEvent(rollout, { type: 'Normal', reason: dashboardActionReason, message }, reportingInstance),
      });
    },
  };
}
