/**
 * Review of the informer's list on a flaky network (issue 20 moved it onto KubeJsonApi). A list has a connection of
 * its own, with none of the pool's deadlines (apiMetrics.ts: "lists and watches aside"), and the watchdog that
 * restarts a silent watch does not run while the informer lists.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { KubeConfig } from './clientNode.ts';
import { Informer } from './informer.ts';
import { deploymentsRef } from './resourceRef.ts';

let server: Server | undefined;
let informer: Informer | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  server?.close();
  await informer?.stop();
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
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [
        { name: 'c', server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, skipTLSVerify: true },
      ],
      users: [{ name: 'u', token: 't' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
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
