/**
 * Reviews of the informer against a local fake API server (issue 20):
 * - its list on a flaky network (issue 20 moved it onto KubeJsonApi). A list has a connection of its own, with none
 *   of the pool's deadlines (apiMetrics.ts: "lists and watches aside"), and the watchdog that restarts a silent
 *   watch does not run while the informer lists;
 * - the spec reuse (86c487d): the informer hands the projection the object it already caches under the same name,
 *   and the Deployment and ReplicaSet projections keep the cached spec whenever the new copy has the same
 *   metadata.uid and metadata.generation (reconcile/projection.ts unchangedSpec).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { apiServerDeployment } from '../reconcile/apiServerObjects.test-support.ts';
import { cacheTransforms } from '../reconcile/projection.ts';
import { Informer } from './informer.ts';
import type { KubeObject } from './objectStore.ts';
import { deploymentsRef } from './resourceRef.ts';
import { localKubeConfig } from './localKubeConfig.test-support.ts';

let server: Server | undefined;
let informer: Informer | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  server?.close();
  await informer?.stop();
});

interface Deployment {
  metadata: { name: string; namespace: string; generation: number; resourceVersion: string };
  spec: { template: { spec: { containers: { image: string }[] } } };
}

/** The Deployment as the API server has it: same uid and generation every time, `image` in its only container. */
function deployment(image: string, resourceVersion: string): Deployment {
  const d = structuredClone(apiServerDeployment(1)) as unknown as Deployment;
  d.metadata.generation = 4;
  d.metadata.resourceVersion = resourceVersion;
  d.spec.template.spec.containers[0]!.image = image;
  return d;
}

describe('review: a relist of a Deployment whose generation did not move', () => {
  // review: a relist (each resync, every watch that expired) is the informer's repair: "list again, which also
  // catches anything a watch missed" (informer.ts). With unchangedSpec it no longer repairs a spec: a listed copy with
  // the uid and generation of the cached one keeps the cached spec, whatever the API server sent. The API server
  // only reuses a generation with a different spec when its history went back (etcd restored from a snapshot and the
  // Deployment edited again before the controller relisted; a cache built from a watch that missed events), and that
  // is the very case a relist is for. The cache then holds the old pod template until the next edit of the spec:
  // observe.ts hashes it as the desired revision, so the planner keeps rolling out (or reports as stable) a template
  // the Deployment no longer has, and execute.ts builds new ReplicaSets from it. A listed object should be projected
  // whole; the cached spec is safe to keep for watch events, which come in the API server's order.
  it('takes the pod template the API server lists, not the one cached at the same generation', async () => {
    let lists = 0;
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      res.setHeader('content-type', 'application/json');
      if (url.searchParams.get('watch') === 'true') {
        if (lists === 1) {
          // The first watch: its resourceVersion is gone (the API server's history moved): list again.
          const gone = { kind: 'Status', status: 'Failure', reason: 'Expired', code: 410, message: 'too old' };
          res.end(JSON.stringify({ type: 'ERROR', object: gone }) + '\n');
        } // later watches stay open and quiet
        return;
      }
      lists++;
      const item =
        lists === 1 ? deployment('registry.example/app:b', '500') : deployment('registry.example/app:c', '90');
      res.end(
        JSON.stringify({ kind: 'DeploymentList', metadata: { resourceVersion: String(lists * 1000) }, items: [item] }),
      );
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const kc = localKubeConfig(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    informer = new Informer(kc, {
      resource: deploymentsRef,
      project: cacheTransforms().deployment,
      backoff: { initialMs: 10, maxMs: 10 },
    });
    informer.start();
    const listed = deployment('registry.example/app:c', '90');
    const image = () =>
      (informer!.get(listed.metadata.namespace, listed.metadata.name) as (KubeObject & Deployment) | undefined)?.spec
        .template.spec.containers[0]?.image;
    const version = () => informer!.get(listed.metadata.namespace, listed.metadata.name)?.metadata?.resourceVersion;
    for (let waited = 0; waited < 3_000 && version() !== '90'; waited += 20)
      await new Promise((resolve) => setTimeout(resolve, 20));
    expect(lists).toBe(2);
    expect(version()).toBe('90');
    expect(image()).toBe('registry.example/app:c');
  });
});

describe('review: an informer whose list never answers', () => {
  // review: a relist (every resync, and after each watch that expired or failed) whose connection goes silent (a
  // half-open TCP connection after a network partition, a proxy that stalls) waits for ever: Informer #relist
  // passes only the stop signal. The cache is never refreshed again, nothing restarts, and /readyz stays Ready
  // (hasSynced was set by an earlier list): every reconcile plans from a cache frozen in the past. A list page
  // should fail after the informer's no-progress bound, as a silent watch does, and be tried again.
  it('gives up a list page that makes no progress within noProgressTimeoutMs, and says so', async () => {
    server = createServer(() => undefined); // takes the request, never answers
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const kc = localKubeConfig(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    const restarts: string[] = [];
    informer = new Informer(kc, {
      resource: deploymentsRef,
      noProgressTimeoutMs: 300,
      backoff: { initialMs: 10_000, maxMs: 10_000 },
      onRestart: (_kind, reason) => restarts.push(reason),
    });
    informer.start();
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(restarts).toContain('error');
  });
});
