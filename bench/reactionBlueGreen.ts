/**
 * The blue-green half of the reaction benchmark: how long from the controller's decision to the traffic move.
 * Blue-green Rollouts in two kinds: switched by their active Service's selector (no router), and by an HTTPRoute
 * whose backends are the active and preview Services (0/100). Each round promotes one Rollout waiting for
 * promotion (its preview at full size, so the switch waits on no pod) and takes the time from the decision
 * status records, status.blueGreen.switchedAt, to the watch event of the Service selector or the route weight;
 * then aborts it while its post-promotion analysis runs and takes the time from status.abortedAt to the switch
 * back; then retries it, which brings it back to the wait for promotion for a later round.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Rollout, RolloutSpec } from '../controller/src/api/types.ts';
import type { BenchContext } from './context.ts';
import { deployment, merge, rollout, rolloutRef, routeRef, type Kube } from './kube.ts';
import type { RouterObjects } from './routerObjects.ts';
import { summarize, type Summary } from './stats.ts';
import { wallNow, Watched } from './watched.ts';

export type SwitchKind = 'service' | 'httpRoute';
const kinds: SwitchKind[] = ['service', 'httpRoute'];

export interface SwitchFigures {
  /** status.blueGreen.switchedAt (the decision) -> the switch arrives by watch (ms). */
  decisionToSwitchMs: Summary;
  /** status.abortedAt (the decision) -> the switch back arrives by watch (ms). */
  decisionToSwitchBackMs: Summary;
  /** The promote annotation written -> the switch arrives (ms): the user's view, the decision included. */
  promoteWrittenToSwitchMs: Summary;
  /** The abort annotation written -> the switch back arrives (ms). */
  abortWrittenToSwitchBackMs: Summary;
}

export interface BlueGreenReaction {
  /** Switched by the active Service's selector: the Service's watch event with the new revision. */
  service: SwitchFigures;
  /** Switched by an HTTPRoute: its watch event with the preview backend at 100%, and back at 0%. */
  httpRoute: SwitchFigures;
  setup: { rolloutsPerKind: number; replicas: number; rounds: number };
  samples: {
    rollout: string;
    kind: SwitchKind;
    switchMs: number;
    switchBackMs: number;
    promoteToSwitchMs: number;
    abortToSwitchBackMs: number;
  }[];
}

const replicas = 2;
/** Object names are lowercase: bg-service-0, bg-route-0 ... */
const prefix: Record<SwitchKind, string> = { service: 'bg-service-', httpRoute: 'bg-route-' };
const names = (count: number) => kinds.flatMap((k) => Array.from({ length: count }, (_, i) => `${prefix[k]}${i}`));
const kindOf = (name: string): SwitchKind => (name.startsWith(prefix.service) ? 'service' : 'httpRoute');
const active = (name: string) => `${name}-active`;
const preview = (name: string) => `${name}-preview`;
const holdTemplate = 'holds-switched';

/** The HTTPRoute of a blue-green app: its backends are the Rollout's active and preview Services. */
const blueGreenRoute: RouterObjects = {
  object: 'HTTPRoute',
  kind: routeRef,
  trafficRouting: (name) => ({ gatewayAPI: { httpRoute: name } }),
  objects: (name) => [
    {
      ref: routeRef,
      body: {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'HTTPRoute',
        metadata: { name },
        spec: {
          rules: [
            {
              backendRefs: [
                { name: active(name), port: 80, weight: 100 },
                { name: preview(name), port: 80, weight: 0 },
              ],
            },
          ],
        },
      },
    },
  ],
  weightOf: (obj) => {
    const o = obj as { metadata?: { name?: string }; spec?: { rules?: { backendRefs?: BackendRef[] }[] } };
    const name = o.metadata?.name;
    const refs = o.spec?.rules?.[0]?.backendRefs ?? [];
    // Another scenario's HTTPRoute in the namespace (the abort apps'): not a blue-green app.
    if (name === undefined || !refs.some((r) => r.name === preview(name))) return undefined;
    const weight = (service: string) => refs.find((r) => r.name === service)?.weight ?? 1;
    const total = weight(preview(name)) + weight(active(name));
    return { app: name, percent: total === 0 ? undefined : Math.round((weight(preview(name)) * 100) / total) };
  },
};
interface BackendRef {
  name: string;
  weight?: number;
}

/**
 * Creates the blue-green apps (Deployments, HTTPRoutes, Rollouts) and the post-promotion analysis that holds a
 * switched Rollout until it is aborted (vector(0) every 10 s, 1,000 times). Returns the Rollouts' names.
 */
export async function createBlueGreenApps(
  kube: Kube,
  ns: string,
  prometheusUrl: string,
  rolloutsPerKind: number,
): Promise<string[]> {
  await kube.custom.createNamespacedCustomObject({
    group: 'sluice.dev',
    version: 'v1alpha1',
    plural: 'analysistemplates',
    namespace: ns,
    body: {
      apiVersion: 'sluice.dev/v1alpha1',
      kind: 'AnalysisTemplate',
      metadata: { name: holdTemplate },
      spec: {
        metrics: [
          {
            name: 'holds',
            interval: '10s',
            count: 1000,
            successCondition: 'result < 1',
            provider: { prometheus: { address: prometheusUrl, query: 'vector(0)' } },
          },
        ],
      },
    },
  });
  const all = names(rolloutsPerKind);
  for (const name of all) {
    await kube.apps.createNamespacedDeployment({ namespace: ns, body: deployment(name, replicas) });
    const routed = kindOf(name) === 'httpRoute';
    if (routed)
      for (const { ref, body } of blueGreenRoute.objects(name))
        await kube.custom.createNamespacedCustomObject({ ...ref, namespace: ns, body });
    const spec: RolloutSpec = {
      workloadRef: { name },
      service: { port: 80 },
      ...(routed ? { trafficRouting: blueGreenRoute.trafficRouting(name) } : {}),
      strategy: {
        blueGreen: {
          activeService: active(name),
          previewService: preview(name),
          autoPromotionEnabled: false,
          postPromotionAnalysis: { templates: [{ templateName: holdTemplate }] },
          // The aborted revision keeps its pods: the retry's preview is ready at once, and no round waits on a pod.
          abortScaleDownDelaySeconds: 3600,
        },
      },
    };
    await kube.custom.createNamespacedCustomObject({ ...rolloutRef, namespace: ns, body: rollout(name, spec) });
  }
  return all;
}

/**
 * The arrival time of the first change after `after` that moves app `name`'s traffic: to the preview (the new
 * revision) or back to the active revision, read from its active Service's selector or its HTTPRoute's weights.
 */
function switchedAt(
  watched: Watched,
  name: string,
  to: 'preview' | 'back',
  revision: string,
  after: number,
): Promise<number> {
  return watched.until(
    `${name} to switch ${to === 'preview' ? 'to' : 'back to'} ${revision}`,
    () => {
      if (kindOf(name) === 'service') {
        const s = watched.selectors.get(active(name));
        return s?.revision === revision && s.at > after ? s.at : undefined;
      }
      const w = watched.weights.get(name);
      return w?.percent === (to === 'preview' ? 100 : 0) && w.at > after ? w.at : undefined;
    },
    60_000,
  );
}

export async function runBlueGreen(
  ctx: BenchContext,
  ns: string,
  all: readonly string[],
  rounds: number,
): Promise<BlueGreenReaction> {
  const { kube } = ctx;
  const watched = Watched.start(kube, ns, { router: blueGreenRoute, services: true });
  const rolloutOf = (name: string) => watched.rollouts.get(name);
  const waitRollout = (name: string, what: string, test: (r: Rollout) => boolean, timeoutMs = 120_000) =>
    watched.until(
      `${name} ${what}`,
      () => {
        const r = rolloutOf(name);
        return r !== undefined && test(r) ? r : undefined;
      },
      timeoutMs,
    );
  const request = async (name: string, action: string) => {
    await kube.custom.patchNamespacedCustomObject(
      { ...rolloutRef, namespace: ns, name, body: { metadata: { annotations: { 'sluice.dev/action': action } } } },
      merge,
    );
    return wallNow();
  };
  const waiting = (r: Rollout) =>
    r.status?.phase === 'Paused' &&
    r.status.currentStepIndex === 1 &&
    r.status.abort !== true &&
    r.status.canaryRevision !== r.status.stableRevision;
  // A request is taken off the Rollout once handled; the next one waits for that, or it would replace it unread.
  const handled = (r: Rollout) => r.metadata.annotations?.['sluice.dev/action'] === undefined;
  const samples: BlueGreenReaction['samples'] = [];
  const retries = new Map<string, Promise<unknown>>();
  try {
    let image = 1000;
    for (const name of all) {
      await waitRollout(name, 'Healthy', (r) => r.status?.phase === 'Healthy');
      await kube.apps.patchNamespacedDeployment(
        {
          namespace: ns,
          name,
          body: {
            spec: { template: { spec: { containers: [{ name: 'app', image: `example.invalid/app:v${++image}` }] } } },
          },
        },
        merge,
      );
    }
    ctx.progress(`blue-green: ${all.length} Rollouts previewing a new revision`);
    for (let i = 0; i < rounds; i++) {
      for (const kind of kinds) {
        const own = all.filter((n) => kindOf(n) === kind);
        const name = own[i % own.length]!;
        await retries.get(name);
        const ready = await waitRollout(name, 'waiting for promotion', waiting);
        const { stableRevision: blue, canaryRevision: green } = ready.status as {
          stableRevision: string;
          canaryRevision: string;
        };
        await sleep(200); // let the last round's writes and Events settle
        const promoteAsked = wallNow();
        const promoteWritten = await request(name, 'promote');
        const switched = await switchedAt(watched, name, 'preview', green, promoteAsked);
        const decided = await waitRollout(
          name,
          'switchedAt in status',
          (r) => Date.parse(r.status?.blueGreen?.switchedAt ?? '') >= promoteAsked - 1,
          30_000,
        );
        await waitRollout(name, 'the promote request removed', handled, 30_000);
        await sleep(200);
        const abortAsked = wallNow();
        const abortWritten = await request(name, 'abort');
        const back = await switchedAt(watched, name, 'back', blue, abortAsked);
        const aborted = await waitRollout(name, 'aborted in status', (r) => r.status?.abort === true, 30_000);
        samples.push({
          rollout: name,
          kind,
          switchMs: round1(switched - Date.parse(decided.status!.blueGreen!.switchedAt!)),
          switchBackMs: round1(back - Date.parse(aborted.status!.abortedAt!)),
          promoteToSwitchMs: round1(switched - promoteWritten),
          abortToSwitchBackMs: round1(back - abortWritten),
        });
        // Back to the wait for promotion, for this Rollout's next round.
        retries.set(
          name,
          waitRollout(name, 'the abort request removed', handled, 30_000).then(() => request(name, 'retry')),
        );
      }
      if ((i + 1) % 5 === 0) ctx.progress(`blue-green: ${i + 1}/${rounds} rounds`);
    }
    await Promise.all(retries.values());
  } finally {
    watched.stop();
  }
  const figures = (kind: SwitchKind): SwitchFigures => {
    const of = samples.filter((s) => s.kind === kind);
    return {
      decisionToSwitchMs: summarize(of.map((s) => s.switchMs)),
      decisionToSwitchBackMs: summarize(of.map((s) => s.switchBackMs)),
      promoteWrittenToSwitchMs: summarize(of.map((s) => s.promoteToSwitchMs)),
      abortWrittenToSwitchBackMs: summarize(of.map((s) => s.abortToSwitchBackMs)),
    };
  };
  return {
    service: figures('service'),
    httpRoute: figures('httpRoute'),
    setup: { rolloutsPerKind: all.length / kinds.length, replicas, rounds },
    samples,
  };
}

const round1 = (x: number) => Math.round(x * 10) / 10;
