/**
 * Blue-green when the controller dies: SIGKILL (no graceful shutdown, as when its node dies) right after each
 * transition shows in the Rollout's status or right after a user's request, and a new process started. Throughout,
 * three watches record every write, and the switch's promises are checked over all of them (blueGreenTimeline.ts):
 * active never selects a revision short of ready pods, never moves before status records the decision, never
 * flips back and forth; no ReplicaSet is created twice; a revision that served keeps its pods until its time.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Rollout, RolloutSpec } from '../../controller/src/api/types.ts';
import { checkBlueGreen, watchBlueGreen, type BlueGreenTimeline, type Seen } from './blueGreenTimeline.ts';
import { startController, type ControllerProcess } from './controllerProcess.ts';
import {
  clients,
  createApp,
  createRollout,
  kubectlSluice,
  replicaSetsOf,
  setImage,
  createAnalysisTemplate,
} from './rolloutStory.ts';
import { installSluiceCrds } from './sluiceCrds.ts';
import { adminKubeConfig, useNamespace } from './support.ts';

const ns = useNamespace('blue-green-kill');
const prometheus = inject('prometheus');
const replicas = 3;
/** preview, the wait for promotion, switch, post-promotion analysis. */
const switchStep = 2;
const analysisStep = 3;
const abortDelaySeconds = 4;
const promises = { replicas, switchStep, abortDelayMs: abortDelaySeconds * 1000 };

let controller: ControllerProcess | undefined;
let generation = 0;
const started = () => controller!;
async function start(): Promise<ControllerProcess> {
  controller = await startController({ namespace: ns.name, name: `sluice-${++generation}` });
  return controller;
}

beforeAll(async () => {
  if (prometheus === null) throw new Error('this story needs Prometheus: include "prometheus" in SLUICE_TEST_SERVICES');
  await installSluiceCrds(adminKubeConfig());
});
afterAll(async () => controller?.stop());

const sluice = (...args: string[]) => kubectlSluice(ns.name, ...args);

/** A blue-green Rollout of Deployment `name` (the spec of blueGreen.test.ts's stories, copied to stay independent). */
const blueGreenSpec = (name: string, blueGreen: Record<string, unknown>): RolloutSpec => ({
  workloadRef: { name },
  service: { port: 80, targetPort: 8080 },
  strategy: { blueGreen: { activeService: `${name}-active`, previewService: `${name}-preview`, ...blueGreen } },
});

/** A post-promotion check that passes after `count` measurements a second apart: time enough to die during it. */
async function settlingTemplate(count: number): Promise<void> {
  await createAnalysisTemplate(ns.name, 'settles', [
    {
      name: 'errors',
      interval: '1s',
      count,
      successCondition: 'result < 1',
      provider: { prometheus: { address: prometheus!.url, query: 'vector(0)' } },
    },
  ]);
}

/**
 * Arms a kill at the first Rollout version passing `test`, then runs `cause` (which may start the controller that
 * reaches it): armed first, so a transition the new process passes while it comes up is still caught as it happens.
 */
async function killWhen(
  timeline: BlueGreenTimeline,
  what: string,
  test: (r: Rollout) => boolean,
  cause: () => Promise<unknown>,
): Promise<Rollout> {
  const reached = timeline.until(what, test);
  await cause();
  const r = await reached;
  await started().kill();
  return r;
}

/**
 * Whether the rollout of `revision` is at `phase` or past it. A process can pass a transition in the moment before
 * it is killed; the next kill then comes right after the next start instead of never.
 */
const phases = ['Preview', 'Switching', 'Switched', 'Promoted'];
const atLeast = (r: Rollout, revision: string, phase: string) =>
  r.status?.canaryRevision === revision &&
  r.status.abort !== true &&
  phases.indexOf(r.status.blueGreen?.phase ?? '') >= phases.indexOf(phase);
const measuredAfterSwitch = (r: Rollout) =>
  r.status?.currentStepIndex === analysisStep &&
  (r.status.analysis?.runs ?? []).some((run) => run.metrics.some((m) => m.successful >= 1));
const selects = async (service: string) =>
  (await clients().core.readNamespacedService({ namespace: ns.name, name: service })).spec?.selector?.[
    'sluice.dev/revision'
  ];
const sizeOf = async (revision: string) =>
  (await replicaSetsOf(ns.name, 'shop')).find((s) => s.revision === revision)?.replicas;

describe('given a blue-green Rollout with manual promotion and a post-promotion analysis', () => {
  it(
    'when the controller is killed at every transition and started again, it goes on without a wrong switch',
    { timeout: 300_000 },
    async () => {
      await settlingTemplate(8);
      await createApp(ns.name, 'shop', { replicas, route: false });
      // The user's Service, serving the Deployment's pods: Sluice adopts it as the active Service.
      await clients().core.createNamespacedService({
        namespace: ns.name,
        body: {
          metadata: { name: 'shop-active' },
          spec: { selector: { app: 'shop' }, ports: [{ port: 80, targetPort: 8080 }] },
        },
      });
      await createRollout(
        ns.name,
        'shop',
        blueGreenSpec('shop', {
          autoPromotionEnabled: false,
          previewReplicaCount: 1,
          postPromotionAnalysis: { templates: [{ templateName: 'settles' }] },
          scaleDownDelaySeconds: 6,
          abortScaleDownDelaySeconds: abortDelaySeconds,
        }),
      );
      // Watched from before the first controller: the adoption of the Service and the takeover are checked too.
      const timeline = await watchBlueGreen(ns.name, 'shop', 'shop-active');
      await start();
      const healthy = (r: Rollout) =>
        r.status?.phase === 'Healthy' && r.status.canaryRevision === r.status.stableRevision;
      const blue = (await timeline.until('blue Healthy', healthy)).status!.stableRevision!;
      const isGreen = (r: Rollout) => r.status?.canaryRevision !== blue;

      // Preview created: status names the new revision, its ReplicaSet and the preview Service may not exist yet.
      const preview = await killWhen(timeline, 'the preview started', isGreen, () =>
        setImage(ns.name, 'shop', 'example.invalid/app:v2'),
      );
      const green = preview.status!.canaryRevision!;
      // Preview ready, waiting for promotion.
      await killWhen(
        timeline,
        'waiting for promotion',
        (r) => isGreen(r) && r.status?.phase === 'Paused' && r.status.currentStepIndex === 1,
        start,
      );
      await start();
      expect(await selects('shop-preview')).toBe(green);
      expect(await selects('shop-active')).toBe(blue);
      expect([await sizeOf(green), await sizeOf(blue)]).toEqual([1, replicas]);
      // Promote requested: killed right after the request is written, before or while it is acted on.
      expect(await sluice('promote', 'shop')).toMatch(/promote requested/);
      await started().kill();
      // The switch: first the new revision scales to full size ...
      await killWhen(timeline, 'switching', (r) => atLeast(r, green, 'Switching'), start);
      // ... then status records the switch, before the active Service is written.
      await killWhen(timeline, 'switched', (r) => atLeast(r, green, 'Switched'), start);
      // Post-promotion analysis, the old revision still at full size.
      await killWhen(
        timeline,
        'post-promotion analysis measuring',
        (r) => measuredAfterSwitch(r) || atLeast(r, green, 'Promoted'),
        start,
      );
      expect(await sizeOf(blue)).toBe(replicas);
      // Promotion: green stable, blue kept warm until status.scaleDown.scaleDownAt.
      const promoted = await killWhen(timeline, 'promoted', (r) => r.status?.stableRevision === green, start);
      expect(promoted.status?.scaleDown?.map((w) => w.revision)).toContain(blue);
      expect(await sizeOf(blue)).toBe(replicas);
      // Scale-down of the old revision: status drops the record first, then the ReplicaSet goes to 0.
      await killWhen(
        timeline,
        'the scale-down decided',
        (r) => r.status?.stableRevision === green && r.status.scaleDown === undefined,
        start,
      );
      await start();
      await expect.poll(() => sizeOf(blue), { timeout: 20_000 }).toBe(0);
      const done = await timeline.until('green Healthy', (r) => healthy(r) && r.status?.stableRevision === green);
      expect(done.status?.blueGreen).toMatchObject({ phase: 'Promoted', activeRevision: green });
      expect(await selects('shop-active')).toBe(green);
      await timeline.stop();
      const verdict = checkBlueGreen(timeline.seen, promises);
      expect(verdict.violations).toEqual([]);
      expect(verdict.activeRevisions).toEqual([blue, green]);
      console.log(`[blue-green kill story] ${generation} controller processes, ${timeline.seen.length} writes watched`);
    },
  );

  it(
    'when a user aborts after the switch and the controller is killed around it, active goes back once and stays',
    { timeout: 240_000 },
    async () => {
      const timeline = await watchBlueGreen(ns.name, 'shop', 'shop-active');
      const green = timeline.rollout().status!.stableRevision!;
      await setImage(ns.name, 'shop', 'example.invalid/app:v3');
      const paused = await timeline.until('v3 waiting for promotion', (r) => r.status?.phase === 'Paused');
      const v3 = paused.status!.canaryRevision!;
      expect(await sluice('promote', 'shop')).toMatch(/promote requested/);
      await timeline.until('v3 switched and measuring', measuredAfterSwitch);
      expect(await selects('shop-active')).toBe(v3);
      // Abort requested: killed right after the request is written.
      expect(await sluice('abort', 'shop')).toMatch(/abort requested/);
      await started().kill();
      // The abort recorded in status, before the active Service is written back.
      await killWhen(timeline, 'aborted', (r) => r.status?.abort === true, start);
      await start();
      await expect.poll(() => selects('shop-active'), { timeout: 20_000 }).toBe(green);
      // Status says so once it reads the Service back (the next reconcile).
      await timeline.until('status reads active back on green', (r) => r.status?.blueGreen?.activeRevision === green);
      expect(timeline.rollout().status?.blueGreen?.phase).toBe('Aborted');
      // The aborted revision keeps its pods for abortScaleDownDelaySeconds, then goes.
      await expect.poll(() => sizeOf(v3), { timeout: 20_000 }).toBe(0);
      // The template back at green (what a GitOps revert does): Healthy on green again.
      await setImage(ns.name, 'shop', 'example.invalid/app:v2');
      const done = await timeline.until(
        'green Healthy again',
        (r) => r.status?.phase === 'Healthy' && r.status.stableRevision === green && r.status.canaryRevision === green,
      );
      expect(done.status?.abort).not.toBe(true);
      expect(await selects('shop-active')).toBe(green);
      await timeline.stop();
      const verdict = checkBlueGreen(timeline.seen, promises);
      expect(verdict.violations).toEqual([]);
      expect(verdict.activeRevisions).toEqual([green, v3, green]);
    },
  );
});

describe('the check over the timeline', () => {
  // The negative control: the promises above pass only if the check can fail on a timeline that breaks them.
  let rv = 0n;
  const seen = (kind: Seen['kind'], object: Record<string, unknown>, at = 0): Seen => ({
    kind,
    type: 'MODIFIED',
    rv: ++rv,
    at,
    object: { metadata: { name: 'x', uid: 'u', resourceVersion: String(rv) }, ...object },
  });
  const rs = (revision: string, spec: number, ready: number, uid = revision) => ({
    metadata: { name: `shop-${revision}`, uid, resourceVersion: '0', labels: { 'sluice.dev/revision': revision } },
    spec: { replicas: spec },
    status: { readyReplicas: ready },
  });
  const service = (revision: string) => ({ spec: { selector: { 'sluice.dev/revision': revision } } });
  const status = (s: object) => ({ status: { stableRevision: 'blue', canaryRevision: 'green', ...s } });

  it('reports a switch to a revision short of ready pods, before its step, and an early scale-down', () => {
    const timeline = [
      seen('ReplicaSet', rs('blue', 3, 3)),
      seen('Rollout', status({ currentStepIndex: 0, weights: { canary: 0, stable: 100 } })),
      seen('Service', service('blue')),
      seen('ReplicaSet', rs('green', 3, 2)),
      seen('Rollout', status({ currentStepIndex: 1, weights: { canary: 100, stable: 0 } })),
      seen('Service', service('green')),
      seen('Rollout', status({ scaleDown: [{ revision: 'blue', scaleDownAt: new Date(10_000).toISOString() }] })),
      seen('ReplicaSet', rs('blue', 0, 0), 9_000),
      seen('ReplicaSet', rs('green', 3, 3, 'another')),
    ];
    expect(checkBlueGreen(timeline, promises).violations).toEqual([
      expect.stringMatching(/moved to green, whose ReplicaSet has 2\/3 ready of 3/),
      expect.stringMatching(/moved to green at step 1, before the switch/),
      expect.stringMatching(/revision blue, which served, scaled to 0 1000 ms before its scale-down time/),
      expect.stringMatching(/a second ReplicaSet of revision green/),
    ]);
  });
});
