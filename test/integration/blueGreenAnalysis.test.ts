/**
 * Blue-green analysis stories: the real controller reads the real Prometheus, which scrapes a real process exporting
 * the new revision's request metrics. A failed pre-promotion analysis aborts with the active Service never having
 * selected the new revision; a failed post-promotion analysis switches active back as soon as the failing measurement
 * is in, decided by the status write that records it, with no pod started and the old revision never shrunk.
 */
import type { V1ReplicaSet, V1Service } from '@kubernetes/client-node';
import { describe, expect, inject, it } from 'vitest';
import type { Rollout } from '../../controller/src/api/types.ts';
import { replicaSetName, revisionLabel } from '../../controller/src/workload/names.ts';
import { connectPrometheus } from '../fixtures/prometheus.ts';
import { createErrorRateTemplate, startExporter, type Exporter, usePrometheusStory } from './analysisStory.ts';
import { blueGreenSpec, podNames, selectedRevision, watchObject, writtenBefore } from './blueGreenStory.ts';
import {
  createApp,
  createRollout,
  eventReasons,
  getRollout,
  replicaSetsOf,
  setImage,
  waitForRollout,
} from './rolloutStory.ts';
import { useNamespace } from './support.ts';

const ns = useNamespace('bg-analysis');
const info = inject('prometheus');
const { exporters } = usePrometheusStory(ns);

/** An exporter for `service` whose new revision (the canary track) answers `errorRatio` 5xx. */
async function newRevisionTraffic(service: string, errorRatio: number): Promise<Exporter> {
  const prom = connectPrometheus(info!.url, info!.targetsDir);
  const exporter = await startExporter(
    [{ service, track: 'canary', rps: 200, errorRatio, latencyMedian: 0.05 }],
    prom,
    `${service}-new-revision`,
  );
  exporters.push(exporter);
  return exporter;
}

const analysisOf = (service: string) => ({
  templates: [{ templateName: `${service}-error-rate` }],
  args: [{ name: 'service', value: service }],
});

const servicesPath = () => `/api/v1/namespaces/${ns.name}/services`;
const selects = (s: V1Service) => s.spec?.selector?.[revisionLabel];

describe('given a blue-green Rollout whose pre-promotion analysis reads Prometheus', () => {
  it('when the preview answers 30% errors, it aborts with active never on the new revision, and the preview scales down after abortScaleDownDelaySeconds', async () => {
    await newRevisionTraffic('pre', 0.3);
    await createErrorRateTemplate(ns.name, 'pre-error-rate', info!.url, { count: 3 });
    await createApp(ns.name, 'pre', { replicas: 2, route: false });
    const spec = blueGreenSpec('pre', {
      previewReplicaCount: 1,
      prePromotionAnalysis: analysisOf('pre'),
      abortScaleDownDelaySeconds: 3,
    });
    await createRollout(ns.name, 'pre', spec);
    const blue = (await waitForRollout(ns.name, 'pre', 'Healthy', (r) => r.status?.phase === 'Healthy')).status!
      .stableRevision!;
    const active = await watchObject<V1Service>(servicesPath(), 'pre-active');
    const preview = await watchObject<V1Service>(servicesPath(), 'pre-preview');

    await setImage(ns.name, 'pre', 'example.invalid/app:v2');
    const aborted = await waitForRollout(ns.name, 'pre', 'aborted', (r) => r.status?.abort === true);
    const green = aborted.status!.canaryRevision!;
    expect(aborted.status?.phase).toBe('Degraded');
    expect(aborted.status?.message).toMatch(
      /\(analysis pre-error-rate\) failed: metric error-rate failed: measured 0\.\d+ \(failureCondition result >= 0\.10\)/,
    );
    expect(aborted.status?.blueGreen).toMatchObject({ phase: 'Aborted', activeRevision: blue, previewRevision: green });
    const previewReplicas = async () =>
      (await replicaSetsOf(ns.name, 'pre')).find((s) => s.revision === green)?.replicas;
    expect(await previewReplicas()).toBe(1); // kept for abortScaleDownDelaySeconds
    await expect.poll(previewReplicas, { timeout: 15_000, interval: 100 }).toBe(0);
    const keptMs = Date.now() - Date.parse(aborted.status!.abortedAt!);
    expect(keptMs).toBeGreaterThanOrEqual(3_000);

    await Promise.all([active.stop(), preview.stop()]);
    // The analysis judged a real preview (the preview Service selected the new pods), and all along, active did not.
    expect(preview.versions.map((v) => selects(v.object))).toContain(green);
    expect(new Set(active.versions.map((v) => selects(v.object)))).toEqual(new Set([blue]));
    expect(await selectedRevision(ns.name, 'pre-active')).toBe(blue);
    await expect.poll(() => eventReasons(ns.name, 'pre'), { timeout: 5_000 }).toContain('Aborted');
    expect(await eventReasons(ns.name, 'pre')).not.toContain('Switched');
  });
});

describe('given a blue-green Rollout whose post-promotion analysis reads Prometheus', () => {
  it('when the new revision starts answering 30% errors after the switch, active goes back as soon as the failing measurement is in, with no pod started', async () => {
    const traffic = await newRevisionTraffic('post', 0);
    // Measurements 3 s apart: a switch back that waited for anything after the failing measurement (the next one,
    // a requeue) would show up as seconds, against the few hundred milliseconds of one reconcile. The rate window
    // filling after the flip can give one measurement between the thresholds: tolerate it, as a user would.
    await createErrorRateTemplate(ns.name, 'post-error-rate', info!.url, {
      count: 1000,
      interval: '3s',
      inconclusiveLimit: 2,
    });
    await createApp(ns.name, 'post', { replicas: 2, route: false });
    await createRollout(
      ns.name,
      'post',
      blueGreenSpec('post', { previewReplicaCount: 1, postPromotionAnalysis: analysisOf('post') }),
    );
    const blue = (await waitForRollout(ns.name, 'post', 'Healthy', (r) => r.status?.phase === 'Healthy')).status!
      .stableRevision!;
    const oldReplicaSet = await watchObject<V1ReplicaSet>(
      `/apis/apps/v1/namespaces/${ns.name}/replicasets`,
      replicaSetName(await getRollout(ns.name, 'post'), blue),
    );
    expect(oldReplicaSet.versions).toHaveLength(1);

    await setImage(ns.name, 'post', 'example.invalid/app:v2');
    const postAnalysis = (r: Rollout) => r.status?.analysis?.runs.find((run) => run.name === 'step-2')?.metrics[0];
    const switched = await waitForRollout(
      ns.name,
      'post',
      'switched, post-promotion analysis passing',
      (r) => r.status?.blueGreen?.phase === 'Switched' && (postAnalysis(r)?.successful ?? 0) > 0,
    );
    const green = switched.status!.canaryRevision!;
    expect(await selectedRevision(ns.name, 'post-active')).toBe(green);
    const podsBefore = await podNames(ns.name, 'post');
    const replicaSetsBefore = (await replicaSetsOf(ns.name, 'post')).map((s) => s.name).sort();
    expect(podsBefore).toHaveLength(4); // old and new both at full size
    const active = await watchObject<V1Service>(servicesPath(), 'post-active');
    const rollout = await watchObject<Rollout>(`/apis/sluice.dev/v1alpha1/namespaces/${ns.name}/rollouts`, 'post');

    await traffic.setErrorRatio('post', 'canary', 0.3);
    const aborted = await waitForRollout(ns.name, 'post', 'aborted', (r) => r.status?.abort === true, 30_000);
    await expect.poll(() => selectedRevision(ns.name, 'post-active'), { timeout: 10_000, interval: 50 }).toBe(blue);
    await Promise.all([active.stop(), rollout.stop()]);

    const failing = postAnalysis(aborted)!.measurements.find((m) => m.phase === 'Failed')!;
    const switchedBack = active.versions.find((v) => selects(v.object) === blue)!;
    const reactionMs = switchedBack.seenAt - Date.parse(failing.finishedAt!);
    console.log(`[blue-green story] failing measurement finished -> active Service on ${blue} in ${reactionMs} ms`);
    expect(reactionMs).toBeLessThan(2_000);
    // Decided at once: the status write that first holds the failing measurement already records the abort and active
    // on the old revision, and the Service changes right after it, with no other write of the Rollout in between.
    const decided = rollout.versions.find((v) => (postAnalysis(v.object)?.failed ?? 0) > 0)!.object;
    expect(decided.status).toMatchObject({ abort: true, weights: { canary: 0, stable: 100 } });
    expect(decided.status?.stableRevision).toBe(blue); // weights 0 on the new revision: active goes to stable
    expect(writtenBefore(decided, switchedBack.object)).toBe(true);
    const between = rollout.versions.filter(
      (v) => writtenBefore(decided, v.object) && writtenBefore(v.object, switchedBack.object),
    );
    expect(between).toEqual([]);

    // Nothing started, nothing went: the old revision kept every pod through the switch and back.
    expect(await podNames(ns.name, 'post')).toEqual(podsBefore);
    expect((await replicaSetsOf(ns.name, 'post')).map((s) => s.name).sort()).toEqual(replicaSetsBefore);
    await oldReplicaSet.stop();
    expect(oldReplicaSet.versions.map((v) => v.object.spec?.replicas)).toEqual(oldReplicaSet.versions.map(() => 2));
    expect(aborted.status?.phase).toBe('Degraded');
    expect(aborted.status?.message).toMatch(
      /\(analysis post-error-rate\) failed: metric error-rate failed: measured 0\.\d+/,
    );
    await expect
      .poll(() => eventReasons(ns.name, 'post'), { timeout: 5_000 })
      .toEqual(expect.arrayContaining(['Switched', 'Aborted', 'SwitchedBack']));
  });
});
