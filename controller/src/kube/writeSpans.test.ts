/**
 * The writes' spans at the HTTP layer, against a real local server: a write sent under a reconcile's span is its
 * child with the object and the response code; a read, or a write outside any reconcile, makes no span; a write the
 * fence refuses is an error span and never reaches the server.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CoreV1Api } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FinishedSpan } from '../trace/span.ts';
import { RecordingTracer } from '../trace/tracer.ts';
import { InstrumentedKubeConfig, instrumentKubeConfig } from './apiMetrics.ts';
import { leaderFence, NotLeaderError } from './writeFence.ts';
import { objectOfPath } from './writeSpans.ts';
import { localKubeConfig } from './localKubeConfig.test-support.ts';

let server: Server;
let url: string;
let arrived: string[];
beforeEach(async () => {
  arrived = [];
  server = createServer((req, res) => {
    arrived.push(`${req.method} ${req.url}`);
    req.resume();
    req.on('end', () => {
      const missing = req.url?.includes('/missing') === true;
      res.writeHead(missing ? 404 : 200, { 'Content-Type': 'application/json' });
      res.end(
        JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: 'shop' } }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(() => new Promise<void>((resolve) => server.close(() => resolve())));

function traced(leading = () => true) {
  const ended: FinishedSpan[] = [];
  const tracer = new RecordingTracer({ onEnd: (s) => ended.push(s), sampleRatio: 1 });
  const plain = localKubeConfig(url, 'secret', new InstrumentedKubeConfig());
  const fence = leaderFence({ isLeader: leading, leadershipLost: () => new AbortController().signal });
  const core = instrumentKubeConfig(plain, () => undefined, { tracer, fence }).makeApiClient(CoreV1Api);
  return { ended, tracer, core };
}

const patch = { name: 'settings', namespace: 'shop', body: { data: { a: '1' } } };

describe('spans of Kubernetes writes', () => {
  it('makes each write under a reconcile a child span with its object and response code, and reads none', async () => {
    const { ended, tracer, core } = traced();
    const reconcile = tracer.startSpan('sluice.reconcile');
    await tracer.withSpan(reconcile, async () => {
      await core.readNamespacedConfigMap({ name: 'settings', namespace: 'shop' });
      await core.patchNamespacedConfigMap(patch);
      await core.deleteNamespacedConfigMap({ name: 'missing', namespace: 'shop' }).catch(() => undefined);
    });
    reconcile.end();
    const [write, failed] = ended;
    expect(ended.map((s) => s.name)).toEqual(['kube patch configmaps', 'kube delete configmaps', 'sluice.reconcile']);
    expect(write!.parentSpanId).toBe(reconcile.context!.spanId);
    expect(write!.traceId).toBe(reconcile.context!.traceId);
    expect(write!.kind).toBe('client');
    expect(Object.fromEntries(write!.attributes)).toEqual({
      'http.request.method': 'PATCH',
      'sluice.kube.verb': 'patch',
      'k8s.resource': 'configmaps',
      'k8s.namespace.name': 'shop',
      'sluice.kube.name': 'settings',
      'http.response.status_code': 200,
    });
    expect(write!.status.code).toBe('ok');
    expect(failed!.attributes.get('http.response.status_code')).toBe(404);
    expect(failed!.status).toEqual({ code: 'error', message: 'HTTP 404' });
  });

  it('makes no span for a write outside a reconcile', async () => {
    const { ended, core } = traced();
    await core.patchNamespacedConfigMap(patch);
    expect(arrived).toHaveLength(1);
    expect(ended).toEqual([]);
  });

  it('records a write the fence refuses as an error, and it never reaches the server', async () => {
    const { ended, tracer, core } = traced(() => false);
    const reconcile = tracer.startSpan('sluice.reconcile');
    await expect(tracer.withSpan(reconcile, () => core.patchNamespacedConfigMap(patch))).rejects.toBeInstanceOf(
      NotLeaderError,
    );
    expect(arrived).toEqual([]);
    expect(ended[0]!.status.code).toBe('error');
    expect(ended[0]!.status.message).toMatch(/not the leader/);
  });
});

describe('objectOfPath', () => {
  it('finds the namespace and name of namespaced, cluster-scoped and subresource paths', () => {
    expect(objectOfPath('https://k/apis/sluice.dev/v1alpha1/namespaces/shop/rollouts/checkout/status')).toEqual({
      namespace: 'shop',
      name: 'checkout',
    });
    expect(objectOfPath('https://k/api/v1/namespaces/shop/events')).toEqual({ namespace: 'shop', name: undefined });
    expect(objectOfPath('https://k/apis/sluice.dev/v1alpha1/clusteranalysistemplates/x')).toEqual({
      namespace: undefined,
      name: 'x',
    });
  });
});
