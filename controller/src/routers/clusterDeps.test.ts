import type { CustomObjectsClient } from '../kube/resourceClients.ts';
import { describe, expect, it } from 'vitest';
import { WriteExpectations } from '../reconcile/expectations.ts';
import { routerDeps, routerObjectKey } from './clusterDeps.ts';

const virtualServices = {
  group: 'networking.istio.io',
  version: 'v1',
  plural: 'virtualservices',
  kind: 'VirtualService',
  namespaced: true,
};

/** The API client as far as the routers use it: each write answers with the object at its new version. */
function apiAnswering(resourceVersion: string) {
  const calls: string[] = [];
  const answer = (verb: string) => (req: { name?: string; body?: { metadata?: { name?: string } } }) => {
    calls.push(`${verb} ${req.name ?? req.body?.metadata?.name}`);
    return Promise.resolve({ metadata: { resourceVersion } });
  };
  const api = {
    patchNamespacedCustomObject: answer('patch'),
    createNamespacedCustomObject: answer('create'),
  } as unknown as CustomObjectsClient;
  return { api, calls };
}

describe("the routers' writes, remembered until the cache shows them", () => {
  it('a patched object is behind until its watch event brings that version back', async () => {
    let now = 0;
    const writes = new WriteExpectations({ ttlMs: 5_000, clock: () => now });
    const { api, calls } = apiAnswering('42');
    const deps = routerDeps(api, new Map(), new Map([['VirtualService', virtualServices]]), writes);
    expect(deps.behind!('VirtualService', 'shop', 'web')).toBeUndefined();
    await deps.jsonPatch('VirtualService', 'shop', 'web', []);
    expect(calls).toEqual(['patch web']);
    expect(deps.behind!('VirtualService', 'shop', 'web')).toBe(5_000);
    expect(deps.behind!('VirtualService', 'shop', 'other')).toBeUndefined();
    writes.seen(routerObjectKey('VirtualService', 'shop', 'web'), '41'); // an older event still on its way
    now = 1_000;
    expect(deps.behind!('VirtualService', 'shop', 'web')).toBe(4_000);
    writes.seen(routerObjectKey('VirtualService', 'shop', 'web'), '42');
    expect(deps.behind!('VirtualService', 'shop', 'web')).toBeUndefined();
  });

  it('a created object the same; a version the cache skipped (a relist) stops being waited for after the bound', async () => {
    let now = 0;
    const writes = new WriteExpectations({ ttlMs: 5_000, clock: () => now });
    const { api } = apiAnswering('7');
    const deps = routerDeps(api, new Map(), new Map([['VirtualService', virtualServices]]), writes);
    await deps.create('VirtualService', 'shop', { metadata: { name: 'made' } });
    expect(deps.behind!('VirtualService', 'shop', 'made')).toBe(5_000);
    writes.seen(routerObjectKey('VirtualService', 'shop', 'made'), '9');
    now = 5_001;
    expect(deps.behind!('VirtualService', 'shop', 'made')).toBeUndefined();
  });

  it('refuses a write to a kind the cluster does not serve, naming it', async () => {
    const { api, calls } = apiAnswering('1');
    const deps = routerDeps(api, new Map(), new Map());
    await expect(deps.jsonPatch('TrafficSplit', 'shop', 'web', [])).rejects.toThrow(
      'the TrafficSplit kind is not served by this cluster',
    );
    expect(calls).toEqual([]);
  });
});
