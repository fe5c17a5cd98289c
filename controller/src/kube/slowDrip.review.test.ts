/**
 * Review of issue 20's JSON client (kubeJsonApi.ts over apiMetrics.ts's pooled connections) on a flaky network: an
 * answer that never ends. The pool's requestTimeoutMs bounds the wait for the headers and the wait between two body
 * chunks (connectionPool.ts: undici's headersTimeout and bodyTimeout), not the whole answer.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { instrumentKubeConfig } from './apiMetrics.ts';
import { AppsClient, jsonApi } from './resourceClients.ts';
import { localKubeConfig } from './localKubeConfig.test-support.ts';

let server: Server | undefined;
afterEach(() => {
  server?.closeAllConnections();
  server?.close();
});

/** An API server that answers 200 at once, then sends one space of its JSON body every 50 ms, for ever. */
async function drippingApiServer(): Promise<string> {
  server = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.write('{');
    const drip = setInterval(() => res.write(' '), 50);
    res.on('close', () => clearInterval(drip));
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('review: an API answer that drips', () => {
  // review: a proxy or a half-broken connection that keeps sending a byte now and then, never the end, holds a
  // reconcile's read or write (and its worker, and its key) for ever: each chunk restarts bodyTimeout, and
  // KubeJsonApi #json awaits res.body.text() with no deadline of its own. The liveness probe only restarts the
  // whole controller after its wedged-reconcile bound; meanwhile that Rollout (an abort in progress, say) waits.
  // Every request but a watch should end within a bound of its own, with an error naming it.
  it('fails a read whose body never ends within a few request timeouts', async () => {
    const base = localKubeConfig(await drippingApiServer());
    const kc = instrumentKubeConfig(base, () => undefined, { requestTimeoutMs: 200 });
    const read = new AppsClient(jsonApi(kc)).readNamespacedDeployment({ namespace: 'shop', name: 'web' });
    const outcome = await Promise.race([
      read.then(
        () => 'answered',
        (err: unknown) => `failed: ${err instanceof Error ? err.message : String(err)}`,
      ),
      new Promise<string>((resolve) => setTimeout(() => resolve('still reading after 3 s'), 3_000)),
    ]);
    expect(outcome).toMatch(
      /^failed: GET \/apis\/apps\/v1\/namespaces\/shop\/deployments\/web: HTTP 200 .*could not be read/,
    );
  });
});
