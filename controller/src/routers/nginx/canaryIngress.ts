/**
 * The canary Ingress that Sluice keeps beside the user's stable Ingress (ingress-nginx's canary feature, as Argo
 * Rollouts does it): its name, its rules cloned from the stable Ingress with the stable Service swapped for the
 * canary one, and the annotations that carry the weight and the header route. Pure: the router (ingressRouter.ts)
 * reads the caches and writes.
 */
import type { Rollout } from '../../api/types.ts';
import type { KubeObject } from '../../kube/objectStore.ts';
import { revisionOf } from '../../planner/revision.ts';
import { ownedBy, rolloutLabel } from '../../workload/names.ts';
import { canonicalMatch, type ManagedRoute } from '../managedRoutes.ts';

export const nginxPrefix = 'nginx.ingress.kubernetes.io/';
export const canaryAnnotation = `${nginxPrefix}canary`;
export const weightAnnotation = `${nginxPrefix}canary-weight`;
export const weightTotalAnnotation = `${nginxPrefix}canary-weight-total`;
export const byHeaderAnnotation = `${nginxPrefix}canary-by-header`;
export const byHeaderValueAnnotation = `${nginxPrefix}canary-by-header-value`;
export const byHeaderPatternAnnotation = `${nginxPrefix}canary-by-header-pattern`;
/**
 * The managed header route as Sluice wrote it (JSON {name, match}). The nginx annotations hold neither the route's
 * name nor whether a pattern came from a prefix or a regex; this record does, and it counts only while the nginx
 * annotations are exactly those it implies (a hand edit of them reads back as a different route).
 */
export const headerRouteAnnotation = 'sluice.dev/header-route';
/** The legacy class annotation: an Ingress selected by it must have a canary selected the same way. */
export const legacyClassAnnotation = 'kubernetes.io/ingress.class';

/** A Kubernetes object name (DNS subdomain) has at most 253 characters. */
const maxName = 253;

/**
 * `<rollout>-<stableIngress>-canary`; when that passes 253 characters, its start, a hash of the whole name (so two
 * long names that share a start still differ) and `-canary`.
 */
export function canaryIngressName(rollout: string, stableIngress: string): string {
  const full = `${rollout}-${stableIngress}-canary`;
  if (full.length <= maxName) return full;
  const hash = revisionOf(full);
  const start = full.slice(0, maxName - hash.length - '--canary'.length).replace(/[-.]+$/, '');
  return `${start}-${hash}-canary`;
}

export interface IngressBackend {
  service?: { name?: string; port?: { number?: number; name?: string } };
  resource?: unknown;
}
export interface IngressPath {
  path?: string;
  pathType?: string;
  backend?: IngressBackend;
}
export interface IngressRule {
  host?: string;
  http?: { paths?: IngressPath[] };
}
export interface Ingress extends KubeObject {
  metadata?: KubeObject['metadata'] & {
    uid?: string;
    annotations?: Record<string, string>;
    labels?: Record<string, string>;
    ownerReferences?: { uid?: string; controller?: boolean }[];
  };
  spec?: { ingressClassName?: string; rules?: IngressRule[] };
}

const list = <T>(value: unknown): T[] => (Array.isArray(value) ? (value as T[]) : []);

/**
 * The stable Ingress's rules, keeping only the paths whose backend is the stable Service, with that backend
 * swapped for the canary Service (same port). ingress-nginx pairs a canary Ingress with the main one by host and
 * path, so the canary mirrors the stable's routing; paths to other Services are not the Rollout's to split.
 * Empty when no path sends to the stable Service.
 */
export function canaryRules(stable: Ingress, stableService: string, canaryService: string): IngressRule[] {
  return list<IngressRule>(stable.spec?.rules).flatMap((rule) => {
    const paths = list<IngressPath>(rule?.http?.paths)
      .filter((p) => p?.backend?.service?.name === stableService)
      .map((p) => {
        const copy = structuredClone(p);
        copy.backend!.service!.name = canaryService;
        return copy;
      });
    if (paths.length === 0) return [];
    return [{ ...(typeof rule.host === 'string' ? { host: rule.host } : {}), http: { paths } }];
  });
}

/** JSON with object keys sorted, so that the API server's field order never makes two equal rules differ. */
export function sameJson(a: unknown, b: unknown): boolean {
  const canonical = (value: unknown): string => {
    if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
    if (value !== null && typeof value === 'object')
      return `{${Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .sort(([x], [y]) => (x < y ? -1 : 1))
        .map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`)
        .join(',')}}`;
    return JSON.stringify(value);
  };
  return canonical(a) === canonical(b);
}

/** A PCRE pattern matching the characters of `text` literally. */
export function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/**
 * What ingress-nginx's annotation validation accepts in canary-by-header-value (its BasicCharsRegex: letters,
 * digits and / . - _ ~ :). An exact value with other characters is written as an anchored, escaped pattern instead.
 */
const basicChars = /^[/a-zA-Z0-9._~:-]+$/;

/**
 * The annotations of a header route. ingress-nginx takes one header per canary Ingress (the spec check allows one
 * route with one match). Its pattern is searched for anywhere in the value, so a Sluice regex (the whole value) is
 * anchored, and a prefix becomes `^<escaped prefix>.*`.
 */
export function headerAnnotations(route: ManagedRoute): Record<string, string> {
  const [match] = canonicalMatch(route.match);
  if (match === undefined) return {};
  const { exact, prefix, regex } = match.headerValue;
  const value: Record<string, string> =
    exact !== undefined
      ? basicChars.test(exact)
        ? { [byHeaderValueAnnotation]: exact }
        : { [byHeaderPatternAnnotation]: `^${escapeRegex(exact)}$` }
      : prefix !== undefined
        ? { [byHeaderPatternAnnotation]: `^${escapeRegex(prefix)}.*` }
        : { [byHeaderPatternAnnotation]: `^(?:${regex})$` };
  return {
    [byHeaderAnnotation]: match.headerName,
    ...value,
    [headerRouteAnnotation]: JSON.stringify({ name: route.name, match: [match] }),
  };
}

/**
 * The annotations Sluice sets on the canary Ingress. The user's other stable annotations are not copied: on a
 * canary Ingress ingress-nginx ignores all but the canary ones and a few (load-balance, upstream-hash-by, session
 * affinity), taking the rest from the main Ingress; additionalIngressAnnotations is the way to set those few.
 * They are left out while the intent sends nothing to the canary (at rest, after promotion and on abort), so that
 * an additional rule such as canary-by-cookie cannot keep routing to an aborted canary.
 */
export function desiredAnnotations(
  canaryWeight: number,
  routes: readonly ManagedRoute[],
  additional: Readonly<Record<string, string>>,
  legacyClass: string | undefined,
): Record<string, string> {
  const routing = canaryWeight > 0 || routes.length > 0;
  const header = routes.find((r) => r.kind === 'header');
  return {
    ...(routing ? additional : {}),
    ...(legacyClass === undefined ? {} : { [legacyClassAnnotation]: legacyClass }),
    [canaryAnnotation]: 'true',
    [weightAnnotation]: String(canaryWeight),
    [weightTotalAnnotation]: '100',
    ...(header === undefined ? {} : headerAnnotations(header)),
  };
}

/** The annotation keys Sluice manages on the canary Ingress: those absent from the desired set are removed. */
export function isManagedAnnotation(key: string): boolean {
  return key.startsWith(nginxPrefix) || key === headerRouteAnnotation || key === legacyClassAnnotation;
}

const wholeNumber = (value: string | undefined): number | undefined =>
  value !== undefined && /^\d{1,9}$/.test(value.trim()) ? Number(value.trim()) : undefined;

/** The canary's share in whole percent as ingress-nginx reads the annotations; 0 when it is not marked canary. */
export function canaryWeightOf(annotations: Readonly<Record<string, string>>): number {
  if (annotations[canaryAnnotation] !== 'true') return 0;
  const weight = wholeNumber(annotations[weightAnnotation]) ?? 0;
  const total = wholeNumber(annotations[weightTotalAnnotation]) ?? 100;
  return total === 0 ? 0 : Math.min(100, Math.round((weight * 100) / total));
}

/** The header route the annotations carry, in canonical form; a hand-edited one reads back as a different route. */
export function headerRouteOf(annotations: Readonly<Record<string, string>>): ManagedRoute[] {
  const header = annotations[byHeaderAnnotation];
  if (annotations[canaryAnnotation] !== 'true' || header === undefined || header === '') return [];
  let recorded: ManagedRoute | undefined;
  try {
    const parsed = JSON.parse(annotations[headerRouteAnnotation] ?? 'null') as { name?: unknown; match?: unknown };
    if (typeof parsed?.name === 'string' && Array.isArray(parsed.match))
      recorded = { kind: 'header', name: parsed.name, match: canonicalMatch(parsed.match as never) };
  } catch {
    recorded = undefined; // hand-edited: read the nginx annotations alone
  }
  if (recorded !== undefined) {
    const implied = headerAnnotations(recorded);
    const keys = [byHeaderAnnotation, byHeaderValueAnnotation, byHeaderPatternAnnotation];
    if (keys.every((k) => implied[k] === annotations[k])) return [recorded];
  }
  const exact = annotations[byHeaderValueAnnotation];
  const pattern = annotations[byHeaderPatternAnnotation];
  const headerValue = exact !== undefined && exact !== '' ? { exact } : { regex: pattern ?? '' };
  return [{ kind: 'header', name: recorded?.name ?? '', match: [{ headerName: header.toLowerCase(), headerValue }] }];
}

/** The canary Ingress as Sluice creates it: owned by the Rollout (the garbage collector removes it with it). */
export function buildCanaryIngress(
  rollout: Rollout,
  name: string,
  stable: Ingress,
  rules: IngressRule[],
  annotations: Record<string, string>,
): Ingress {
  const className = stable.spec?.ingressClassName;
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      name,
      namespace: rollout.metadata.namespace!,
      labels: { [rolloutLabel]: rollout.metadata.name! },
      annotations,
      ownerReferences: ownedBy(rollout),
    },
    // No tls: ingress-nginx serves a canary with the main Ingress's TLS, so the Secret reference is not needed.
    spec: { ...(typeof className === 'string' ? { ingressClassName: className } : {}), rules },
  };
}
