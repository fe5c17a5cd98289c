/**
 * spec.strategy.canary.trafficRouting of an Argo Rollout -> Sluice's spec.trafficRouting. Sluice drives one
 * router per Rollout: the first convertible one is kept and any other dropped. The router objects themselves
 * (VirtualService, Ingress, TrafficSplit, HTTPRoute) are not part of the input; argoRollout.ts says what in them
 * must change.
 */
import { allowedAnnotations } from '../routers/nginx/nginxSpec.ts';
import { DropList, setIf, type Fields } from './argoRead.ts';

const gatewayPlugin = 'argoproj-labs/gatewayAPI';

function istio(istio: Fields, path: string, drops: DropList): Fields | undefined {
  const many = drops.list(istio['virtualServices'], `${path}.virtualServices`);
  many
    ?.slice(1)
    .forEach((_, i) =>
      drops.drop(
        `${path}.virtualServices[${i + 1}]`,
        'Sluice sets the weights of one VirtualService per Rollout: not converted',
      ),
    );
  const vsPath = many === undefined ? `${path}.virtualService` : `${path}.virtualServices[0]`;
  const vs = many === undefined ? drops.fields(istio['virtualService'], vsPath) : many[0];
  const name = vs && drops.string(vs['name'], `${vsPath}.name`);
  const out: Fields = {};
  if (vs !== undefined && name !== undefined) {
    out['virtualService'] = name;
    const routes = vs['routes'];
    if (Array.isArray(routes) && routes.every((r) => typeof r === 'string') && routes.length > 0)
      out['routes'] = routes;
    else if (routes !== undefined) drops.drop(`${vsPath}.routes`, 'is not a list of route names');
    const tls = drops.list(vs['tlsRoutes'], `${vsPath}.tlsRoutes`)?.flatMap((route, i) => {
      // Sluice names a TLS route by any of its sniHosts; the port is not part of the name.
      if (route['port'] !== undefined)
        drops.drop(`${vsPath}.tlsRoutes[${i}].port`, 'Sluice finds a TLS route by its sniHosts alone');
      const hosts = route['sniHosts'];
      if (Array.isArray(hosts) && typeof hosts[0] === 'string') return [hosts[0]];
      drops.drop(`${vsPath}.tlsRoutes[${i}]`, 'has no sniHosts to name the route by: not converted');
      return [];
    });
    if (tls !== undefined && tls.length > 0) out['tlsRoutes'] = tls;
    const tcp = drops.list(vs['tcpRoutes'], `${vsPath}.tcpRoutes`)?.flatMap((route, i) => {
      if (typeof route['port'] === 'number') return [String(route['port'])];
      drops.drop(`${vsPath}.tcpRoutes[${i}]`, 'has no port to name the route by: not converted');
      return [];
    });
    if (tcp !== undefined && tcp.length > 0) out['tcpRoutes'] = tcp;
    drops.rest(
      vs,
      vsPath,
      ['name', 'routes', 'tlsRoutes', 'tcpRoutes'],
      () => 'Sluice has no such VirtualService field',
    );
  }
  const rule = drops.fields(istio['destinationRule'], `${path}.destinationRule`);
  if (rule !== undefined) {
    const dr: Fields = {};
    for (const field of ['name', 'canarySubsetName', 'stableSubsetName'])
      setIf(dr, field, drops.string(rule[field], `${path}.destinationRule.${field}`));
    drops.rest(
      rule,
      `${path}.destinationRule`,
      ['name', 'canarySubsetName', 'stableSubsetName'],
      () => 'Sluice has no such DestinationRule field',
    );
    if (dr['name'] !== undefined) out['destinationRule'] = dr;
  }
  drops.rest(
    istio,
    path,
    ['virtualService', 'virtualServices', 'destinationRule'],
    (field) => `Sluice's istio router has no ${field}`,
  );
  if (out['virtualService'] === undefined) {
    drops.drop(path, 'names no VirtualService: the istio router is not converted');
    return undefined;
  }
  return out;
}

function nginx(nginx: Fields, path: string, drops: DropList): Fields | undefined {
  const out: Fields = {};
  const many = nginx['stableIngresses'];
  if (many !== undefined)
    drops.drop(`${path}.stableIngresses`, 'Sluice keeps a canary beside one Ingress (stableIngress): not converted');
  setIf(out, 'stableIngress', drops.string(nginx['stableIngress'], `${path}.stableIngress`));
  const annotations = drops.fields(nginx['additionalIngressAnnotations'], `${path}.additionalIngressAnnotations`);
  const kept: Fields = {};
  // Argo writes these keys without the nginx.ingress.kubernetes.io/ prefix (it adds its annotationPrefix).
  const prefix =
    typeof nginx['annotationPrefix'] === 'string' ? nginx['annotationPrefix'] : 'nginx.ingress.kubernetes.io';
  for (const [key, value] of Object.entries(annotations ?? {})) {
    const full = key.includes('/') ? key : `nginx.ingress.kubernetes.io/${key}`;
    const pattern = allowedAnnotations[full];
    if (pattern !== undefined && typeof value === 'string' && pattern.test(value)) kept[full] = value;
    else
      drops.drop(
        `${path}.additionalIngressAnnotations.${key}`,
        pattern === undefined
          ? 'Sluice sets only the annotations ingress-nginx reads on a canary Ingress (canary-by-cookie, load-balance, upstream-hash-by, affinity, session-cookie-*)'
          : `the value ${JSON.stringify(value)} is not one ingress-nginx takes`,
      );
  }
  if (Object.keys(kept).length > 0) out['additionalIngressAnnotations'] = kept;
  if (nginx['annotationPrefix'] !== undefined)
    drops.drop(
      `${path}.annotationPrefix`,
      `Sluice always writes the nginx.ingress.kubernetes.io/ annotations (this Rollout used ${prefix}/)`,
    );
  drops.rest(
    nginx,
    path,
    ['stableIngress', 'stableIngresses', 'additionalIngressAnnotations', 'annotationPrefix'],
    (field) =>
      field === 'canaryIngressAnnotations'
        ? 'Sluice sets only allow-listed annotations on the canary Ingress, through additionalIngressAnnotations'
        : `Sluice's nginx router has no ${field}`,
  );
  if (out['stableIngress'] === undefined) {
    drops.drop(path, 'names no stableIngress: the nginx router is not converted');
    return undefined;
  }
  return out;
}

function smi(smi: Fields, path: string, drops: DropList, rolloutName: string): Fields {
  const out: Fields = {};
  // Argo names the TrafficSplit after the Rollout when trafficSplitName is omitted; Sluice needs it written.
  out['trafficSplitName'] = drops.string(smi['trafficSplitName'], `${path}.trafficSplitName`) ?? rolloutName;
  setIf(out, 'rootService', drops.string(smi['rootService'], `${path}.rootService`));
  drops.rest(smi, path, ['trafficSplitName', 'rootService'], (field) => `Sluice's smi router has no ${field}`);
  return out;
}

function gatewayApi(plugin: Fields, path: string, drops: DropList): Fields | undefined {
  const routes = drops.list(plugin['httpRoutes'], `${path}.httpRoutes`);
  routes
    ?.slice(1)
    .forEach((_, i) =>
      drops.drop(`${path}.httpRoutes[${i + 1}]`, 'Sluice sets the weights of one HTTPRoute per Rollout: not converted'),
    );
  const http = drops.string(plugin['httpRoute'], `${path}.httpRoute`) ?? (routes?.[0]?.['name'] as string | undefined);
  const grpc = drops.string(plugin['grpcRoute'], `${path}.grpcRoute`);
  drops.rest(plugin, path, ['httpRoute', 'httpRoutes', 'grpcRoute'], (field) =>
    field === 'namespace'
      ? "Sluice reads the route in the Rollout's namespace"
      : `Sluice's gatewayAPI router has no ${field} (it routes HTTPRoute and GRPCRoute)`,
  );
  if (http !== undefined) {
    if (grpc !== undefined)
      drops.drop(`${path}.grpcRoute`, 'Sluice routes one route per Rollout: the httpRoute is kept');
    return { httpRoute: http };
  }
  if (grpc !== undefined) return { grpcRoute: grpc };
  drops.drop(path, 'names no httpRoute or grpcRoute: the gatewayAPI router is not converted');
  return undefined;
}

/** The Sluice trafficRouting, or undefined when no router converts. */
export function convertTrafficRouting(
  routing: Fields,
  path: string,
  drops: DropList,
  rolloutName: string,
): Fields | undefined {
  const routers: [string, Fields][] = [];
  const add = (name: string, router: Fields | undefined) => router !== undefined && routers.push([name, router]);
  const istioIn = drops.fields(routing['istio'], `${path}.istio`);
  if (istioIn) add('istio', istio(istioIn, `${path}.istio`, drops));
  const nginxIn = drops.fields(routing['nginx'], `${path}.nginx`);
  if (nginxIn) add('nginx', nginx(nginxIn, `${path}.nginx`, drops));
  const smiIn = drops.fields(routing['smi'], `${path}.smi`);
  if (smiIn) add('smi', smi(smiIn, `${path}.smi`, drops, rolloutName));
  const plugins = drops.fields(routing['plugins'], `${path}.plugins`) ?? {};
  for (const [name, config] of Object.entries(plugins)) {
    const at = `${path}.plugins.${name}`;
    if (name !== gatewayPlugin) drops.drop(at, `Sluice has no ${name} traffic router plugin`);
    else add('gatewayAPI', gatewayApi(drops.fields(config, at) ?? {}, at, drops));
  }
  const out: Fields = {};
  const [first, ...others] = routers;
  if (first !== undefined) out[first[0]] = first[1];
  for (const [name] of others)
    drops.drop(
      `${path}.${name === 'gatewayAPI' ? `plugins.${gatewayPlugin}` : name}`,
      `Sluice drives one router per Rollout; ${first![0]} is kept`,
    );
  const managed = drops.list(routing['managedRoutes'], `${path}.managedRoutes`);
  const names = (managed ?? []).flatMap((route, i) => {
    drops.rest(route, `${path}.managedRoutes[${i}]`, ['name'], () => 'Sluice managed routes have only a name');
    const name = drops.string(route['name'], `${path}.managedRoutes[${i}].name`);
    return name === undefined ? [] : [{ name }];
  });
  if (names.length > 0) out['managedRoutes'] = names;
  drops.rest(routing, path, ['istio', 'nginx', 'smi', 'plugins', 'managedRoutes'], (field) =>
    field === 'maxTrafficWeight'
      ? 'Sluice weights are percentages of 100'
      : `Sluice has no ${field} router (it has gatewayAPI, istio, nginx and smi): route with one of those`,
  );
  if (first === undefined) return undefined;
  return out;
}
