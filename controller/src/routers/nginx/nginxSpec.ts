/**
 * What the nginx router can carry out beyond the schema: ingress-nginx holds one header rule per canary Ingress,
 * and the canary annotations are Sluice's to set. The module's specError: a spec it cannot carry out is InvalidSpec
 * naming the field, and nothing is written but an abort's weight 0.
 */
import { managedRoutesAt, readableSteps } from '../../api/steps.ts';
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

const token = /^[A-Za-z0-9_.-]{1,255}$/;
const bool = /^(true|false)$/;
const seconds = /^\d{1,9}$/;

/**
 * The annotations additionalIngressAnnotations may set, each with the values it takes: those ingress-nginx reads on
 * a canary Ingress (canary-by-cookie, and as its docs say load-balance, upstream-hash-by and session affinity; it
 * takes every other annotation from the main Ingress). An allow-list, not a deny-list: Sluice creates the Ingress
 * with its own rights, so a user who may edit Rollouts but not Ingresses must not reach nginx configuration through
 * it (configuration-snippet, server-snippet, auth-url to a server of theirs...). The value patterns follow
 * ingress-nginx's own annotation validation, and keep quotes, semicolons, braces and newlines out of nginx.conf.
 */
export const allowedAnnotations: Readonly<Record<string, RegExp>> = Object.fromEntries(
  Object.entries({
    'canary-by-cookie': token,
    'load-balance': /^(round_robin|ewma)$/,
    // An nginx variable or a text of them, as ingress-nginx's NGINXVariable check takes.
    'upstream-hash-by': /^[A-Za-z0-9_${}-]{1,255}$/,
    'upstream-hash-by-subset': bool,
    'upstream-hash-by-subset-size': seconds,
    affinity: /^cookie$/,
    'affinity-mode': /^(balanced|persistent)$/,
    'affinity-canary-behavior': /^(sticky|legacy)$/,
    'session-cookie-name': token,
    'session-cookie-path': /^\/[A-Za-z0-9/._~-]{0,254}$/,
    'session-cookie-domain': token,
    'session-cookie-expires': seconds,
    'session-cookie-max-age': seconds,
    'session-cookie-samesite': /^(None|Lax|Strict)$/,
    'session-cookie-conditional-samesite-none': bool,
    'session-cookie-secure': bool,
    'session-cookie-change-on-failure': bool,
  }).map(([key, value]) => [`${nginxPrefix}${key}`, value]),
);

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
    const pattern = allowedAnnotations[key];
    if (pattern === undefined)
      return message(
        `is not one ingress-nginx reads on a canary Ingress (it takes the rest from the main Ingress): use one of ${Object.keys(allowedAnnotations).join(', ')}`,
      );
    if (!pattern.test(value))
      return message(
        `has a value ingress-nginx would not take: ${JSON.stringify(value.slice(0, 64))} is not ${pattern.source}`,
      );
  }
  return undefined;
}

/** At most one header route with one match in force at any step, in a form ingress-nginx can express. */
function headerRoutesError(rollout: Rollout): SpecProblem | undefined {
  const steps = readableSteps(rollout.spec);
  if (steps === undefined) return undefined;
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
