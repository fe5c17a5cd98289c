/**
 * A channel's namespaceSelector against the labels of a Rollout's namespace. The labels are read by name in the
 * background (get namespaces; Sluice watches no namespaces) and kept a short while, so that a burst of
 * notifications from one namespace costs one read.
 */
import type { NotificationChannelSpec } from '../api/types.ts';

type Selector = NonNullable<NotificationChannelSpec['namespaceSelector']>;

/** metav1.LabelSelector semantics: every matchLabels entry and every expression must hold; empty selects all. */
export function selectorMatches(selector: Selector | undefined, labels: Record<string, string>): boolean {
  if (selector === undefined) return true;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const inValues = has && (e.values ?? []).includes(labels[e.key]!);
    if (e.operator === 'In' && !inValues) return false;
    if (e.operator === 'NotIn' && inValues) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

/** Reads a namespace's labels; undefined when the namespace is gone. Throws when it cannot be read now. */
export type ReadNamespaceLabels = (namespace: string) => Promise<Record<string, string> | undefined>;

/** Keeps each namespace's labels for `ttlMs`, at most `max` namespaces (the oldest entry goes first). */
export function cachedNamespaceLabels(
  read: ReadNamespaceLabels,
  ttlMs = 30_000,
  max = 1_000,
  now: () => number = Date.now,
): ReadNamespaceLabels {
  const cache = new Map<string, { at: number; labels: Record<string, string> | undefined }>();
  return async (namespace) => {
    const hit = cache.get(namespace);
    if (hit !== undefined && now() - hit.at < ttlMs) return hit.labels;
    const labels = await read(namespace);
    cache.delete(namespace);
    if (cache.size >= max) cache.delete(cache.keys().next().value!);
    cache.set(namespace, { at: now(), labels });
    return labels;
  };
}
