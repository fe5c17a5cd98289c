/**
 * Review of commit 7ea8137 from the kubectl plugin's side: the controller reads a Rollout's ReplicaSets through
 * ownedReplicaSets (one per revision, the one Sluice names), the plugin through its own replicaSetsOf (every
 * ReplicaSet with the Rollout label and an owner reference). They must agree on the revisions, or `kubectl sluice
 * undo` names a revision the controller does not have.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { revisionOf } from '../planner/revision.ts';
import { run } from './cli.ts';
import { localKubeconfig } from './localKubeconfig.test-support.ts';

let server: Server | undefined;
afterEach(() => server?.close());

const template = (image: string) => ({
  metadata: { labels: { app: 'web' } },
  spec: { containers: [{ name: 'app', image }] },
});
const [v1, v2, v3] = [template('shop/web:v1'), template('shop/web:v2'), template('shop/web:v3')];
const [r1, r2, r3] = [revisionOf(v1), revisionOf(v2), revisionOf(v3)];

const replicaSet = (name: string, revision: string, number: number, content: object) => ({
  metadata: {
    name,
    namespace: 'shop',
    uid: `uid-${name}`,
    creationTimestamp: '2026-11-30T10:00:00Z',
    labels: { 'sluice.dev/rollout': 'web', 'sluice.dev/revision': revision },
    annotations: { 'sluice.dev/revision-number': String(number) },
    ownerReferences: [{ apiVersion: 'sluice.dev/v1alpha1', kind: 'Rollout', name: 'web', uid: 'u1', controller: true }],
  },
  spec: { replicas: 0, selector: { matchLabels: {} }, template: content },
});

/** An API server with Rollout web, its Deployment at v3 and the given ReplicaSets; PATCH bodies are collected. */
async function apiServer(replicaSets: object[], patches: unknown[]): Promise<string> {
  const rollout = {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'Rollout',
    metadata: { name: 'web', namespace: 'shop', uid: 'u1' },
    spec: { workloadRef: { name: 'web' }, strategy: { canary: { steps: [{ setWeight: 50 }] } } },
    status: { phase: 'Healthy', stableRevision: r3 },
  };
  const deployment = { metadata: { name: 'web', namespace: 'shop' }, spec: { replicas: 3, template: v3 } };
  server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (req.method === 'PATCH') patches.push(JSON.parse(body));
      const answer = path.endsWith('/rollouts/web')
        ? rollout
        : path.endsWith('/deployments/web')
          ? deployment
          : path.endsWith('/replicasets')
            ? { kind: 'ReplicaSetList', items: replicaSets }
            : { kind: 'List', items: [] };
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const kubeconfig = localKubeconfig(port);
  return kubeconfig;
}

describe('review: kubectl sluice undo and a ReplicaSet Sluice did not make', () => {
  // review: a tenant's "web-old" carries the Rollout's labels, its owner reference and revision number 9. The
  // controller never counts it (ownedReplicaSets keeps only Sluice's own), so its history is 3, 2, 1; but the plugin
  // lists every labelled ReplicaSet, and a plain `kubectl sluice undo` resolves "the previous revision" to 9 and
  // writes undo:9. The controller refuses it ("there is no revision 9"): the on-call engineer's undo, in an
  // incident, does nothing, and `kubectl sluice history` shows a revision 9 the controller does not have.
  it('names the revision the controller would go back to, not one from a ReplicaSet Sluice did not make', async () => {
    const patches: unknown[] = [];
    const kubeconfig = await apiServer(
      [
        replicaSet(`web-${r1}`, r1, 1, v1),
        replicaSet(`web-${r2}`, r2, 2, v2),
        replicaSet(`web-${r3}`, r3, 3, v3),
        replicaSet('web-old', r1, 9, template('evil.example.com/web:latest')),
      ],
      patches,
    );
    const out: string[] = [];
    const code = await run(['undo', 'web', '--kubeconfig', kubeconfig], (s) => out.push(s));
    expect(code).toBe(0);
    expect(patches).toEqual([{ metadata: { annotations: { 'sluice.dev/action': 'undo:2' } } }]);
  });
});
