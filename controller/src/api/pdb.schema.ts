/** spec.pdb: the PodDisruptionBudget Sluice keeps over a Rollout's pods (controller/src/reconcile/pdb.ts). */
import { Type } from 'typebox';
import { celRules, object } from './common.schema.ts';

const budget = (description: string) =>
  Type.Union([Type.Integer(), Type.String()], {
    description,
    'x-kubernetes-int-or-string': true,
    ...celRules({
      rule: "type(self) == int ? self >= 0 && self <= 10000 : self.matches('^([0-9]|[1-9][0-9]|100)%$')",
      message: 'a number of pods from 0 to 10000, or a percentage from 0% to 100%',
    }),
  });

export const podDisruptionBudget = object(
  "A PodDisruptionBudget that Sluice keeps for the Rollout's pods, of every revision (named after the Rollout, owned by it, removed with the field): drains and evictions never take more of them at once. Exactly one of minAvailable or maxUnavailable.",
  {
    minAvailable: Type.Optional(budget('Pods (or a percentage of them) that must stay available.')),
    maxUnavailable: Type.Optional(budget('Pods (or a percentage of them) that may be unavailable at once.')),
  },
  celRules({
    rule: '(has(self.minAvailable) ? 1 : 0) + (has(self.maxUnavailable) ? 1 : 0) == 1',
    message: 'pdb has exactly one of minAvailable or maxUnavailable',
  }),
);
