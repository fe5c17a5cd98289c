/** Building blocks of the Istio stories: a VirtualService (and DestinationRule) for an app, and reading them back. */
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { clients } from './rolloutStory.ts';

const group = 'networking.istio.io';
export const vsRef = { group, version: 'v1', plural: 'virtualservices' };
export const drRef = { group, version: 'v1', plural: 'destinationrules' };

interface Dest {
  destination: { host: string; subset?: string };
  weight?: number;
}
export interface HttpRoute {
  name?: string;
  match?: object[];
  route?: Dest[];
  mirror?: object;
}

/**
 * A VirtualService `name` whose HTTP route `primary` (uri prefix /) splits between the -stable and -canary
 * Services, or subset-based between the subsets stable and canary of host `name` (with a DestinationRule).
 */
export async function createIstioObjects(namespace: string, name: string, subsets: boolean): Promise<void> {
  const { custom } = clients();
  const dest = (role: 'stable' | 'canary', weight: number) =>
    subsets
      ? { destination: { host: name, subset: role }, weight }
      : { destination: { host: `${name}-${role}`, port: { number: 80 } }, weight };
  await custom.createNamespacedCustomObject({
    ...vsRef,
    namespace,
    body: {
      apiVersion: `${group}/v1`,
      kind: 'VirtualService',
      metadata: { name },
      spec: {
        hosts: [`${name}.example.com`],
        http: [
          { name: 'health', match: [{ uri: { exact: '/healthz' } }], route: [{ destination: { host: 'health' } }] },
          { name: 'primary', match: [{ uri: { prefix: '/' } }], route: [dest('stable', 100), dest('canary', 0)] },
        ],
      },
    },
  });
  if (!subsets) return;
  await custom.createNamespacedCustomObject({
    ...drRef,
    namespace,
    body: {
      apiVersion: `${group}/v1`,
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
  });
}

export async function virtualService(namespace: string, name: string): Promise<{ spec: { http: HttpRoute[] } }> {
  return (await clients().custom.getNamespacedCustomObject({ ...vsRef, namespace, name })) as {
    spec: { http: HttpRoute[] };
  };
}

/** The canary's percentage in the route `primary`, read from the VirtualService. */
export async function vsCanaryWeight(namespace: string, name: string): Promise<number> {
  const primary = (await virtualService(namespace, name)).spec.http.find((r) => r.name === 'primary')!;
  const isCanary = (d: Dest) => d.destination.subset === 'canary' || d.destination.host === `${name}-canary`;
  const canary = primary.route!.find(isCanary)?.weight ?? 0;
  const stable = primary.route!.find((d) => !isCanary(d))?.weight ?? 0;
  return canary + stable === 0 ? 0 : Math.round((canary * 100) / (canary + stable));
}

export async function httpRouteNames(namespace: string, name: string): Promise<string[]> {
  return (await virtualService(namespace, name)).spec.http.map((r) => r.name ?? '');
}

/** The revision labels of the DestinationRule's subsets, by subset name. */
export async function subsetRevisions(namespace: string, name: string): Promise<Record<string, string | undefined>> {
  const rule = (await clients().custom.getNamespacedCustomObject({ ...drRef, namespace, name })) as {
    spec: { subsets: { name: string; labels?: Record<string, string> }[] };
  };
  return Object.fromEntries(rule.spec.subsets.map((s) => [s.name, s.labels?.['sluice.dev/revision']]));
}

export async function patchVirtualService(namespace: string, name: string, ops: object[]): Promise<void> {
  await clients().custom.patchNamespacedCustomObject(
    { ...vsRef, namespace, name, body: ops },
    setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
  );
}
