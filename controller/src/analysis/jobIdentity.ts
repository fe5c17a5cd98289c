/**
 * Who a measurement's Job is: its name, derived from the measurement's id alone, so that the measurement taken again
 * after a controller restart finds the Job the first attempt created; the labels that say which run, revision,
 * metric and measurement it serves (`kubectl get jobs -l sluice.dev/analysis-rollout-uid=...`); and the test that
 * an existing Job of that name is this measurement's, which is the only Job Sluice adopts or deletes.
 */
import { createHash } from 'node:crypto';
import type { V1Job, V1ObjectMeta, V1OwnerReference } from '@kubernetes/client-node';
import { apiVersion } from '../api/types.ts';

export const jobLabels = {
  /** The hash of the measurement id: the one label that tells this measurement's Job from any other. */
  measurement: 'sluice.dev/analysis-measurement',
  rolloutUid: 'sluice.dev/analysis-rollout-uid',
  rollout: 'sluice.dev/analysis-rollout',
  run: 'sluice.dev/analysis-run',
  revision: 'sluice.dev/analysis-revision',
  metric: 'sluice.dev/analysis-metric',
  index: 'sluice.dev/analysis-measurement-index',
} as const;

/** Put on the Job beside the labels: the measurement id in full (a label value holds 63 characters at most). */
export const measurementIdAnnotation = 'sluice.dev/analysis-measurement-id';

export interface JobOwner {
  namespace: string;
  rollout: { name: string; uid: string | undefined };
  measurementId: string;
}

const digest = (text: string, length: number) => createHash('sha256').update(text).digest('hex').slice(0, length);

/** The hash that names the Job and labels it: of the Rollout (uid, else name) and the measurement id. */
export function measurementHash(owner: JobOwner): string {
  return digest(`${owner.namespace}/${owner.rollout.uid ?? owner.rollout.name}/${owner.measurementId}`, 16);
}

const labelValuePattern = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

/** `text` as a label value: as it is when it is one, otherwise a short hash of it (still unique, no longer readable). */
export function labelValue(text: string): string {
  return text === '' || labelValuePattern.test(text) ? text : `h-${digest(text, 16)}`;
}

/**
 * The Job's name: "sluice-<rollout>-<hash>", a DNS-1123 label of at most 63 characters (a Job's name is also the
 * value of its pods' job-name label). The Rollout's name is only there for people; the hash alone is the identity.
 */
export function jobName(owner: JobOwner): string {
  const readable = owner.rollout.name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .slice(0, 38)
    .replace(/^-+|-+$/g, '');
  return readable === '' ? `sluice-analysis-${measurementHash(owner)}` : `sluice-${readable}-${measurementHash(owner)}`;
}

/** The parts of a measurement id (engine.ts: "<run>/<revision>/<run start>/<metric>/<index>"), for labels. */
function idParts(id: string): { run: string; revision: string; metric: string; index: string } | undefined {
  const parts = id.split('/');
  if (parts.length < 5) return undefined;
  const index = parts.pop()!;
  const metric = parts.pop()!;
  parts.pop(); // the run's start: in the annotation, too long and too irregular for a label
  const revision = parts.pop()!;
  return { run: parts.join('/'), revision, metric, index };
}

/** The labels Sluice puts on a measurement's Job (they take precedence over the template's). */
export function ownLabels(owner: JobOwner): Record<string, string> {
  const parts = idParts(owner.measurementId);
  return {
    [jobLabels.measurement]: measurementHash(owner),
    [jobLabels.rollout]: labelValue(owner.rollout.name),
    ...(owner.rollout.uid === undefined ? {} : { [jobLabels.rolloutUid]: labelValue(owner.rollout.uid) }),
    ...(parts === undefined
      ? {}
      : {
          [jobLabels.run]: labelValue(parts.run),
          [jobLabels.revision]: labelValue(parts.revision),
          [jobLabels.metric]: labelValue(parts.metric),
          [jobLabels.index]: labelValue(parts.index),
        }),
  };
}

/**
 * The Rollout as the Job's owner. Not its controller (the Job controller is the pods'; nothing controls the Job) and
 * not blocking the Rollout's deletion: the reference is there so that deleting the Rollout collects a Job a crashed
 * controller left behind. Sluice keeps analysis runs in the Rollout's status, so there is no AnalysisRun to own it.
 */
export function rolloutOwnerReference(owner: JobOwner): V1OwnerReference[] {
  if (owner.rollout.uid === undefined) return [];
  return [
    {
      apiVersion,
      kind: 'Rollout',
      name: owner.rollout.name,
      uid: owner.rollout.uid,
      controller: false,
      blockOwnerDeletion: false,
    },
  ];
}

/** The metadata Sluice writes: the template's labels and annotations under its own, and nothing else of the template's. */
export function jobMetadata(
  owner: JobOwner,
  template: { labels?: Record<string, string>; annotations?: Record<string, string> } | undefined,
): V1ObjectMeta {
  return {
    name: jobName(owner),
    namespace: owner.namespace,
    labels: { ...(template?.labels ?? {}), ...ownLabels(owner) },
    annotations: { ...(template?.annotations ?? {}), [measurementIdAnnotation]: owner.measurementId },
    ownerReferences: rolloutOwnerReference(owner),
  };
}

/**
 * Whether an existing Job of the measurement's name is the one this measurement created (before a restart, say):
 * its measurement label, its id annotation and, when the Rollout's uid is known, its owner reference must all say
 * so. A Job someone else made under that name is never adopted, waited for or deleted.
 */
export function isMeasurementJob(job: V1Job, owner: JobOwner): boolean {
  const meta = job.metadata ?? {};
  if (meta.labels?.[jobLabels.measurement] !== measurementHash(owner)) return false;
  if (meta.annotations?.[measurementIdAnnotation] !== owner.measurementId) return false;
  if (owner.rollout.uid === undefined) return true;
  return (meta.ownerReferences ?? []).some((r) => r.kind === 'Rollout' && r.uid === owner.rollout.uid);
}
