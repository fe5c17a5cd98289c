/**
 * Dashboard actions against the real API server with RBAC on: the TokenReview and SubjectAccessReview are real,
 * the tokens come from the TokenRequest API, and the action is carried out by the real controller.
 */
import { request } from 'node:http';
import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RolloutDetail, RolloutList } from '../../controller/src/dashboard/model.ts';
import { waitFor } from '../support/wait.ts';
import { startController, type ControllerProcess } from './controllerProcess.ts';
import { getJson, postAction, serviceAccountToken } from './dashboardStory.ts';
import { createApp, createRollout, eventReasons, getRollout, setImage, waitForRollout } from './rolloutStory.ts';
import { watchRollout } from './rolloutWatch.ts';
import { installSluiceCrds } from './sluiceCrds.ts';
import { adminKubeConfig, kubectl, useNamespace } from './support.ts';

const ns = useNamespace('dash-auth');
let controller: ControllerProcess;
let oncall: { token: string; username: string };
let viewer: { token: string; username: string };

const steps = { canary: { steps: [{ setWeight: 30 }, { pause: {} }] } };

beforeAll(async () => {
  await installSluiceCrds(adminKubeConfig());
  controller = await startController({ namespace: ns.name, dashboardArgs: ['--dashboard-actions=true'] });
  await createApp(ns.name, 'web', { replicas: 2, route: false });
  await createRollout(ns.name, 'web', { workloadRef: { name: 'web' }, strategy: steps });
  await createApp(ns.name, 'other', { replicas: 1, route: false });
  await createRollout(ns.name, 'other', { workloadRef: { name: 'other' }, strategy: steps });
  [viewer, oncall] = await Promise.all([
    serviceAccountToken(ns.name, 'viewer'),
    serviceAccountToken(ns.name, 'oncall', { patchRollouts: ['web'] }),
  ]);
  await waitForRollout(ns.name, 'web', 'web Healthy', (r) => r.status?.phase === 'Healthy');
  await setImage(ns.name, 'web', 'example.invalid/app:v2');
  await waitForRollout(
    ns.name,
    'web',
    'web paused at its pause step',
    (r) => r.status?.phase === 'Paused' && r.status.currentStepIndex === 1,
  );
});
afterAll(async () => controller?.stop());

const marker = 'test.sluice.dev/marker';
async function markRollout(name: string): Promise<void> {
  await kubectl(['annotate', 'rollouts.sluice.dev', name, '-n', ns.name, `${marker}=${Date.now()}`, '--overwrite']);
}

describe('given the dashboard with actions on, and a rollout paused until promoted', () => {
  it("lists and shows the rollout from the controller's caches", async () => {
    const list = await getJson<RolloutList>(controller.dashboardUrl, 'api/rollouts?phase=Paused');
    // Without a router the split is by replicas: the weight is what the controller wrote in status.
    const canaryWeight = (await getRollout(ns.name, 'web')).status?.weights?.canary;
    expect(canaryWeight).toBeGreaterThan(0);
    expect(list.items.map((s) => [s.key, s.canaryWeight, `${s.step.current}/${s.step.total}`])).toEqual([
      [`${ns.name}/web`, canaryWeight, '2/2'],
    ]);
    const detail = await getJson<RolloutDetail>(controller.dashboardUrl, `api/rollouts/${ns.name}/web`);
    expect(detail.steps.map((s) => s.state)).toEqual(['done', 'current']);
    expect(detail.applicableActions).toContain('promote');
  });

  it('without a token, answers 401 and changes nothing', async () => {
    const answer = await postAction(controller.dashboardUrl, ns.name, 'web', 'promote');
    expect(answer).toMatchObject({ status: 401, body: { code: 'SLUICE_DASHBOARD_NO_TOKEN' } });
    const bogus = await postAction(controller.dashboardUrl, ns.name, 'web', 'promote', {
      authorization: 'Bearer not-a-token',
    });
    expect(bogus).toMatchObject({ status: 401, body: { code: 'SLUICE_DASHBOARD_BAD_TOKEN' } });
    expect((await getRollout(ns.name, 'web')).metadata.annotations?.['sluice.dev/action']).toBeUndefined();
  });

  it('with a token whose user may not patch the rollout, answers 403 and changes nothing', async () => {
    // The controller removes an action annotation soon after it acts on it: only a watch sees every write.
    const [web, other] = await Promise.all([watchRollout(ns.name, 'web'), watchRollout(ns.name, 'other')]);
    const answer = await postAction(controller.dashboardUrl, ns.name, 'web', 'abort', {
      authorization: `Bearer ${viewer.token}`,
    });
    expect(answer.status).toBe(403);
    expect(answer.body).toMatchObject({ code: 'SLUICE_DASHBOARD_FORBIDDEN' });
    expect(answer.body.message).toContain(
      `${viewer.username} may not patch rollouts.sluice.dev web in namespace ${ns.name}`,
    );
    // RBAC is per rollout: the on-call account may patch web, not other.
    const elsewhere = await postAction(controller.dashboardUrl, ns.name, 'other', 'pause', {
      authorization: `Bearer ${oncall.token}`,
    });
    expect(elsewhere.status).toBe(403);
    // A write the dashboard made before answering is in the watch once a later write is: mark both rollouts.
    await Promise.all(['web', 'other'].map((name) => markRollout(name)));
    await waitFor(
      () => [web, other].every((h) => h.versions.some((v) => v.metadata.annotations?.[marker] !== undefined)),
      { timeoutMs: 10_000, what: 'the marker in both watches' },
    );
    await Promise.all([web.stop(), other.stop()]);
    expect(web.versions.map((v) => v.metadata.annotations?.['sluice.dev/action'])).not.toContain('abort');
    expect(other.versions.map((v) => v.spec.paused)).not.toContain(true);
    // The Event is written before the answer, so it would be there by now.
    expect(await eventReasons(ns.name, 'web')).not.toContain('DashboardAction');
    expect(await eventReasons(ns.name, 'other')).not.toContain('DashboardAction');
  });

  it('refuses a request a browser says came from another site, token or not', async () => {
    const answer = await postAction(controller.dashboardUrl, ns.name, 'web', 'abort', {
      authorization: `Bearer ${oncall.token}`,
      'sec-fetch-site': 'cross-site',
      origin: 'https://evil.example',
    });
    expect(answer).toMatchObject({ status: 403, body: { code: 'SLUICE_DASHBOARD_CROSS_SITE' } });
  });

  it('with a token whose user may patch it, promotes, and an Event names the user', async () => {
    const paused = await getRollout(ns.name, 'web');
    const answer = await postAction(controller.dashboardUrl, ns.name, 'web', 'promote', {
      authorization: `Bearer ${oncall.token}`,
    });
    expect(answer).toEqual({
      status: 202,
      body: {
        action: 'promote',
        rollout: `${ns.name}/web`,
        user: oncall.username,
        message: `promote requested by ${oncall.username} via the dashboard`,
        eventRecorded: true,
      },
    });
    await waitForRollout(
      ns.name,
      'web',
      'web Healthy on the new revision',
      (r) => r.status?.phase === 'Healthy' && r.status.stableRevision === paused.status?.canaryRevision,
    );
    await expect
      .poll(() => eventReasons(ns.name, 'web'), { timeout: 5_000 })
      .toEqual(expect.arrayContaining(['DashboardAction', 'Promoted']));
    // The dashboard's own Event watch shows it in the detail, newest first.
    const detail = await waitFor(
      async () => {
        const d = await getJson<RolloutDetail>(controller.dashboardUrl, `api/rollouts/${ns.name}/web`);
        return d.events.some((e) => e.reason === 'DashboardAction') ? d : undefined;
      },
      { timeoutMs: 10_000, what: 'the DashboardAction Event in the detail' },
    );
    expect(detail.events.find((e) => e.reason === 'DashboardAction')?.message).toBe(
      `promote requested by ${oncall.username} via the dashboard`,
    );
    expect(detail.phase).toBe('Healthy');
  });

  it("accepts a token made for the dashboard's audience (kubectl create token --audience sluice-dashboard)", async () => {
    const core = adminKubeConfig().makeApiClient(CoreV1Api);
    const made = await core.createNamespacedServiceAccountToken({
      namespace: ns.name,
      name: 'oncall',
      body: { spec: { audiences: ['sluice-dashboard'], expirationSeconds: 600 } },
    });
    const auth = { authorization: `Bearer ${made.status?.token ?? ''}` };
    expect(await postAction(controller.dashboardUrl, ns.name, 'web', 'pause', auth)).toMatchObject({
      status: 202,
      body: { user: oncall.username },
    });
    expect((await postAction(controller.dashboardUrl, ns.name, 'web', 'resume', auth)).status).toBe(202);
  });

  it('answers only to the names it is served as: a DNS-rebound Host gets 421, even for reads', async () => {
    const { port } = new URL(controller.dashboardUrl);
    const status = (host: string) =>
      new Promise<number | undefined>((resolve, reject) => {
        request({ host: '127.0.0.1', port, path: '/api/rollouts', headers: { host } }, (res) => {
          res.resume();
          resolve(res.statusCode);
        })
          .on('error', reject)
          .end();
      });
    expect(await status(`rebound.attacker.example:${port}`)).toBe(421);
    expect(await status(`localhost:${port}`)).toBe(200);
  });

  it('pauses and resumes through spec.paused', async () => {
    const auth = { authorization: `Bearer ${oncall.token}` };
    expect((await postAction(controller.dashboardUrl, ns.name, 'web', 'pause', auth)).status).toBe(202);
    expect((await getRollout(ns.name, 'web')).spec.paused).toBe(true);
    expect((await postAction(controller.dashboardUrl, ns.name, 'web', 'resume', auth)).status).toBe(202);
    expect((await getRollout(ns.name, 'web')).spec.paused).toBe(false);
  });
});
