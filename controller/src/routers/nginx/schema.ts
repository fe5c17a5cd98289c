/** spec.trafficRouting.nginx: the user's stable Ingress, beside which Sluice keeps a canary Ingress. */
import { Type } from 'typebox';
import { object, objectName } from '../../api/common.schema.ts';

export const nginxSchema = object(
  'ingress-nginx: Sluice adds a canary Ingress beside your stable Ingress and sets its canary-weight annotation; your Ingress is never modified.',
  {
    stableIngress: objectName(
      'Name of your Ingress with a path whose backend is <rollout>-stable. Sluice creates <rollout>-<stableIngress>-canary beside it (hash-shortened past 253 characters); an Ingress of that name it did not create is InvalidSpec.',
    ),
    additionalIngressAnnotations: Type.Optional(
      Type.Record(Type.String({ minLength: 1, maxLength: 253 }), Type.String({ maxLength: 4096 }), {
        description:
          "Extra annotations for the canary Ingress, set while the canary takes traffic: only those ingress-nginx reads on a canary Ingress (nginx.ingress.kubernetes.io/ canary-by-cookie, load-balance, upstream-hash-by, upstream-hash-by-subset[-size], affinity, affinity-mode, affinity-canary-behavior, session-cookie-*), with the values ingress-nginx takes; any other key (a snippet, auth-url...) is InvalidSpec. canary, canary-weight, canary-weight-total and canary-by-header* are Sluice's.",
        maxProperties: 16,
      }),
    ),
  },
);
