/**
 * Stories of the Gateway API router with a GRPCRoute (gateway.networking.k8s.io/v1, among the standard CRDs the
 * control plane installs): the weights go through the GRPCRoute's backendRefs, an abort puts them back at once,
 * and a hand-edited GRPCRoute is InvalidSpec naming spec.trafficRouting.gatewayAPI.grpcRoute and left alone.
 * There is no gateway here: these prove what Sluice writes and reads, not where a gateway sends requests.
 */
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe } from 'vitest';
import { startController, type ControllerProcess } from './controllerProcess.ts';
import { routerStories, type RoutedStory } from './routerStories.ts';
import { clients } from './rolloutStory.ts';
import { installSluiceCrds } from './sluiceCrds.ts';
import { adminKubeConfig, useNamespace } from './support.ts';

const ns = useNamespace('router-grpc');
let controller: ControllerProcess;

beforeAll(async () => {
  await installSluiceCrds(adminKubeConfig());
  controller = await startController({ namespace: ns.name });
});
afterAll(async () => controller?.stop());

const grpcRouteRef = { group: 'gateway.networking.k8s.io', version: 'v1', plural: 'grpcroutes' };

interface GrpcRoute {
  metadata: { resourceVersion: string };
  spec: { rules: { backendRefs: { name: string; weight?: number }[] }[] };
}

const getRoute = async (namespace: string, name: string) =>
  (await clients().custom.getNamespacedCustomObject({ ...grpcRouteRef, namespace, name })) as GrpcRoute;

/** The rule that sends to the app's Services: the second, after one for another gRPC service. */
const splitRule = 1;

const grpcRoute: RoutedStory = {
  field: 'spec.trafficRouting.gatewayAPI.grpcRoute',
  trafficRouting: (name) => ({ gatewayAPI: { grpcRoute: name } }),
  createRouterObject: async (namespace, name) => {
    await clients().custom.createNamespacedCustomObject({
      ...grpcRouteRef,
      namespace,
      body: {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'GRPCRoute',
        metadata: { name },
        spec: {
          parentRefs: [{ name: 'mesh-gateway' }],
          rules: [
            {
              matches: [{ method: { service: 'shop.Inventory' } }],
              backendRefs: [{ name: 'inventory', port: 50051 }],
            },
            {
              matches: [{ method: { service: 'shop.Checkout' } }],
              backendRefs: [
                { name: `${name}-stable`, port: 80, weight: 100 },
                { name: `${name}-canary`, port: 80, weight: 0 },
              ],
            },
          ],
        },
      },
    });
  },
  canaryWeight: async (namespace, name) => {
    const refs = (await getRoute(namespace, name)).spec.rules[splitRule]!.backendRefs;
    const weight = (service: string) => refs.find((r) => r.name === service)!.weight ?? 1;
    const canary = weight(`${name}-canary`);
    return Math.round((canary * 100) / (canary + weight(`${name}-stable`)));
  },
  dropCanaryBackend: async (namespace, name) => {
    const refs = (await getRoute(namespace, name)).spec.rules[splitRule]!.backendRefs;
    const index = refs.findIndex((r) => r.name === `${name}-canary`);
    const path = `/spec/rules/${splitRule}/backendRefs/${index}`;
    await clients().custom.patchNamespacedCustomObject(
      {
        ...grpcRouteRef,
        namespace,
        name,
        body: [
          { op: 'test', path: `${path}/name`, value: `${name}-canary` },
          { op: 'remove', path },
        ],
      },
      setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
    );
  },
  snapshot: async (namespace, name) => {
    const route = await getRoute(namespace, name);
    return { spec: route.spec, resourceVersion: route.metadata.resourceVersion };
  },
};

describe('given a Deployment and a Rollout with trafficRouting.gatewayAPI.grpcRoute', () => {
  routerStories(ns, grpcRoute);
});
