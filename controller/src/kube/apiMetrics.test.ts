import { describe, expect, it } from 'vitest';
import { describeRequest } from './apiMetrics.ts';

const server = 'https://127.0.0.1:6443';

describe('describeRequest', () => {
  it.each([
    ['GET', '/api/v1/namespaces/shop/configmaps', 'list', 'configmaps'],
    ['GET', '/api/v1/namespaces/shop/configmaps?labelSelector=a%3Db&limit=500', 'list', 'configmaps'],
    ['GET', '/api/v1/namespaces/shop/configmaps/settings', 'get', 'configmaps'],
    ['GET', '/api/v1/namespaces/shop/configmaps?watch=true&resourceVersion=12', 'watch', 'configmaps'],
    ['GET', '/api/v1/configmaps?watch=1', 'watch', 'configmaps'],
    ['GET', '/api/v1/watch/namespaces/shop/pods', 'watch', 'pods'],
    ['GET', '/apis/sluice.dev/v1alpha1/rollouts', 'list', 'rollouts'],
    ['GET', '/apis/sluice.dev/v1alpha1/namespaces/shop/rollouts/checkout', 'get', 'rollouts'],
    ['PATCH', '/apis/sluice.dev/v1alpha1/namespaces/shop/rollouts/checkout/status', 'patch', 'rollouts/status'],
    [
      'PATCH',
      '/apis/apps/v1/namespaces/shop/deployments/checkout?fieldManager=sluice&force=true',
      'patch',
      'deployments',
    ],
    ['PUT', '/apis/coordination.k8s.io/v1/namespaces/sluice/leases/sluice-controller', 'update', 'leases'],
    ['POST', '/apis/coordination.k8s.io/v1/namespaces/sluice/leases', 'create', 'leases'],
    ['POST', '/api/v1/namespaces/shop/events', 'create', 'events'],
    ['DELETE', '/api/v1/namespaces/shop/configmaps/settings', 'delete', 'configmaps'],
    ['DELETE', '/api/v1/namespaces/shop/configmaps?labelSelector=x', 'deletecollection', 'configmaps'],
    ['GET', '/api/v1/namespaces', 'list', 'namespaces'],
    ['GET', '/api/v1/namespaces/shop', 'get', 'namespaces'],
    ['PUT', '/api/v1/namespaces/shop/finalize', 'update', 'namespaces/finalize'],
    ['GET', '/api/v1/namespaces/shop/status', 'get', 'namespaces/status'],
    ['DELETE', '/api/v1/namespaces/shop', 'delete', 'namespaces'],
    ['GET', '/apis/gateway.networking.k8s.io/v1/namespaces/shop/httproutes/checkout', 'get', 'httproutes'],
    ['GET', '/api/v1/nodes/kwok-node-0', 'get', 'nodes'],
    ['POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', 'create', 'subjectaccessreviews'],
  ])('%s %s is %s on %s', (method, path, verb, resource) => {
    expect(describeRequest(method, server + path)).toEqual({ verb, resource });
  });

  it('calls discovery and other non-resource paths get, on no resource', () => {
    for (const path of ['/version', '/api', '/api/v1', '/apis', '/apis/apps/v1', '/readyz', '/openapi/v3']) {
      expect(describeRequest('GET', server + path)).toEqual({ verb: 'get', resource: '' });
    }
  });

  it('names methods outside the Kubernetes verbs other', () => {
    expect(describeRequest('OPTIONS', `${server}/api/v1/pods`).verb).toBe('other');
  });
});
