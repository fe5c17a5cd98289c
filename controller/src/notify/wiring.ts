/**
 * Builds the Notifier from the controller's parts: the channel cache, reads of the controller namespace's Secrets
 * and of namespaces' labels (on the background client, never ahead of a reconcile's write), and the failed
 * metric's condition from the templates the Rollout names.
 */
import type { KubeConfig } from '../kube/clientNode.ts';
import { CoreClient, jsonApi } from '../kube/resourceClients.ts';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { AnalysisTemplateSpec, NotificationChannel, Rollout } from '../api/types.ts';
import { isNotFound } from '../kube/apiErrors.ts';
import type { Caches, ObjectCache } from '../reconcile/caches.ts';
import type { EventSink } from '../reconcile/eventRecorder.ts';
import { createNotificationMetrics } from './metrics.ts';
import { cachedNamespaceLabels } from './namespaceSelector.ts';
import { Notifier } from './notifier.ts';

export interface NotifierWiring {
  readsKc: KubeConfig;
  /** The controller's own namespace: the only one whose Secrets a channel may name. */
  secretNamespace: string;
  channels: ObjectCache<NotificationChannel>;
  caches: Pick<Caches, 'analysisTemplates' | 'clusterAnalysisTemplates'>;
  events: EventSink;
  registry: Registry;
  log: Logger;
}

/** Every template reference in a Rollout's spec (steps, background, blue-green analyses), wherever it sits. */
function templateRefs(value: unknown, out: { templateName: string; clusterScope?: boolean }[] = []) {
  if (Array.isArray(value)) for (const v of value) templateRefs(v, out);
  else if (typeof value === 'object' && value !== null) {
    const o = value as Record<string, unknown>;
    if (typeof o.templateName === 'string')
      out.push({ templateName: o.templateName, clusterScope: o.clusterScope === true });
    else for (const v of Object.values(o)) templateRefs(v, out);
  }
  return out;
}

/** How a metric judges its value, as a message can say it: its failure condition, else its success condition. */
export function metricCondition(
  rollout: Rollout,
  metric: string,
  template: (ref: { templateName: string; clusterScope?: boolean }) => AnalysisTemplateSpec | undefined,
): string | undefined {
  for (const ref of templateRefs(rollout.spec.strategy)) {
    const m = template(ref)?.metrics.find((x) => x.name === metric);
    if (m === undefined) continue;
    if (m.failureCondition !== undefined) return `failure when ${m.failureCondition}`;
    if (m.successCondition !== undefined) return `success needs ${m.successCondition}`;
    if (m.compare !== undefined) return `canary vs stable (${m.compare.method}, ${m.compare.direction})`;
  }
  return undefined;
}

export function createNotifier(w: NotifierWiring): Notifier {
  const core = new CoreClient(jsonApi(w.readsKc));
  const template = (ref: { templateName: string; clusterScope?: boolean }, namespace: string) =>
    ref.clusterScope === true
      ? w.caches.clusterAnalysisTemplates.get(undefined, ref.templateName)?.spec
      : w.caches.analysisTemplates.get(namespace, ref.templateName)?.spec;
  return new Notifier({
    channels: w.channels,
    events: w.events,
    log: w.log,
    metrics: createNotificationMetrics(w.registry),
    conditionOf: (rollout, _run, metric) =>
      metricCondition(rollout, metric, (ref) => template(ref, rollout.metadata.namespace ?? '')),
    namespaceLabels: cachedNamespaceLabels(async (namespace) => {
      try {
        return (await core.readNamespace({ name: namespace })).metadata?.labels ?? {};
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    }),
    readSecret: async (name, key) => {
      try {
        const secret = await core.readNamespacedSecret({ namespace: w.secretNamespace, name });
        const data = secret.data?.[key];
        // The bytes, not their UTF-8 reading: a binary signing key read as text is another key.
        return data === undefined ? undefined : Buffer.from(data, 'base64');
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },
  });
}
