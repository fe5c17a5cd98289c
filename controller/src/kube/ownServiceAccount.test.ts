import { KubeConfig } from '@kubernetes/client-node';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ownServiceAccount, serviceAccountOfToken } from './ownServiceAccount.ts';

const jwt = (claims: Record<string, unknown>) =>
  ['{"alg":"RS256"}', JSON.stringify(claims), 'sig'].map((p) => Buffer.from(p).toString('base64url')).join('.');

describe("the controller's own ServiceAccount", () => {
  it("is read from a service account token's subject, and nothing else passes for one", () => {
    expect(serviceAccountOfToken(jwt({ sub: 'system:serviceaccount:shop:sluice' }))).toEqual({
      namespace: 'shop',
      name: 'sluice',
    });
    expect(serviceAccountOfToken(jwt({ sub: 'alice@example.com' }))).toBeUndefined();
    expect(serviceAccountOfToken('not-a-jwt')).toBeUndefined();
    expect(serviceAccountOfToken('a.%%%.c')).toBeUndefined();
  });

  it("comes from the kubeconfig's token, else the in-cluster token file, else is unknown", () => {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: 'https://k' }],
      users: [{ name: 'u', token: jwt({ sub: 'system:serviceaccount:ops:sluice-a' }) }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    expect(ownServiceAccount(kc, '/nonexistent')).toEqual({ namespace: 'ops', name: 'sluice-a' });
    const dir = mkdtempSync(join(tmpdir(), 'sa-'));
    writeFileSync(join(dir, 'token'), jwt({ sub: 'system:serviceaccount:shop:sluice' }));
    const noToken = new KubeConfig();
    noToken.loadFromOptions({
      clusters: [{ name: 'c', server: 'https://k' }],
      users: [{ name: 'u' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    expect(ownServiceAccount(noToken, join(dir, 'token'))).toEqual({ namespace: 'shop', name: 'sluice' });
    expect(ownServiceAccount(noToken, '/nonexistent')).toBeUndefined();
  });
});
