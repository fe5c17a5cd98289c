/**
 * SMI: splits traffic with the weights of a TrafficSplit's backends (split.smi-spec.io, whichever version the
 * cluster serves). Sluice patches only the `weight` of the two backends that name the -stable and -canary Services,
 * with JSON Patch `test` operations on each backend's service at its index, so a split edited meanwhile makes the
 * patch fail instead of writing a weight onto the wrong backend. With rootService set and no TrafficSplit of that
 * name, Sluice creates one, owned by the Rollout; a TrafficSplit of that name that Sluice does not own is the user's.
 */
import type { Rollout } from '../../api/types.ts';
import { apiGroup } from '../../api/types.ts';
import { isConflict } from '../../kube/apiErrors.ts';
import type { KubeObject } from '../../kube/objectStore.ts';
import type { TrafficObservation } from '../../planner/world.ts';
import { ownedBy, rolloutLabel, serviceName } from '../../workload/names.ts';
import type { RouterDeps, TrafficIntent, TrafficRouter } from '../router.ts';
import { formatWeight, parseWeight } from './backendWeight.ts';

export const trafficSplitKind = 'TrafficSplit';
const base = 'spec.trafficRouting.smi';
const nameField = `${base}.trafficSplitName`;
const rootField = `${base}.rootService`;

/** The two backends Sluice weighs: their indexes in spec.backends and their weights. */
interface Split {
  stable: number;
  canary: number;
  stableWeight: number;
  canaryWeight: number;
}

type Read = Split | { absent: true } | Extract<TrafficObservation, { kind: 'invalid' }>;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The uid of the Rollout that controls the object, if a Rollout does (Sluice creates its objects so). */
function controllingRollout(object: KubeObject): { name: string; uid: string } | undefined {
  const refs: unknown = object.metadata?.ownerReferences;
  if (!Array.isArray(refs)) return undefined;
  const ref: unknown = refs.find((r) => isRecord(r) && r.controller === true);
  if (!isRecord(ref) || ref.kind !== 'Rollout' || typeof ref.apiVersion !== 'string') return undefined;
  if (!ref.apiVersion.startsWith(`${apiGroup}/`) || typeof ref.uid !== 'string') return undefined;
  return { name: String(ref.name), uid: ref.uid };
}

export function trafficSplitRouter(rollout: Rollout, deps: RouterDeps): TrafficRouter {
  const namespace = rollout.metadata.namespace!;
  const { trafficSplitName: name, rootService } = rollout.spec.trafficRouting!.smi!;
  const where = `TrafficSplit ${namespace}/${name}`;
  const stableName = serviceName(rollout, 'stable');
  const canaryName = serviceName(rollout, 'canary');
  const invalid = (field: string, message: string) => ({ kind: 'invalid', field, message }) as const;

  const read = (): Read => {
    if (deps.served(trafficSplitKind) === undefined)
      return invalid(
        nameField,
        'the SMI TrafficSplit kind (split.smi-spec.io v1alpha1 to v1alpha4) is not served by this cluster: install the TrafficSplit CRD of your mesh (Linkerd SMI extension, Open Service Mesh)',
      );
    const split = deps.cached(trafficSplitKind, namespace, name);
    if (split === undefined) {
      if (rootService !== undefined) return { absent: true };
      return invalid(
        nameField,
        `${where} not found: create it with spec.service set to the Service your clients call and spec.backends ` +
          `{service: ${stableName}, weight: 100} and {service: ${canaryName}, weight: 0}, or set ${rootField} for Sluice to create it`,
      );
    }
    const owner = controllingRollout(split);
    if (owner !== undefined && owner.uid !== rollout.metadata.uid)
      return invalid(
        nameField,
        `${where} is managed by Rollout ${owner.name}: give this Rollout a TrafficSplit of its own`,
      );
    const spec: unknown = split.spec;
    if (owner !== undefined && rootService !== undefined && isRecord(spec) && spec.service !== rootService)
      return invalid(
        rootField,
        `${where}, created by Sluice, splits Service ${JSON.stringify(spec.service)}, not ${rootService}: ` +
          `set rootService to ${JSON.stringify(spec.service)}, or delete the TrafficSplit for Sluice to create it for ${rootService}`,
      );
    const backends: unknown = isRecord(spec) ? spec.backends : undefined;
    const list = Array.isArray(backends) ? backends : [];
    const indexOf = (service: string) => list.findIndex((b) => isRecord(b) && b.service === service);
    const stable = indexOf(stableName);
    const canary = indexOf(canaryName);
    const missing = [stable < 0 ? stableName : undefined, canary < 0 ? canaryName : undefined].filter(
      (s) => s !== undefined,
    );
    if (missing.length > 0) {
      const add = missing.map((s) => `{service: ${s}, weight: ${s === stableName ? 100 : 0}}`).join(' and ');
      return invalid(nameField, `${where} has no backend ${missing.join(' or ')}: add ${add} to its spec.backends`);
    }
    const weightOf = (index: number) => (list[index] as Record<string, unknown>).weight;
    const stableWeight = parseWeight(weightOf(stable));
    const canaryWeight = parseWeight(weightOf(canary));
    const bad = stableWeight === undefined ? stable : canaryWeight === undefined ? canary : undefined;
    if (bad !== undefined)
      return invalid(
        nameField,
        `${where} backend ${bad === stable ? stableName : canaryName} has weight ${JSON.stringify(weightOf(bad)) ?? 'unset'}, which is not a non-negative number: set it to 0`,
      );
    return { stable, canary, stableWeight: stableWeight!, canaryWeight: canaryWeight! };
  };

  const create = async () => {
    const ref = deps.served(trafficSplitKind)!;
    const weight = (w: number) => formatWeight(ref.version, w);
    const body: KubeObject = {
      apiVersion: `${ref.group}/${ref.version}`,
      kind: trafficSplitKind,
      metadata: {
        name,
        namespace,
        labels: { [rolloutLabel]: rollout.metadata.name! },
        ownerReferences: ownedBy(rollout),
      },
      spec: {
        service: rootService,
        backends: [
          { service: stableName, weight: weight(100) },
          { service: canaryName, weight: weight(0) },
        ],
      },
    };
    try {
      await deps.create(trafficSplitKind, namespace, body);
    } catch (err) {
      // Created since the cache was read (by the reconcile before this one, or by the user): the informer brings
      // it, and the next reconcile reads it and decides whether it is Sluice's.
      if (!isConflict(err)) throw err;
    }
  };

  return {
    kind: 'smi',
    observe() {
      const r = read();
      // Absent and Sluice's to create: nothing sends to the canary through a split yet. Read as 0%, never as "no
      // router" (that would let a setWeight step count without a read-back); apply creates it at 100% stable.
      if ('absent' in r) return { kind: 'weights', canary: 0, stable: 100, routes: [] };
      if ('kind' in r) return r;
      const total = r.stableWeight + r.canaryWeight;
      // Weights are proportions; 0 and 0 sends nothing to the canary.
      const canary = total === 0 ? 0 : Math.round((r.canaryWeight * 100) / total);
      return { kind: 'weights', canary, stable: 100 - canary, routes: [] };
    },
    differs(intent: TrafficIntent) {
      const r = read();
      if ('absent' in r) return true;
      if ('kind' in r) return false;
      return r.canaryWeight !== intent.canaryWeight || r.stableWeight !== 100 - intent.canaryWeight;
    },
    async apply(intent: TrafficIntent) {
      const r = read();
      if ('absent' in r) return create();
      if ('kind' in r) throw new Error(r.message);
      const version = deps.served(trafficSplitKind)!.version;
      const path = (index: number) => `/spec/backends/${index}`;
      await deps.jsonPatch(trafficSplitKind, namespace, name, [
        { op: 'test', path: `${path(r.stable)}/service`, value: stableName },
        { op: 'test', path: `${path(r.canary)}/service`, value: canaryName },
        { op: 'add', path: `${path(r.stable)}/weight`, value: formatWeight(version, 100 - intent.canaryWeight) },
        { op: 'add', path: `${path(r.canary)}/weight`, value: formatWeight(version, intent.canaryWeight) },
      ]);
    },
  };
}
