/**
 * What a Job's status says about the measurement: the Job controller's terminal conditions, read as the Job API
 * documents them. Since Kubernetes 1.31 the controller first adds FailureTarget or SuccessCriteriaMet, then waits
 * for the pods to terminate before Failed or Complete: the first of the pair is already the outcome, so a
 * measurement does not wait for pods to finish terminating.
 */
import type { V1Job, V1Pod } from '@kubernetes/client-node';

export type JobOutcome =
  | { phase: 'Successful'; reason: string }
  | { phase: 'Failed'; reason: string; message: string | undefined }
  | { phase: 'Running' };

const isTrue = (job: V1Job, type: string) =>
  (job.status?.conditions ?? []).find((c) => c.type === type && c.status === 'True');

export function jobOutcome(job: V1Job): JobOutcome {
  // Failed before Complete: a Job has only one of them, and should both ever show, failing is the safe reading.
  const failed = isTrue(job, 'Failed') ?? isTrue(job, 'FailureTarget');
  if (failed !== undefined) return { phase: 'Failed', reason: failed.reason ?? 'Failed', message: failed.message };
  const done = isTrue(job, 'Complete') ?? isTrue(job, 'SuccessCriteriaMet');
  if (done !== undefined) return { phase: 'Successful', reason: done.reason ?? 'Complete' };
  return { phase: 'Running' };
}

/**
 * The pod whose log tells why the Job failed, and its container: the latest pod that failed, and in it the first
 * container that exited non-zero (else the first container). Undefined when no pod failed (a deadline hit while
 * pods were pending).
 */
export function failedPod(pods: readonly V1Pod[]): { name: string; container: string | undefined } | undefined {
  const failed = pods.filter((p) => p.status?.phase === 'Failed').sort((a, b) => time(b) - time(a));
  const pod = failed[0];
  if (pod?.metadata?.name === undefined) return undefined;
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  const broken = statuses.find((s) => (s.state?.terminated?.exitCode ?? 0) !== 0);
  return { name: pod.metadata.name, container: broken?.name ?? pod.spec?.containers[0]?.name };
}

const time = (p: V1Pod) => {
  const t = p.metadata?.creationTimestamp;
  return t === undefined ? 0 : new Date(t).getTime();
};

/** The exit code of the failed container, for the message: "exit code 1". */
export function exitCodeOf(pods: readonly V1Pod[], pod: string, container: string | undefined): number | undefined {
  const p = pods.find((x) => x.metadata?.name === pod);
  const statuses = [...(p?.status?.initContainerStatuses ?? []), ...(p?.status?.containerStatuses ?? [])];
  return statuses.find((s) => s.name === container)?.state?.terminated?.exitCode;
}
