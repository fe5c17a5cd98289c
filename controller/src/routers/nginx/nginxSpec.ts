/**
 * What the nginx router can carry out beyond the schema: ingress-nginx holds one header rule per canary Ingress,
 * and the canary annotations are Sluice's to set. Checked on every observe(), so a spec it cannot carry out is
 * InvalidSpec naming the field, and nothing is written.
 */
import { managedRoutesAt, resolveSteps } from '../../api/steps.ts';
import type { Rollout } from '../../api/types.ts';
import {
  byHeaderAnnotation,
  canaryAnnotation,
  nginxPrefix,
  weightAnnotation,
  weightTotalAnnotation,
} from './canaryIngress.ts';

/** A part of the spec the router cannot carry out, and how to fix it. */
export interface SpecProblem {
  field: string;
  message: string;
}

export const additionalField = 'spec.trafficRouting.nginx.additionalIngressAnnotations';

/** ingress-nginx reads the header as the nginx variable $http_<name, dashes as underscores>. */
const headerNameChars = /^[A-Za-z0-9_-]+$/;

function additionalAnnotationsError(rollout: Rollout): SpecProblem | undefined {
  const additional = rollout.spec.trafficRouting?.nginx?.additionalIngressAnnotations ?? {};
  for (const [key, value] of Object.entries(additional)) {
    const message = (why: string) => ({ field: additionalField, message: `annotation ${JSON.stringify(key)} ${why}` });
    if (typeof value !== 'string') return message('has a value that is not a string: quote it');
    if (!key.startsWith(nginxPrefix) || key.length === nginxPrefix.length)
      return message(`is not an ingress-nginx annotation: use keys under ${nginxPrefix}`);
    const own = [canaryAnnotation, weightAnnotation, weightTotalAnnotation];
    if (own.includes(key) || key.startsWith(byHeaderAnnotation))
      return message(
        'is set by Sluice (the weight and the header route come from the steps): remove it and use setWeight or setHeaderRoute steps',
      );
  }
  return undefined;
}

/** At most one header route with one match in force at any step, in a form ingress-nginx can express. */
function headerRoutesError(rollout: Rollout): SpecProblem | undefined {
  let steps;
  try {
    steps = resolveSteps(rollout.spec);
  } catch {
    return undefined; // the spec's validation names the step that cannot be read
  }
  for (const step of steps) {
    if (step.kind !== 'setHeaderRoute' || step.route === undefined) continue;
    const field = `${step.field}.setHeaderRoute.match`;
    if (step.route.match.length !== 1)
      return {
        field,
        message: `ingress-nginx matches one header per canary Ingress: give setHeaderRoute ${step.name} exactly one match (found ${step.route.match.length})`,
      };
    const [match] = step.route.match;
    if (!headerNameChars.test(match!.headerName))
      return {
        field: `${field}[0].headerName`,
        message: `ingress-nginx reads a header by a name of letters, digits, - and _ only: rename header ${JSON.stringify(match!.headerName)}`,
      };
    if (match!.headerValue.exact === '')
      return {
        field: `${field}[0].headerValue.exact`,
        message:
          'ingress-nginx treats an empty header value as no value (only "always" and "never" would then route): match a non-empty value or use a regex',
      };
  }
  const order = rollout.spec.trafficRouting?.managedRoutes ?? [];
  for (const step of steps) {
    const inForce = managedRoutesAt(steps, step.index, order);
    if (inForce.length > 1)
      return {
        field: step.field,
        message: `ingress-nginx holds one header route per canary Ingress, and this step puts ${inForce.length} in force (${inForce.map((r) => r.name).join(', ')}): remove the earlier route (setHeaderRoute {name} without match) first`,
      };
  }
  return undefined;
}

/** The first part of the nginx spec the router cannot carry out, or undefined. */
export function nginxSpecError(rollout: Rollout): SpecProblem | undefined {
  return additionalAnnotationsError(rollout) ?? headerRoutesError(rollout);
}
