/**
 * Turns a `job` provider's template into the Job Sluice creates, refusing what a tenant could use to reach beyond
 * their own rights through Sluice. Sluice creates the Job with its own ServiceAccount, cluster-wide; whoever may
 * write an AnalysisTemplate may thereby run pods in the Rollout's namespace without being allowed to create pods.
 * What stays inside that namespace's own limits (its ServiceAccounts, quota, Pod Security admission, which applies
 * to the Job controller's pods whoever made the Job) is the tenant's; what reaches the node or other namespaces is
 * refused for a namespaced AnalysisTemplate (a ClusterAnalysisTemplate is a cluster admin's and may):
 * - another namespace: metadata.namespace must be absent or the Rollout's; owner references are never copied;
 * - the host: hostNetwork, hostPID, hostIPC, hostPath and the other volumes the node mounts itself (gitRepo, nfs,
 *   iscsi, ...: only the namespace's volume types are allowed), hostPort, privileged containers, added capabilities, nodeName
 *   (which skips the scheduler and with it taints and node restrictions), seccomp or AppArmor Unconfined (fields or
 *   annotations), procMount Unmasked, Windows HostProcess containers, tolerating every taint or the control plane's;
 * - other tenants: priorityClassName / priority (a PriorityClass is cluster-wide and not guarded by RBAC: a high one
 *   preempts other namespaces' pods);
 * - Sluice itself, whatever the template: the controller's own ServiceAccount (the namespaced install runs in the
 *   tenant's namespace; its token would give the Job's pod every right of the controller);
 * - other pods: selector / manualSelector (a Job adopts every pod its selector matches, and its deletion takes them
 *   along), pod labels sluice.dev/rollout and sluice.dev/revision (the Services Sluice owns select on them);
 * - the Job's own bounds: spec.managedBy other than the built-in Job controller (which enforces the deadline and ttl);
 * - size and fan-out: the template's JSON, completions, parallelism and backoffLimit are bounded.
 */
import type { V1Job } from '@kubernetes/client-node';
import { jobLimits, type JobProviderSpec } from '../api/jobProvider.schema.ts';
import { revisionLabel, rolloutLabel } from '../workload/names.ts';
import { renderText, type ResolvedArgs } from './args.ts';
import { AnalysisConfigError } from './errors.ts';
import { jobMetadata, type JobOwner } from './jobIdentity.ts';

/** How long a finished Job is kept should Sluice never come back to delete it (it deletes it at once otherwise). */
export const finishedJobTtlSeconds = 3600;

type Json = Record<string, unknown>;

/** spec.managedBy of a Job the built-in Job controller runs. */
const builtInJobController = 'kubernetes.io/job-controller';

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface JobTemplateContext extends JobOwner {
  /** Where the provider's spec is, for messages. */
  field: string;
  /** A ClusterAnalysisTemplate's: the pod-level restrictions do not apply. */
  trusted: boolean;
  timeoutMs: number;
  /** The template's arguments, for {{args.<name>}} in any string of the template. */
  args: ResolvedArgs;
  /** The ServiceAccount the controller runs as, when known: no Job runs as it (see the file comment). */
  controllerServiceAccount?: { namespace: string; name: string } | undefined;
}

function refuse(field: string, what: string): never {
  throw new AnalysisConfigError('InvalidSpec', field, `${field}: ${what}`);
}

function bounded(spec: Json, key: string, max: number, field: string): void {
  const v = spec[key];
  if (v === undefined || v === null) return;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max)
    refuse(`${field}.spec.${key}`, `must be a whole number from 0 to ${max}`);
}

/**
 * Replaces {{args.<name>}} in every string value (not in keys) of `value`, as plain text. A Secret's value never goes
 * into the Job, where whoever may read Jobs would read it: the pod reads the Secret itself (env valueFrom).
 */
function renderArgs(value: unknown, args: ResolvedArgs, field: string): unknown {
  if (typeof value === 'string') {
    if (!value.includes('{{')) return value;
    const rendered = renderText(value, { args: args.values }, field);
    if (args.secrets.some((secret) => secret !== '' && rendered.includes(secret)))
      refuse(
        field,
        'an argument from a Secret would be stored in the Job: let the pod read the Secret itself (env valueFrom.secretKeyRef)',
      );
    return rendered;
  }
  if (Array.isArray(value)) return value.map((v, i) => renderArgs(v, args, `${field}[${i}]`));
  if (isObject(value))
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderArgs(v, args, `${field}.${k}`)]));
  return value;
}

const containerLists = ['initContainers', 'containers', 'ephemeralContainers'] as const;

/**
 * The volume types of Pod Security's "restricted" level (and image volumes): what the namespace holds. The others
 * are mounted by the node itself from what the pod names: gitRepo runs git on the node (CVE-2024-10220), nfs, iscsi,
 * rbd, cephfs, glusterfs, fc, flexVolume, ... reach any server from the node's network.
 */
const namespaceVolumeTypes = new Set([
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'image',
  'persistentVolumeClaim',
  'projected',
  'secret',
]);

/** The profile and mount options of a securityContext (pod or container) that take the node's protections off. */
function checkSecurityContext(sc: Json, at: string): void {
  const profile = (key: string) => (isObject(sc[key]) ? sc[key]['type'] : undefined);
  if (profile('seccompProfile') === 'Unconfined')
    refuse(`${at}.seccompProfile.type`, 'a namespaced AnalysisTemplate may not run without seccomp (Unconfined)');
  if (profile('appArmorProfile') === 'Unconfined')
    refuse(`${at}.appArmorProfile.type`, 'a namespaced AnalysisTemplate may not run without AppArmor (Unconfined)');
  if (sc['procMount'] === 'Unmasked')
    refuse(`${at}.procMount`, "a namespaced AnalysisTemplate may not unmask the node's /proc");
  if (isObject(sc['windowsOptions']) && sc['windowsOptions']['hostProcess'] === true)
    refuse(`${at}.windowsOptions.hostProcess`, 'a namespaced AnalysisTemplate may not run a HostProcess container');
}

/** Taints a namespaced template's pods may not tolerate: every taint at once, and the control plane's. */
function checkTolerations(pod: Json, at: string): void {
  const tolerations = Array.isArray(pod['tolerations']) ? (pod['tolerations'] as unknown[]) : [];
  tolerations.forEach((t, i) => {
    if (!isObject(t)) return;
    const key = typeof t['key'] === 'string' ? t['key'] : '';
    if (key === '' && t['operator'] === 'Exists')
      refuse(`${at}.tolerations[${i}]`, 'a namespaced AnalysisTemplate may not tolerate every taint: name the key');
    if (key.startsWith('node-role.kubernetes.io/'))
      refuse(
        `${at}.tolerations[${i}].key`,
        `a namespaced AnalysisTemplate may not tolerate ${key} (control-plane nodes)`,
      );
  });
}

/** The legacy annotations that turn seccomp or AppArmor off, on the pod template. */
function checkPodAnnotations(annotations: Json, field: string): void {
  for (const [key, value] of Object.entries(annotations)) {
    const profileKey =
      key.startsWith('container.apparmor.security.beta.kubernetes.io/') ||
      key.startsWith('container.seccomp.security.alpha.kubernetes.io/') ||
      key === 'seccomp.security.alpha.kubernetes.io/pod';
    if (profileKey && typeof value === 'string' && value.toLowerCase() === 'unconfined')
      refuse(
        `${field}.spec.template.metadata.annotations`,
        `${key}: unconfined: a namespaced AnalysisTemplate may not run without seccomp or AppArmor`,
      );
  }
}

/** The controller's own ServiceAccount, refused whoever wrote the template (its arguments may come from a tenant). */
function checkServiceAccount(pod: Json, ctx: JobTemplateContext): void {
  const own = ctx.controllerServiceAccount;
  if (own === undefined || own.namespace !== ctx.namespace) return;
  for (const key of ['serviceAccountName', 'serviceAccount'])
    if (pod[key] === own.name)
      refuse(
        `${ctx.field}.spec.template.spec.${key}`,
        `${own.name} is the Sluice controller's own ServiceAccount: a Job never runs with the controller's rights; use a ServiceAccount of its own`,
      );
}

/** The pod-level refusals of a namespaced template (see the file comment). */
function checkPodSpec(pod: Json, field: string): void {
  const at = `${field}.spec.template.spec`;
  for (const key of ['hostNetwork', 'hostPID', 'hostIPC'])
    if (pod[key] === true) refuse(`${at}.${key}`, 'a namespaced AnalysisTemplate may not share the host namespaces');
  for (const key of ['priorityClassName', 'priority'])
    if (pod[key] !== undefined)
      refuse(
        `${at}.${key}`,
        "a namespaced AnalysisTemplate may not choose a priority: it could preempt other namespaces' pods (a ClusterAnalysisTemplate may)",
      );
  if (isObject(pod['securityContext'])) checkSecurityContext(pod['securityContext'], `${at}.securityContext`);
  checkTolerations(pod, at);
  if (pod['nodeName'] !== undefined)
    refuse(
      `${at}.nodeName`,
      'a namespaced AnalysisTemplate may not bypass the scheduler: use nodeSelector or affinity',
    );
  const volumes = Array.isArray(pod['volumes']) ? (pod['volumes'] as unknown[]) : [];
  volumes.forEach((v, i) => {
    if (!isObject(v)) return;
    if (v['hostPath'] !== undefined)
      refuse(`${at}.volumes[${i}].hostPath`, 'a namespaced AnalysisTemplate may not mount the host');
    for (const type of Object.keys(v))
      if (type !== 'name' && !namespaceVolumeTypes.has(type))
        refuse(
          `${at}.volumes[${i}].${type}`,
          `a namespaced AnalysisTemplate may use only volumes of the namespace (${[...namespaceVolumeTypes].join(', ')}): the node mounts a ${type} volume itself`,
        );
  });
  for (const list of containerLists) {
    const containers = Array.isArray(pod[list]) ? (pod[list] as unknown[]) : [];
    containers.forEach((c, i) => {
      const sc = isObject(c) && isObject(c['securityContext']) ? c['securityContext'] : {};
      if (sc['privileged'] === true)
        refuse(
          `${at}.${list}[${i}].securityContext.privileged`,
          'a namespaced AnalysisTemplate may not run privileged',
        );
      checkSecurityContext(sc, `${at}.${list}[${i}].securityContext`);
      const ports = isObject(c) && Array.isArray(c['ports']) ? (c['ports'] as unknown[]) : [];
      ports.forEach((p, j) => {
        if (isObject(p) && p['hostPort'] !== undefined && p['hostPort'] !== 0)
          refuse(
            `${at}.${list}[${i}].ports[${j}].hostPort`,
            "a namespaced AnalysisTemplate may not bind the node's ports",
          );
      });
      const caps = isObject(sc['capabilities']) ? sc['capabilities'] : {};
      if (Array.isArray(caps['add']) && caps['add'].length > 0)
        refuse(
          `${at}.${list}[${i}].securityContext.capabilities.add`,
          'a namespaced AnalysisTemplate may not add capabilities',
        );
    });
  }
}

/**
 * The Job to create for one measurement. Throws AnalysisConfigError (an Error measurement naming the field) for a
 * template it refuses; what it does not check (a bad image name, a missing container) the API server refuses.
 */
export function buildJob(template: JobProviderSpec, ctx: JobTemplateContext): V1Job {
  const { field } = ctx;
  const size = Buffer.byteLength(JSON.stringify({ metadata: template.metadata, spec: template.spec }));
  if (size > jobLimits.templateBytes)
    refuse(field, `the Job template is ${size} bytes, more than ${jobLimits.templateBytes}: make it smaller`);
  // Not in the schema (the API server prunes it), but a template that reached here some other way is refused.
  const ns = (template.metadata as { namespace?: unknown } | undefined)?.namespace;
  if (ns !== undefined && ns !== ctx.namespace)
    refuse(
      `${field}.metadata.namespace`,
      `a Job runs in the Rollout's namespace ${ctx.namespace}, not ${JSON.stringify(ns)}: remove it`,
    );
  if (!isObject(template.spec)) refuse(`${field}.spec`, 'must be a JobSpec object');
  // A copy (the template is the cache's object, shared with every reconcile), arguments rendered.
  const spec = renderArgs(template.spec, ctx.args, `${field}.spec`) as Json;
  const metadata = renderArgs(template.metadata ?? {}, ctx.args, `${field}.metadata`) as JobProviderSpec['metadata'];
  for (const key of ['selector', 'manualSelector'])
    if (spec[key] !== undefined)
      refuse(`${field}.spec.${key}`, "Sluice's Job selects its own pods: remove it (the Job controller sets it)");
  // Another controller's Job (MultiKueue, say) escapes the deadline and the ttl the built-in Job controller enforces.
  if (!ctx.trusted && spec['managedBy'] !== undefined && spec['managedBy'] !== builtInJobController)
    refuse(
      `${field}.spec.managedBy`,
      `a namespaced AnalysisTemplate's Job is run by the built-in Job controller (${builtInJobController}): remove it`,
    );
  bounded(spec, 'completions', jobLimits.pods, field);
  bounded(spec, 'parallelism', jobLimits.pods, field);
  bounded(spec, 'backoffLimit', jobLimits.backoffLimit, field);
  bounded(spec, 'backoffLimitPerIndex', jobLimits.backoffLimit, field);
  const podTemplate = spec['template'];
  if (!isObject(podTemplate) || !isObject(podTemplate['spec']))
    refuse(`${field}.spec.template.spec`, 'the Job needs a pod template with containers');
  const pod = podTemplate['spec'];
  checkServiceAccount(pod, ctx);
  if (!ctx.trusted) checkPodSpec(pod, field);
  const podMeta = isObject(podTemplate['metadata']) ? podTemplate['metadata'] : {};
  if (!ctx.trusted && isObject(podMeta['annotations'])) checkPodAnnotations(podMeta['annotations'], field);
  const podLabels = isObject(podMeta['labels']) ? podMeta['labels'] : {};
  for (const label of [rolloutLabel, revisionLabel])
    if (podLabels[label] !== undefined)
      refuse(`${field}.spec.template.metadata.labels`, `${label} is Sluice's: the Services it owns select on it`);
  // Only labels and annotations of the pod template's metadata: no namespace, name or owner of the tenant's choice.
  podTemplate['metadata'] = {
    ...(isObject(podMeta['labels']) ? { labels: podMeta['labels'] } : {}),
    ...(isObject(podMeta['annotations']) ? { annotations: podMeta['annotations'] } : {}),
  };
  // A Job refuses the pod default (Always); one attempt, so one failed pod fails the measurement unless asked.
  pod['restartPolicy'] ??= 'Never';
  spec['backoffLimit'] ??= 0;
  spec['suspend'] = false;
  const deadline = Math.max(1, Math.ceil(ctx.timeoutMs / 1000));
  const asked = spec['activeDeadlineSeconds'];
  spec['activeDeadlineSeconds'] =
    typeof asked === 'number' && Number.isInteger(asked) && asked > 0 ? Math.min(asked, deadline) : deadline;
  const ttl = spec['ttlSecondsAfterFinished'];
  if (typeof ttl !== 'number' || ttl < 0 || ttl > finishedJobTtlSeconds)
    spec['ttlSecondsAfterFinished'] = finishedJobTtlSeconds;
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: jobMetadata(ctx, metadata),
    spec: spec as unknown as V1Job['spec'],
  };
}
