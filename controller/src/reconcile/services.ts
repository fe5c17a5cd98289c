/**
 * Sluice's Services: the -stable and -canary Services of a canary, the active and preview Services of a blue-green
 * Rollout. A missing one is created, owned by the Rollout. An existing one a blue-green Rollout names is adopted: it
 * gets the Rollout's label (so the cache sees it), its selector from before is kept in an annotation and put back
 * when the Rollout is deleted (handover.ts), and its ports stay the user's. A Service another Rollout uses, or one
 * without a selector (ExternalName, the API server's own `kubernetes`), is never touched: a tenant must not be able
 * to repoint a Service that was not made to select pods by label.
 */
import type { V1Service } from '@kubernetes/client-node';
import { PatchStrategy } from '../kube/resourceClients.ts';
import type { Rollout } from '../api/types.ts';
import { isConflict } from '../kube/apiErrors.ts';
import { adoptedSelectorAnnotation, revisionLabel, rolloutLabel, serviceName } from '../workload/names.ts';
import { buildService } from '../workload/objects.ts';
import type { ExecuteContext } from './execute.ts';
import { sameJson } from './sameJson.ts';

const merge = PatchStrategy.MergePatch;

type Role = 'stable' | 'canary';

/** Why Sluice may not take this existing Service over for `rollout`; undefined when it may. */
export function adoptionRefused(rollout: Rollout, service: V1Service): string | undefined {
  const owner = service.metadata?.labels?.[rolloutLabel];
  const name = service.metadata?.name ?? '';
  if (owner !== undefined && owner !== rollout.metadata.name)
    return `Service ${name} belongs to Rollout ${owner} (label ${rolloutLabel}): name a Service no other Rollout uses`;
  if (owner === rollout.metadata.name) return undefined;
  const controller = service.metadata?.ownerReferences?.find((o) => o.controller === true);
  if (controller !== undefined && controller.uid !== rollout.metadata.uid)
    return `Service ${name} is managed by ${controller.kind} ${controller.name}: name a Service no other controller manages, or one that does not exist yet`;
  if (service.spec?.type === 'ExternalName' || Object.keys(service.spec?.selector ?? {}).length === 0)
    return `Service ${name} has no pod selector (ExternalName or selectorless): Sluice only adopts a Service that selects pods by label; name another one, or delete it and let Sluice create it`;
  return undefined;
}

export async function applyService(ctx: ExecuteContext, role: Role, revision: string): Promise<void> {
  const desired = buildService(ctx.rollout, role, revision);
  const namespace = ctx.rollout.metadata.namespace!;
  const cached = ctx.caches.services.get(namespace, serviceName(ctx.rollout, role));
  if (cached !== undefined) {
    const refused = adoptionRefused(ctx.rollout, cached);
    if (refused !== undefined) throw new Error(`${fieldOf(ctx.rollout, role)}: ${refused}`);
    if (upToDate(cached, desired)) return;
    ctx.fence();
    await ctx.clients.core.patchNamespacedService(
      { namespace, name: desired.metadata!.name!, body: specPatch(cached, desired) },
      merge,
    );
    return;
  }
  ctx.fence();
  try {
    await ctx.clients.core.createNamespacedService({ namespace, body: desired });
  } catch (err) {
    // It exists but the cache (which sees only Services with the Rollout label) does not: the user's own Service.
    if (!isConflict(err) || ctx.rollout.spec.strategy.blueGreen === undefined) throw err;
    await adopt(ctx, role, desired);
  }
}

/** The spec field that names the Service of a role, for messages. */
function fieldOf(rollout: Rollout, role: Role): string {
  if (rollout.spec.strategy?.blueGreen === undefined) return 'spec.service';
  return `spec.strategy.blueGreen.${role === 'stable' ? 'activeService' : 'previewService'}`;
}

/** Takes over an existing Service: label, the selector from before recorded, the selector set, in one patch. */
async function adopt(ctx: ExecuteContext, role: Role, desired: V1Service): Promise<void> {
  const namespace = ctx.rollout.metadata.namespace!;
  const name = desired.metadata!.name!;
  const existing = await ctx.clients.core.readNamespacedService({ namespace, name });
  const refused = adoptionRefused(ctx.rollout, existing);
  if (refused !== undefined) throw new Error(`${fieldOf(ctx.rollout, role)}: ${refused}`);
  if (existing.metadata?.ownerReferences?.some((o) => o.uid === ctx.rollout.metadata.uid) === true) {
    // Sluice's own, created by an earlier reconcile that the cache has not shown yet: not the user's to record.
    ctx.fence();
    const body = {
      ...specPatch(existing, desired),
      metadata: { labels: { [rolloutLabel]: ctx.rollout.metadata.name } },
    };
    await ctx.clients.core.patchNamespacedService({ namespace, name, body }, merge);
    return;
  }
  const before = existing.metadata?.annotations?.[adoptedSelectorAnnotation];
  ctx.fence();
  await ctx.clients.core.patchNamespacedService(
    {
      namespace,
      name,
      body: {
        metadata: {
          // The resourceVersion makes the patch fail if the Service changed since it was read: the selector
          // recorded is then the one that was replaced, never an older one.
          resourceVersion: existing.metadata?.resourceVersion,
          labels: { [rolloutLabel]: ctx.rollout.metadata.name },
          annotations: { [adoptedSelectorAnnotation]: before ?? JSON.stringify(existing.spec?.selector ?? {}) },
        },
        spec: { selector: selectorPatch(existing.spec?.selector, desired.spec!.selector!) },
      },
    },
    merge,
  );
}

function adopted(service: V1Service): boolean {
  return service.metadata?.annotations?.[adoptedSelectorAnnotation] !== undefined;
}

/** An adopted Service keeps its own ports: only the selector is Sluice's. */
function upToDate(cached: V1Service, desired: V1Service): boolean {
  if (!sameJson(cached.spec?.selector, desired.spec?.selector)) return false;
  if (adopted(cached)) return true;
  return sameJson(
    cached.spec?.ports?.map((p) => [p.port, p.targetPort]),
    desired.spec?.ports?.map((p) => [p.port, p.targetPort]),
  );
}

function specPatch(cached: V1Service, desired: V1Service): Record<string, unknown> {
  const selector = selectorPatch(cached.spec?.selector, desired.spec!.selector!);
  return adopted(cached) ? { spec: { selector } } : { spec: { selector, ports: desired.spec!.ports } };
}

/** A merge patch that leaves exactly `wanted` as the selector: keys it lacks are removed (null), not merged. */
function selectorPatch(current: Record<string, string> | undefined, wanted: Record<string, string>) {
  const patch: Record<string, string | null> = { ...wanted };
  for (const key of Object.keys(current ?? {})) if (!(key in wanted)) patch[key] = null;
  return patch;
}

/**
 * Deleting the Rollout leaves the Services users call working. Every Service Sluice adopted for it (found by its
 * label, so also one the spec no longer names) gets its own selector back, and the label and the record go. A
 * blue-green active Service that Sluice created is handed over to the Deployment: it selects the Deployment's pods
 * and is no longer owned by the Rollout, so the garbage collector does not take it with the Rollout. Owned preview
 * and canary Services go with the Rollout.
 */
export async function releaseServices(
  ctx: Pick<ExecuteContext, 'rollout' | 'clients' | 'fence' | 'caches'>,
  deploymentSelector: Record<string, string> | undefined,
): Promise<void> {
  const { rollout } = ctx;
  const namespace = rollout.metadata.namespace!;
  const ours = ctx.caches.services
    .list(namespace)
    .filter((s) => s.metadata?.labels?.[rolloutLabel] === rollout.metadata.name);
  const active = rollout.spec.strategy?.blueGreen === undefined ? undefined : serviceName(rollout, 'stable');
  for (const service of ours) {
    const name = service.metadata!.name!;
    const recorded = service.metadata?.annotations?.[adoptedSelectorAnnotation];
    const owned = service.metadata?.ownerReferences?.some((o) => o.uid === rollout.metadata.uid) === true;
    // An adopted Service whose record was edited into something unreadable selects the Deployment's pods instead.
    const selector = recorded !== undefined && !owned ? (recordedSelector(recorded) ?? deploymentSelector) : undefined;
    const handedOver = owned && name === active ? deploymentSelector : undefined;
    const back = selector ?? handedOver;
    if (back === undefined || Object.keys(back).length === 0) continue;
    ctx.fence();
    await ctx.clients.core.patchNamespacedService(
      {
        namespace,
        name,
        body: {
          metadata: {
            labels: { [rolloutLabel]: null },
            annotations: { [adoptedSelectorAnnotation]: null },
            ...(handedOver === undefined ? {} : { ownerReferences: null }),
          },
          spec: { selector: selectorPatch(service.spec?.selector, back) },
        },
      },
      merge,
    );
  }
}

/** The selector recorded at adoption: a flat map of label keys to string values, or undefined. */
export function recordedSelector(annotation: string): Record<string, string> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(annotation);
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const entries = Object.entries(value);
  if (entries.length > 64 || entries.some(([k, v]) => typeof v !== 'string' || k.length > 317 || v.length > 63))
    return undefined;
  return Object.fromEntries(entries);
}

/** Whether the stable Service exists and selects a revision other than `revision` (the read-back, not status). */
export function stableServiceSelectsOther(ctx: ExecuteContext, revision: string): boolean {
  if (ctx.rollout.spec.service === undefined) return false;
  const service = ctx.caches.services.get(ctx.rollout.metadata.namespace, serviceName(ctx.rollout, 'stable'));
  const selects = service?.spec?.selector?.[revisionLabel];
  return selects !== undefined && selects !== revision;
}
