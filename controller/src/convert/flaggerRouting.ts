/**
 * A Flagger Canary's spec.service and spec.provider, as Sluice's spec.service and spec.trafficRouting, plus the
 * router object Sluice needs. Flagger generates the router object itself (a VirtualService, an HTTPRoute, a
 * TrafficSplit) and three Services (<apex>, <apex>-primary, <apex>-canary); Sluice has two Services (a canary's
 * <rollout>-stable and <rollout>-canary, a blue-green's active and preview ones) and patches a router object that
 * the user owns. So for the routers Sluice has, the conversion writes that object, pointed at Sluice's Services,
 * and says what else the user must change.
 */
import type { KubeManifest } from './conversion.ts';
import type { Fields, Json } from './flaggerFields.ts';

/** Which Sluice router a Flagger provider maps to; undefined when Sluice has none for it. */
export type SluiceRouter = 'istio' | 'nginx' | 'gatewayAPI' | 'smi';

export interface RoutingResult {
  router: SluiceRouter | undefined;
  service: Json | undefined;
  trafficRouting: Json | undefined;
  objects: KubeManifest[];
  /** The Flagger provider as written (after defaults), for the builtin metrics' PromQL. */
  provider: string | undefined;
}

/** The route that Sluice splits in the VirtualService it is given; Flagger's own name for it. */
export const istioRouteName = 'primary';

const unsupportedProviders: Record<string, string> = {
  contour: 'Contour HTTPProxy',
  gloo: 'Gloo Edge',
  skipper: 'Skipper',
  traefik: 'Traefik',
  apisix: 'Apache APISIX',
  kuma: 'Kuma',
  appmesh: 'AWS App Mesh',
  knative: 'Knative',
};

export function routerOf(provider: string): SluiceRouter | 'kubernetes' | undefined {
  if (provider === 'istio') return 'istio';
  if (provider === 'nginx') return 'nginx';
  if (provider.startsWith('gatewayapi')) return 'gatewayAPI';
  if (provider === 'linkerd' || provider === 'osm' || provider.startsWith('smi')) return 'smi';
  if (provider === 'kubernetes') return 'kubernetes';
  return undefined;
}

/** Routing fields that only Flagger's generated router object would use, by the providers that read them. */
const routeFields = ['hosts', 'gateways', 'gatewayRefs', 'match', 'rewrite', 'retries', 'headers', 'corsPolicy'];

export interface CanaryNames {
  namespace: string | undefined;
  /** Flagger's apex Service: spec.service.name, else the target's name. Clients call it. */
  apex: string;
  /** Sluice's Service of the serving revision, which the router sends to (<rollout>-stable, or blue-green's active). */
  stable: string;
  /** Sluice's Service of the new revision (<rollout>-canary, or blue-green's preview). */
  canary: string;
  /** Blue-green switches at once: without a router it moves the active Service's selector, not a replica ratio. */
  blueGreen: boolean;
}

function meta(name: string, namespace: string | undefined): KubeManifest['metadata'] {
  return namespace === undefined ? { name } : { name, namespace };
}

/**
 * Reads spec.service and spec.provider. `spec` is the Canary's spec reader; its `service` and `provider` keys are
 * read here, the rest by the caller.
 */
export function convertRouting(spec: Fields, names: CanaryNames): RoutingResult {
  const drops = spec.drops;
  const provider = spec.str('provider');
  const svc = spec.obj('service');
  const port = svc?.int('port', 1, 65535);
  const targetPort = svc?.has('targetPort') === true ? svc.raw('targetPort') : undefined;
  const service: Json | undefined =
    port === undefined ? undefined : targetPort === undefined ? { port } : { port, targetPort };
  if (svc !== undefined && port === undefined)
    drops.add(svc.at('port'), 'Flagger requires service.port; without it Sluice has no port for its Services');
  if (targetPort !== undefined && typeof targetPort !== 'number' && typeof targetPort !== 'string')
    drops.add(svc!.at('targetPort'), 'expected a port number or name: not converted');
  svc?.str('name');
  const { stable, canary } = names;
  if (svc !== undefined) {
    const sluices =
      stable === names.apex
        ? `Sluice creates ${canary} and creates or takes over ${stable}, its active Service. Delete the Canary before applying the Rollout`
        : `Sluice creates ${stable} and ${canary}. Delete the Canary before applying the Rollout, and keep a Service ${names.apex} for the clients that call it`;
    drops.add(
      svc.path,
      `action: Flagger generates Services ${names.apex}, ${names.apex}-primary and ${names.apex}-canary, which go when the Canary is deleted; ${sluices}`,
    );
    svc.drop('portName', 'Sluice names the port of its Services itself');
    svc.drop('appProtocol', 'Sluice does not set appProtocol on its Services');
    svc.drop('portDiscovery', 'Sluice Services carry only service.port and targetPort');
    for (const k of ['apex', 'primary', 'canary'])
      svc.drop(k, "labels and annotations for Flagger's generated Services: Sluice sets its own Services' metadata");
    svc.drop('backends', 'Flagger adds these hosts to its generated routes: add them to your router object');
    svc.drop(
      'trafficPolicy',
      `Flagger writes it into DestinationRules for -primary and -canary: create DestinationRules for ${stable} and ${canary} with it`,
    );
    svc.drop('delegation', 'a delegate VirtualService is not converted: write the root VirtualService by hand');
  }

  const empty = { router: undefined, service, trafficRouting: undefined, objects: [], provider };
  // Without a router a canary splits by replica ratio; blue-green switches the active Service's selector.
  const unrouted = names.blueGreen
    ? `the Rollout switches the selector of its active Service ${stable}`
    : 'the Rollout splits traffic by replica ratio';
  if (provider === undefined) {
    drops.add(
      spec.at('provider'),
      `not set: Flagger then uses its --mesh-provider flag, which the conversion cannot see. ${unrouted}; set spec.trafficRouting for your mesh (Sluice's routers: istio, nginx, gatewayAPI, smi)`,
    );
    dropRouteFields(svc, 'no provider was converted');
    return empty;
  }
  const router = routerOf(provider);
  if (router === 'kubernetes') {
    // Flagger's Kubernetes provider is blue-green through Services alone, which is Sluice's blue-green unrouted.
    dropRouteFields(svc, 'provider kubernetes switches Services and has no router object');
    return empty;
  }
  if (router === undefined) {
    const family = provider.split(':')[0]!;
    const what = Object.hasOwn(unsupportedProviders, family) ? unsupportedProviders[family]! : provider;
    drops.add(
      spec.at('provider'),
      names.blueGreen
        ? `Sluice has no ${what} router: ${unrouted}, which is what your ${what} route must send to. Use one of Sluice's routers (istio, nginx, gatewayAPI, smi) to switch there`
        : `Sluice has no ${what} router: ${unrouted}. Use one of Sluice's routers (istio, nginx, gatewayAPI, smi) to split by weight`,
    );
    dropRouteFields(svc, `provider ${provider} was not converted`);
    return empty;
  }
  const base = { router, service, provider };
  const portNumber = port ?? 80;
  switch (router) {
    case 'istio':
      return { ...base, ...istio(svc, names, portNumber) };
    case 'gatewayAPI':
      return { ...base, ...gatewayApi(svc, names, portNumber, provider) };
    case 'nginx':
      return { ...base, ...nginx(spec, svc, names) };
    case 'smi':
      return { ...base, ...smi(svc, names, provider) };
  }
}

function dropRouteFields(svc: Fields | undefined, why: string): void {
  for (const k of [...routeFields, 'timeout']) svc?.drop(k, `used by Flagger's generated router object; ${why}`);
}

type Routed = Pick<RoutingResult, 'trafficRouting' | 'objects'>;

function istio(svc: Fields | undefined, names: CanaryNames, port: number): Routed {
  const hosts = stringList(svc, 'hosts');
  const gateways = stringList(svc, 'gateways');
  const route: Json = { name: istioRouteName };
  for (const k of ['match', 'rewrite', 'retries', 'headers', 'corsPolicy']) {
    const v = svc?.raw(k);
    if (v !== undefined) route[k] = v;
  }
  const timeout = svc?.duration('timeout');
  if (timeout !== undefined) route.timeout = timeout;
  svc?.drop('gatewayRefs', 'Gateway API parents are not used by the istio provider');
  route.route = [
    { destination: { host: names.stable, port: { number: port } }, weight: 100 },
    { destination: { host: names.canary, port: { number: port } }, weight: 0 },
  ];
  const virtualService: KubeManifest = {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: meta(names.apex, names.namespace),
    spec: {
      hosts: [names.apex, ...hosts.filter((h) => h !== names.apex)],
      ...(gateways.length === 0 ? {} : { gateways }),
      http: [route],
    },
  };
  return {
    trafficRouting: { istio: { virtualService: names.apex, routes: [istioRouteName] } },
    objects: [virtualService],
  };
}

function gatewayApi(svc: Fields | undefined, names: CanaryNames, port: number, provider: string): Routed {
  const version = provider.split(':')[1] ?? 'v1';
  const parentRefs = svc?.list('gatewayRefs') ?? [];
  const hostnames = stringList(svc, 'hosts');
  const timeout = svc?.duration('timeout');
  for (const k of ['match', 'rewrite', 'retries', 'headers', 'corsPolicy'])
    svc?.drop(k, 'not converted for Gateway API: add the matching match or filter to the HTTPRoute rule by hand');
  svc?.drop('gateways', 'Istio gateways are not used by the gatewayapi provider (it reads gatewayRefs)');
  const rule: Json = {
    backendRefs: [
      { name: names.stable, port, weight: 100 },
      { name: names.canary, port, weight: 0 },
    ],
  };
  if (timeout !== undefined) rule.timeouts = { request: timeout };
  const httpRoute: KubeManifest = {
    apiVersion: `gateway.networking.k8s.io/${version === 'v1beta1' || version === 'v1alpha2' ? version : 'v1'}`,
    kind: 'HTTPRoute',
    metadata: meta(names.apex, names.namespace),
    spec: {
      ...(parentRefs.length === 0 ? {} : { parentRefs }),
      ...(hostnames.length === 0 ? {} : { hostnames }),
      rules: [rule],
    },
  };
  return { trafficRouting: { gatewayAPI: { httpRoute: names.apex } }, objects: [httpRoute] };
}

function nginx(spec: Fields, svc: Fields | undefined, names: CanaryNames): Routed {
  dropRouteFields(svc, 'the nginx provider routes through your Ingress');
  const ref = spec.obj('ingressRef');
  const ingress = ref?.str('name');
  ref?.str('apiVersion');
  ref?.str('kind');
  ref?.dropRest();
  if (ingress === undefined) {
    spec.drops.add(
      spec.at('ingressRef'),
      'the nginx provider needs ingressRef.name: set trafficRouting.nginx.stableIngress',
    );
    return { trafficRouting: undefined, objects: [] };
  }
  spec.drops.add(
    ref!.at('name'),
    `action: Flagger's Ingress ${ingress} sends to Service ${names.apex}; for Sluice its backend must be ${names.stable} (Sluice adds the canary Ingress beside it)`,
  );
  return { trafficRouting: { nginx: { stableIngress: ingress } }, objects: [] };
}

function smi(svc: Fields | undefined, names: CanaryNames, provider: string): Routed {
  dropRouteFields(svc, `the ${provider} provider splits through a TrafficSplit`);
  const split: KubeManifest = {
    apiVersion: 'split.smi-spec.io/v1alpha2',
    kind: 'TrafficSplit',
    metadata: meta(names.apex, names.namespace),
    spec: {
      service: names.apex,
      backends: [
        { service: names.stable, weight: 100 },
        { service: names.canary, weight: 0 },
      ],
    },
  };
  return {
    trafficRouting: { smi: { trafficSplitName: names.apex, rootService: names.apex } },
    objects: [split],
  };
}

function stringList(f: Fields | undefined, key: string): string[] {
  const v = f?.list(key);
  if (v === undefined) return [];
  const ok = v.filter((x): x is string => typeof x === 'string' && x !== '');
  if (ok.length !== v.length) f!.drops.add(f!.at(key), 'entries that are not strings were not converted');
  return ok;
}
