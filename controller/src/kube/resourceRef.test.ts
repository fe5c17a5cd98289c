import { describe, expect, it } from 'vitest';
import {
  apiVersionOf,
  collectionPath,
  configMapsRef,
  deploymentsRef,
  httpRoutesRef,
  type ResourceRef,
} from './resourceRef.ts';

const clusterTemplates: ResourceRef = {
  group: 'sluice.dev',
  version: 'v1alpha1',
  plural: 'clusteranalysistemplates',
  kind: 'ClusterAnalysisTemplate',
  namespaced: false,
};

describe('resource references', () => {
  it('give the apiVersion objects of the kind carry', () => {
    expect(apiVersionOf(configMapsRef)).toBe('v1');
    expect(apiVersionOf(deploymentsRef)).toBe('apps/v1');
    expect(apiVersionOf(httpRoutesRef)).toBe('gateway.networking.k8s.io/v1');
  });

  it('give the collection path in a namespace or across all of them', () => {
    expect(collectionPath(configMapsRef, 'shop')).toBe('/api/v1/namespaces/shop/configmaps');
    expect(collectionPath(configMapsRef)).toBe('/api/v1/configmaps');
    expect(collectionPath(httpRoutesRef, 'shop')).toBe('/apis/gateway.networking.k8s.io/v1/namespaces/shop/httproutes');
    expect(collectionPath(clusterTemplates)).toBe('/apis/sluice.dev/v1alpha1/clusteranalysistemplates');
  });

  it('refuse a namespace for a cluster-scoped kind', () => {
    expect(() => collectionPath(clusterTemplates, 'shop')).toThrow(/cluster-scoped/);
  });
});
