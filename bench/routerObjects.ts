/**
 * The router objects of the reaction benchmark's apps, one entry per `--router`: how to create the user's object
 * for app `<name>` at 100% on `<name>-stable` (as the stories in test/integration/router*.test.ts do), the
 * spec.trafficRouting that points the Rollout at it, and how to read the canary's share back from a watch event
 * of that kind. gatewayAPI (an HTTPRoute) is the default, so results stay comparable with the earlier runs.
 */
import type { RolloutSpec } from '../controller/src/api/types.ts';
import { httpRoute, type Kube } from './kube.ts';

export const benchRouters = ['gatewayAPI', 'grpcRoute', 'istio', 'istioSubsets', 'nginx', 'smi'] as const;
export type BenchRouter = (typeof benchRouters)[number];

/** A kind the benchmark lists and watches: CustomObjectsApi takes any group's path, built-in ones included. */
export interface WatchedKind {
  group: string;
  version: string;
  plural: string;
}

/** One object the user creates for an app, and where it goes. */
export interface UserObject {
  ref: WatchedKind;
  body: { apiVersion: string; kind: string; metadata: { name: string }; spec: object };
}

export interface RouterObjects {
  /** What the report calls the object that carries the weight. */
  object: string;
  /** The kind whose watch events carry the weight. */
  kind: WatchedKind;
  trafficRouting(name: string): NonNullable<RolloutSpec['trafficRouting']>;
  /** The router object(s) the user creates for app `name`, at 100% on `<name>-stable`. */
  objects(name: string): UserObject[];
  /**
   * The app whose canary share the object carries, and that share in whole percent (undefined when it cannot be
   * read); undefined for an object of the kind that carries no app's weight (nginx's stable Ingress).
   */
  weightOf(obj: unknown): { app: string; percent: number | undefined } | undefined;
}

interface Meta {
  metadata?: { name?: string; annotations?: Record<string, string> };
}

/** canary / (canary + stable) in whole percent; undefined when both are 0 (no share to speak of). */
const share = (canary: number, stable: number) =>
  canary + stable === 0 ? undefined : Math.round((canary * 100) / (canary + stable));

const nameOf = (obj: unknown) => (obj as Meta).metadata?.name;

/** Gateway API: the rule whose backendRefs hold `<name>-canary` (a missing weight is 1, as the API defines it). */
function gatewayWeight(obj: unknown) {
  const name = nameOf(obj);
  if (name === undefined) return undefined;
  const rules = (obj as { spec?: { rules?: { backendRefs?: { name: string; weight?: number }[] }[] } }).spec?.rules;
  const refs = (rules ?? []).find((r) => r.backendRefs?.some((b) => b.name === `${name}-canary`))?.backendRefs;
  if (refs === undefined) return { app: name, percent: undefined };
  const weight = (service: string) => refs.find((r) => r.name === service)?.weight ?? 1;
  return { app: name, percent: share(weight(`${name}-canary`), weight(`${name}-stable`)) };
}

/** An HTTPRoute as the benchmark always wrote it, or a GRPCRoute whose one rule matches a gRPC service. */
const gatewayApi = (kind: 'HTTPRoute' | 'GRPCRoute'): RouterObjects => {
  const plural = kind === 'HTTPRoute' ? 'httproutes' : 'grpcroutes';
  const ref = { group: 'gateway.networking.k8s.io', version: 'v1', plural };
  return {
    object: kind,
    kind: ref,
    trafficRouting: (name) => ({ gatewayAPI: kind === 'HTTPRoute' ? { httpRoute: name } : { grpcRoute: name } }),
    objects: (name) => {
      const route = httpRoute(name);
      if (kind === 'HTTPRoute') return [{ ref, body: route }];
      const backendRefs = route.spec.rules[0]!.backendRefs;
      const rules = [{ matches: [{ method: { service: 'shop.Checkout' } }], backendRefs }];
      return [{ ref, body: { ...route, kind, spec: { rules } } }];
    },
    weightOf: gatewayWeight,
  };
};

const istioGroup = 'networking.istio.io';

interface IstioDest {
  destination?: { host?: string; subset?: string };
  weight?: number;
}

/** Istio: the VirtualService `<name>` whose HTTP route `primary` splits, by host or by the DestinationRule's subsets. */
const istio = (subsets: boolean): RouterObjects => ({
  object: subsets ? 'VirtualService (subsets)' : 'VirtualService',
  kind: { group: istioGroup, version: 'v1', plural: 'virtualservices' },
  trafficRouting: (name) => ({
    istio: { virtualService: name, routes: ['primary'], ...(subsets ? { destinationRule: { name } } : {}) },
  }),
  objects: (name) => {
    const dest = (role: 'stable' | 'canary', weight: number) =>
      subsets
        ? { destination: { host: name, subset: role }, weight }
        : { destination: { host: `${name}-${role}`, port: { number: 80 } }, weight };
    const virtualService: UserObject = {
      ref: { group: istioGroup, version: 'v1', plural: 'virtualservices' },
      body: {
        apiVersion: `${istioGroup}/v1`,
        kind: 'VirtualService',
        metadata: { name },
        spec: {
          hosts: [`${name}.example.com`],
          http: [
            { name: 'primary', match: [{ uri: { prefix: '/' } }], route: [dest('stable', 100), dest('canary', 0)] },
          ],
        },
      },
    };
    if (!subsets) return [virtualService];
    const destinationRule: UserObject = {
      ref: { group: istioGroup, version: 'v1', plural: 'destinationrules' },
      body: {
        apiVersion: `${istioGroup}/v1`,
        kind: 'DestinationRule',
        metadata: { name },
        spec: {
          host: name,
          subsets: [
            { name: 'stable', labels: { app: name } },
            { name: 'canary', labels: { app: name } },
          ],
        },
      },
    };
    return [virtualService, destinationRule];
  },
  weightOf: (obj) => {
    const name = nameOf(obj);
    if (name === undefined) return undefined;
    const http = (obj as { spec?: { http?: { name?: string; route?: IstioDest[] }[] } }).spec?.http ?? [];
    const route = http.find((r) => r.name === 'primary')?.route ?? [];
    const isCanary = (d: IstioDest) =>
      subsets ? d.destination?.subset === 'canary' : d.destination?.host === `${name}-canary`;
    const canary = route.find(isCanary)?.weight ?? 0;
    const stable = route.find((d) => !isCanary(d))?.weight ?? 0;
    return { app: name, percent: share(canary, stable) };
  },
});

const nginxPrefix = 'nginx.ingress.kubernetes.io/';
/** Sluice's canary Ingress beside the stable Ingress `<name>`: `<rollout>-<stableIngress>-canary`. */
const canaryIngress = /^(.+)-\1-canary$/;

/** ingress-nginx: the user's stable Ingress `<name>`; Sluice keeps the canary Ingress and its canary-weight. */
const nginx: RouterObjects = {
  object: 'canary Ingress',
  kind: { group: 'networking.k8s.io', version: 'v1', plural: 'ingresses' },
  trafficRouting: (name) => ({ nginx: { stableIngress: name } }),
  objects: (name) => [
    {
      ref: { group: 'networking.k8s.io', version: 'v1', plural: 'ingresses' },
      body: {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        metadata: { name },
        spec: {
          ingressClassName: 'nginx',
          rules: [
            {
              host: `${name}.example.com`,
              http: {
                paths: [
                  {
                    path: '/',
                    pathType: 'Prefix',
                    backend: { service: { name: `${name}-stable`, port: { number: 80 } } },
                  },
                ],
              },
            },
          ],
        },
      },
    },
  ],
  weightOf: (obj) => {
    const app = canaryIngress.exec(nameOf(obj) ?? '')?.[1];
    if (app === undefined) return undefined;
    const annotations = (obj as Meta).metadata?.annotations ?? {};
    const weight = Number(annotations[`${nginxPrefix}canary-weight`] ?? 0);
    const total = Number(annotations[`${nginxPrefix}canary-weight-total`] ?? 100);
    return {
      app,
      percent: Number.isFinite(weight) && Number.isFinite(total) ? share(weight, total - weight) : undefined,
    };
  },
};

/** SMI: the TrafficSplit `<name>` for the root service `<name>`, with the -stable and -canary backends. */
const smi: RouterObjects = {
  object: 'TrafficSplit',
  kind: { group: 'split.smi-spec.io', version: 'v1alpha2', plural: 'trafficsplits' },
  trafficRouting: (name) => ({ smi: { trafficSplitName: name } }),
  objects: (name) => [
    {
      ref: { group: 'split.smi-spec.io', version: 'v1alpha2', plural: 'trafficsplits' },
      body: {
        apiVersion: 'split.smi-spec.io/v1alpha2',
        kind: 'TrafficSplit',
        metadata: { name },
        spec: {
          service: name,
          backends: [
            { service: `${name}-stable`, weight: 100 },
            { service: `${name}-canary`, weight: 0 },
          ],
        },
      },
    },
  ],
  weightOf: (obj) => {
    const name = nameOf(obj);
    if (name === undefined) return undefined;
    const backends = (obj as { spec?: { backends?: { service: string; weight?: number }[] } }).spec?.backends ?? [];
    const weight = (service: string) => backends.find((b) => b.service === service)?.weight ?? 0;
    return { app: name, percent: share(weight(`${name}-canary`), weight(`${name}-stable`)) };
  },
};

export const routerObjects: Record<BenchRouter, RouterObjects> = {
  gatewayAPI: gatewayApi('HTTPRoute'),
  grpcRoute: gatewayApi('GRPCRoute'),
  istio: istio(false),
  istioSubsets: istio(true),
  nginx,
  smi,
};

/** Creates the router object(s) of app `name` in `namespace`. */
export async function createRouterObjects(kube: Kube, router: RouterObjects, namespace: string, name: string) {
  for (const { ref, body } of router.objects(name))
    await kube.custom.createNamespacedCustomObject({ ...ref, namespace, body });
}

export const isBenchRouter = (s: string): s is BenchRouter => (benchRouters as readonly string[]).includes(s);
