/** Rollouts, channels and notifications for the notification tests. */
import type { NotificationChannel, Rollout, RolloutStatus } from '../api/types.ts';
import type { RolloutNotification } from './detect.ts';

export function rolloutWith(
  status: RolloutStatus = {},
  notifications: Rollout['spec']['notifications'] = undefined,
  namespace = 'shop',
): Rollout {
  return {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'Rollout',
    metadata: { name: 'checkout', namespace, uid: 'uid-1' },
    spec: {
      strategy: {
        canary: { steps: [{ setWeight: 10 }, { analysis: { templates: [{ templateName: 'error-rate' }] } }] },
      },
      ...(notifications === undefined ? {} : { notifications }),
    },
    status,
  };
}

export function channel(name: string, spec: NotificationChannel['spec']): NotificationChannel {
  return { apiVersion: 'sluice.dev/v1alpha1', kind: 'NotificationChannel', metadata: { name }, spec };
}

export const aborted: RolloutNotification = {
  id: '0123456789abcdef0123456789abcdef',
  event: 'Aborted',
  rollout: { namespace: 'shop', name: 'checkout', uid: 'uid-1', revision: '7f6b5c4d2' },
  reason: 'Aborted',
  message: 'step 2/2 (analysis) failed: error-rate failed; all traffic is back on stable 5d8c7b9f4',
  failedMetric: { name: 'error-rate', value: '0.31', condition: 'failure when result >= 0.1' },
  time: '2026-11-30T12:00:00.000Z',
};
