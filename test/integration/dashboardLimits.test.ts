/**
 * The dashboard's token checks against the real API server: tokens bound to the dashboard's audience and tokens
 * for the API server's own audience are both accepted, tokens for any other audience are not, a made-up token is
 * reviewed once and then answered from memory, and a withdrawn RoleBinding stops an accepted token at once.
 * The reviews are counted on the dashboard's own KubeConfig, the one runController.ts gives it, with its own rate limit.
 * A flood of 600 action requests with made-up tokens, from one address or from many, meets the per-address limit
 * or the in-flight cap, and a write on the reconciler's client meanwhile does not wait (the figures are printed).
 */
import { CoreV1Api, PatchStrategy, RbacAuthorizationV1Api, setHeaderOptions } from '@kubernetes/client-node';
import { pino } from 'pino';
import { beforeAll, describe, expect, it } from 'vitest';
import { KubernetesAuthorizer } from '../../controller/src/dashboard/auth.ts';
import { allowedDashboardHosts } from '../../controller/src/dashboard/hostCheck.ts';
import { dashboardServer } from '../../controller/src/dashboard/server.ts';
import type { RolloutStream } from '../../controller/src/dashboard/stream.ts';
import { instrumentKubeConfig } from '../../controller/src/kube/apiMetrics.ts';
import { waitFor } from '../support/wait.ts';
import { serviceAccountToken } from './dashboardStory.ts';
import { adminKubeConfig, useNamespace } from './support.ts';

const ns = useNamespace('dash-limits');
const target = () => ({ namespace: ns.name, name: 'web' });
let username: string;
const requests: string[] = [];
const authKc = () =>
  instrumentKubeConfig(adminKubeConfig(), (verb, code, resource) => requests.push(`${verb} ${resource} ${code}`), {
    rateLimit: { qps: 5, burst: 10 },
  });

/** A token for the on-call service account, bound to `audiences` (the API server's own when omitted). */
async function tokenFor(audiences?: string[]): Promise<string> {
  const request = await adminKubeConfig()
    .makeApiClient(CoreV1Api)
    .createNamespacedServiceAccountToken({
      namespace: ns.name,
      name: 'oncall',
      body: { spec: { expirationSeconds: 3600, ...(audiences === undefined ? {} : { audiences }) } },
    });
  const token = request.status?.token;
  if (token === undefined) throw new Error('the TokenRequest returned no token');
  return token;
}

beforeAll(async () => {
  ({ username } = await serviceAccountToken(ns.name, 'oncall', { patchRollouts: ['web'] }));
});

describe('given a service account that may patch rollout web', () => {
  it('accepts a token made for the dashboard (kubectl create token oncall --audience sluice-dashboard)', async () => {
    const decision = await new KubernetesAuthorizer(authKc()).authorize(await tokenFor(['sluice-dashboard']), target());
    expect(decision).toMatchObject({ kind: 'allowed', user: { username } });
  });

  it("still accepts a token for the API server's own audience, as before", async () => {
    const decision = await new KubernetesAuthorizer(authKc()).authorize(await tokenFor(), target());
    expect(decision).toMatchObject({ kind: 'allowed', user: { username } });
  });

  it('refuses a token made for another audience, and honours a configured audience', async () => {
    const vaultToken = await tokenFor(['vault']);
    expect(await new KubernetesAuthorizer(authKc()).authorize(vaultToken, target())).toMatchObject({
      kind: 'unauthenticated',
    });
    const custom = new KubernetesAuthorizer(authKc(), { audience: 'https://sluice.example.com' });
    expect(await custom.authorize(await tokenFor(['https://sluice.example.com']), target())).toMatchObject({
      kind: 'allowed',
    });
    expect(await custom.authorize(await tokenFor(['sluice-dashboard']), target())).toMatchObject({
      kind: 'unauthenticated',
    });
  });

  it('reviews a made-up token once, then answers from memory without asking the API server', async () => {
    const authorizer = new KubernetesAuthorizer(authKc());
    requests.length = 0;
    const first = await authorizer.authorize('made-up.token.value', target());
    expect(first).toMatchObject({
      kind: 'unauthenticated',
      reason: expect.stringMatching(/did not accept the token/) as unknown,
    });
    const afterFirst = requests.length;
    // One review with the dashboard's audience, one with the API server's.
    expect(requests.filter((r) => r.includes('tokenreviews'))).toHaveLength(2);
    for (let i = 0; i < 100; i++)
      expect(await authorizer.authorize('made-up.token.value', target())).toMatchObject({ kind: 'unauthenticated' });
    expect(requests).toHaveLength(afterFirst);
  });

  it('stops an accepted token within seconds once its RoleBinding is gone (nothing positive is cached)', async () => {
    const authorizer = new KubernetesAuthorizer(authKc());
    const token = await tokenFor(['sluice-dashboard']);
    expect(await authorizer.authorize(token, target())).toMatchObject({ kind: 'allowed' });
    await adminKubeConfig()
      .makeApiClient(RbacAuthorizationV1Api)
      .deleteNamespacedRoleBinding({ namespace: ns.name, name: 'oncall-rollouts' });
    await waitFor(async () => (await authorizer.authorize(token, target())).kind === 'forbidden', {
      timeoutMs: 10_000,
      what: 'the token to be forbidden',
    });
  });
});

describe('given 600 action requests with made-up tokens', () => {
  async function flood(addresses: (i: number) => string) {
    const reviews: string[] = [];
    const kc = instrumentKubeConfig(
      adminKubeConfig(),
      (verb, code, resource) => reviews.push(`${verb} ${resource} ${code}`),
      { rateLimit: { qps: 5, burst: 10 } },
    );
    // The reconciler's client, as runController.ts makes it: its writes must not wait behind the dashboard's reviews.
    const reconcilerKc = instrumentKubeConfig(adminKubeConfig(), () => undefined, {
      rateLimit: { qps: 50, burst: 100 },
    });
    const refuse = () => Promise.reject(new Error('no writes in this test'));
    const app = dashboardServer({
      views: { summaries: () => [], summary: () => undefined, detail: () => undefined, rollout: () => undefined },
      ready: () => true,
      stream: { add: () => () => undefined } as unknown as RolloutStream,
      authorizer: new KubernetesAuthorizer(kc),
      writer: { request: refuse, recordAction: refuse },
      assets: undefined,
      log: pino({ level: 'silent' }),
      basePath: '/',
      actions: true,
      namespace: '',
      version: 'test',
      allowedHosts: allowedDashboardHosts('', []),
    });
    const answers = Promise.all(
      Array.from({ length: 600 }, (_, i) =>
        app.inject({
          method: 'POST',
          url: `/api/rollouts/${ns.name}/web/actions/abort`,
          remoteAddress: addresses(i),
          headers: { authorization: `Bearer made-up-${i}` },
        }),
      ),
    );
    const started = performance.now();
    await reconcilerKc
      .makeApiClient(CoreV1Api)
      .patchNamespace(
        { name: ns.name, body: { metadata: { labels: { flooded: 'yes' } } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    const writeMs = performance.now() - started;
    const statuses = (await answers).map((a) => `${a.statusCode} ${a.json<{ code: string }>().code}`);
    await app.close();
    const count = (s: string) => statuses.filter((x) => x === s).length;
    console.log(
      `600 made-up tokens: a reconciler write took ${writeMs.toFixed(0)} ms; answers ${JSON.stringify(Object.fromEntries([...new Set(statuses)].map((s) => [s, count(s)])))}; ` +
        `${reviews.length} TokenReviews`,
    );
    return { count, reviews };
  }

  it('from one address: 10 are reviewed, the rest get 429 before any TokenReview', async () => {
    const { count, reviews } = await flood(() => '10.1.0.1');
    expect(count('401 SLUICE_DASHBOARD_BAD_TOKEN')).toBe(10);
    expect(count('429 SLUICE_DASHBOARD_TOO_MANY_REQUESTS')).toBe(590);
    expect(reviews).toHaveLength(20);
  });

  it("from 600 addresses: at most 16 are reviewed at once, the rest get 503 (the reconciler's write time is printed)", async () => {
    const { count } = await flood((i) => `10.2.${Math.floor(i / 250)}.${i % 250}`);
    expect(count('401 SLUICE_DASHBOARD_BAD_TOKEN')).toBe(16);
    expect(count('503 SLUICE_DASHBOARD_AUTH_BUSY')).toBe(584);
  });
});
