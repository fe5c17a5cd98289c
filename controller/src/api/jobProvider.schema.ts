/**
 * The `job` metric provider's spec: a Kubernetes Job template that Sluice runs in the Rollout's namespace for each
 * measurement; the Job's own conditions are the verdict. The Job spec is kept as the API server's batch/v1 JobSpec
 * (x-kubernetes-preserve-unknown-fields, as an embedded template must be: copying the PodSpec schema into the CRD
 * would pin it to one Kubernetes version). Its size and the fields a tenant could use to reach beyond their own
 * namespace's rights through Sluice are checked by the controller (analysis/jobTemplate.ts) before it creates anything.
 */
import { Type, type Static } from 'typebox';
import { duration, object } from './common.schema.ts';

export const jobLimits = {
  /** The Job may run this long; a measurement holds a slot of the Job pool meanwhile (reconcile/backgroundTasks.ts). */
  timeout: '1h',
  defaultTimeout: '10m',
  /** The JSON of metadata + spec; a smoke test's Job is a few KiB, the API server's own limit 1.5 MiB per object. */
  templateBytes: 32 * 1024,
  labels: 32,
  annotations: 32,
  /** completions and parallelism: a check, not a batch workload. */
  pods: 10,
  backoffLimit: 10,
} as const;

const stringMap = (description: string, maxProperties: number) =>
  Type.Record(Type.String({ maxLength: 317 }), Type.String({ maxLength: 4096 }), { description, maxProperties });

export const jobProvider = object(
  "Runs a Kubernetes Job from this template in the Rollout's namespace for each measurement: Successful when the Job completes, Failed when it fails (with the tail of the failed pod's log in the message). Sluice names, labels and deletes the Job.",
  {
    metadata: Type.Optional(
      // No namespace: a Job always runs in the Rollout's namespace (the controller refuses one that got here anyway).
      object('Labels and annotations for the Job (Sluice adds its own labels, which take precedence).', {
        labels: Type.Optional(stringMap('Labels of the Job.', jobLimits.labels)),
        annotations: Type.Optional(stringMap('Annotations of the Job.', jobLimits.annotations)),
      }),
    ),
    spec: Type.Unsafe<Record<string, unknown>>({
      type: 'object',
      'x-kubernetes-preserve-unknown-fields': true,
      description: `A batch/v1 JobSpec (template, backoffLimit, ...), checked by the API server when the Job is created. At most ${jobLimits.templateBytes / 1024} KiB; completions and parallelism at most ${jobLimits.pods}; no selector or manualSelector; pods may not use the host's network, PID or IPC namespaces, hostPath or other node-mounted volumes (gitRepo, nfs, ...), hostPort, nodeName, privileged containers, added capabilities, Unconfined seccomp/AppArmor, a priorityClassName or tolerating every taint or the control plane's unless the template is a ClusterAnalysisTemplate. backoffLimit defaults to 0 (one failed pod fails the measurement).`,
    }),
    timeout: Type.Optional(
      duration(
        "How long the Job may run before the measurement is an Error and the Job is deleted; the Job's activeDeadlineSeconds is at most this.",
        { default: jobLimits.defaultTimeout },
        jobLimits.timeout,
      ),
    ),
  },
);
export type JobProviderSpec = Static<typeof jobProvider>;
