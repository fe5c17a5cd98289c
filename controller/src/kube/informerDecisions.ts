/**
 * The informer's decisions, apart from its timers and requests so that they can be tested alone: what the cache
 * keeps of an object, what a watch ERROR event means, and how the loop goes on after a watch ends.
 */
import { isGone } from './apiErrors.ts';
import type { KubeObject } from './objectStore.ts';
import { apiVersionOf, type ResourceRef } from './resourceRef.ts';
import type { WatchEvent } from './kubeJsonApi.ts';

export type RestartReason = 'closed' | 'error' | 'stalled' | 'expired' | 'resync';

export interface WatchEnd {
  reason: RestartReason | 'stopped';
  error: unknown;
  /** The last resourceVersion seen, from an event or a bookmark. */
  resourceVersion: string;
  /** Whether any event or bookmark arrived: proof the API server was answering. */
  progressed: boolean;
}

/** What the loop does after a watch ended (other than stopped). */
export interface NextStep {
  /** Watch again from here; undefined lists again first. */
  resourceVersion: string | undefined;
  /** Forget past failures before taking a delay: the API server answered. */
  resetBackoff: boolean;
  /** Drop pooled connections: a silent watch is a silent connection, and its siblings may be just as dead. */
  dropConnections: boolean;
  /** Whether to wait a backoff delay before going on (else go on at once). */
  backOff: boolean;
}

export function nextStep(end: WatchEnd & { reason: RestartReason }): NextStep {
  return {
    resourceVersion: end.reason === 'expired' ? undefined : end.resourceVersion,
    resetBackoff: end.progressed,
    // A silent watch is a silent connection, and its siblings in the pool may be just as dead (a partition):
    // the relist or watch that follows must not wait out a deadline on one of them.
    dropConnections: end.reason === 'stalled',
    backOff: backsOff(end),
  };
}

function backsOff(end: WatchEnd & { reason: RestartReason }): boolean {
  switch (end.reason) {
    case 'error':
      return true;
    case 'closed':
    case 'expired':
      // Routine when the watch had been working; a loop when the API server ends every watch at once.
      return !end.progressed;
    default:
      return false; // a stalled watch already waited out its timeout; a resync is due now
  }
}

/** How long until the next relist is due; undefined when the informer never relists on its own. */
export function resyncDelayMs(resyncPeriodMs: number, listedAt: number, now: number): number | undefined {
  return resyncPeriodMs > 0 ? Math.max(0, listedAt + resyncPeriodMs - now) : undefined;
}

/** Why a watch ERROR event ends the watch: 410 Gone (the resourceVersion is too old) means list again. */
export function watchFailure(
  kind: string,
  event: WatchEvent,
): { reason: 'expired' | 'error'; error: Error } | undefined {
  if (event.type !== 'ERROR') return undefined;
  const status = event.object as { code?: number; reason?: string; message?: string };
  const error = new Error(`${kind} watch error ${status.code ?? '?'} ${status.reason ?? ''}: ${status.message ?? ''}`);
  return { reason: isGone(status) ? 'expired' : 'error', error };
}

/**
 * The object as the cache keeps it. List items of built-in kinds come without apiVersion and kind: they get
 * the ones watch events carry. managedFields and kubectl's last-applied copy are left out (as client-go's
 * TransformStripManagedFields does): nothing here reads them, and on objects written by kubectl apply they
 * are most of the bytes (a Rollout's spec twice more). Writes never send a cached object's metadata back but
 * to the status subresource, which ignores it, so nothing is lost on the API server.
 */
export function forCache<T extends KubeObject>(obj: T, resource: ResourceRef): T {
  const metadata = obj.metadata;
  const annotations = metadata?.annotations as Record<string, string> | undefined;
  const slim =
    metadata !== undefined &&
    (metadata.managedFields !== undefined || annotations?.[lastAppliedAnnotation] !== undefined)
      ? {
          ...obj,
          metadata: {
            ...withoutKey(metadata, 'managedFields'),
            ...(annotations === undefined ? {} : { annotations: withoutKey(annotations, lastAppliedAnnotation) }),
          },
        }
      : obj;
  if (slim.apiVersion !== undefined && slim.kind !== undefined) return slim;
  return { ...slim, apiVersion: slim.apiVersion ?? apiVersionOf(resource), kind: slim.kind ?? resource.kind };
}

export const lastAppliedAnnotation = 'kubectl.kubernetes.io/last-applied-configuration';

function withoutKey<V extends object>(record: V, key: string): V {
  const { [key]: _dropped, ...rest } = record as Record<string, unknown>;
  return rest as V;
}
