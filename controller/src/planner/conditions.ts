/** metav1.Condition bookkeeping: a condition's lastTransitionTime changes only when its status does. */
import type { Condition } from '../api/types.ts';

export type ConditionType =
  'Healthy' | 'Progressing' | 'Paused' | 'InvalidSpec' | 'AutoscalerOnDeployment' | 'ActionRefused' | 'Restarting';

export interface ConditionValue {
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
}

/** The order conditions are listed in, whatever order they were set in. */
const order: readonly ConditionType[] = [
  'Healthy',
  'Progressing',
  'Paused',
  'InvalidSpec',
  'AutoscalerOnDeployment',
  'ActionRefused',
  'Restarting',
];

/** Returns the conditions with `type` set to `value`, keeping the transition time when the status is unchanged. */
export function setCondition(
  conditions: readonly Condition[],
  type: ConditionType,
  value: ConditionValue,
  now: Date,
  observedGeneration: number | undefined,
): Condition[] {
  const previous = conditions.find((c) => c.type === type);
  const next: Condition = {
    type,
    status: value.status,
    reason: value.reason,
    message: value.message,
    lastTransitionTime:
      previous !== undefined && previous.status === value.status ? previous.lastTransitionTime : now.toISOString(),
    ...(observedGeneration === undefined ? {} : { observedGeneration }),
  };
  return [...conditions.filter((c) => c.type !== type), next].sort(
    (a, b) => order.indexOf(a.type as ConditionType) - order.indexOf(b.type as ConditionType),
  );
}
