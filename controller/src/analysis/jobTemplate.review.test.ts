/**
 * Review of what a namespaced AnalysisTemplate (a tenant's) may ask of the Job Sluice's ServiceAccount creates.
 */
import { describe, expect, it } from 'vitest';
import type { JobProviderSpec } from '../api/jobProvider.schema.ts';
import { refusalOf } from './jobTemplate.test-support.ts';
import { buildJob, type JobTemplateContext } from './jobTemplate.ts';

const ctx = (more: Record<string, unknown> = {}): JobTemplateContext => {
  const base = {
    namespace: 'shop',
    rollout: { name: 'checkout', uid: 'uid-1' },
    measurementId: 'step-2/rev/at/smoke/0',
    field: 'AnalysisTemplate shop/smoke metrics[smoke].provider.job',
    trusted: false,
    timeoutMs: 600_000,
    args: { values: new Map<string, string>(), secrets: [] },
    // Sluice's own identity, in the namespace the namespaced install runs in (manifests/namespaced).
    controllerServiceAccount: { namespace: 'shop', name: 'sluice' },
  };
  return { ...base, ...more };
};

const template = (pod: Record<string, unknown> = {}, podMeta?: Record<string, unknown>): JobProviderSpec => ({
  spec: {
    template: {
      ...(podMeta === undefined ? {} : { metadata: podMeta }),
      spec: { containers: [{ name: 'smoke', image: 'curl' }], ...pod },
    },
  },
});

const refusal = (t: JobProviderSpec, c = ctx()) => refusalOf(t, c);

describe('review: a namespaced template may not reach beyond its namespace through the Job', () => {
  // review: with the namespaced install Sluice runs in the tenant's namespace; `serviceAccountName: sluice` gave the
  // Job's pod the controller's own token (patch Deployments/Services, create Jobs, read analysis Secrets, cluster-wide
  // reads), to anyone who may only write an AnalysisTemplate: a confused deputy.
  it("refuses the controller's own ServiceAccount (serviceAccountName or the deprecated serviceAccount)", () => {
    expect(refusal(template({ serviceAccountName: 'sluice' }))).toMatch(/serviceAccountName/);
    expect(refusal(template({ serviceAccount: 'sluice' }))).toMatch(/serviceAccount\b/);
    // Another namespace's controller of the same name is not ours; a ServiceAccount of the tenant's is theirs.
    expect(() => buildJob(template({ serviceAccountName: 'smoke-tester' }), ctx())).not.toThrow();
    expect(() =>
      buildJob(
        template({ serviceAccountName: 'sluice' }),
        ctx({ controllerServiceAccount: { namespace: 'sluice-system', name: 'sluice' } }),
      ),
    ).not.toThrow();
  });

  // review: PriorityClasses are cluster-wide and not guarded by RBAC: a tenant's smoke test at a high priority
  // preempts (evicts) other tenants' pods when the cluster is full.
  it('refuses priorityClassName (and a raw priority) unless the template is a ClusterAnalysisTemplate', () => {
    expect(refusal(template({ priorityClassName: 'business-critical' }))).toMatch(/priorityClassName/);
    expect(refusal(template({ priority: 1_000_000_000 }))).toMatch(/priority/);
    expect(() => buildJob(template({ priorityClassName: 'business-critical' }), ctx({ trusted: true }))).not.toThrow();
  });

  // review: a toleration of every taint (operator Exists, no key) or of the control plane's puts the tenant's pod on
  // control-plane nodes (with nodeSelector node-role.kubernetes.io/control-plane), next to etcd and the API server.
  it('refuses a toleration of every taint or of the control-plane taint', () => {
    expect(refusal(template({ tolerations: [{ operator: 'Exists' }] }))).toMatch(/tolerations\[0\]/);
    expect(
      refusal(
        template({
          tolerations: [{ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' }],
        }),
      ),
    ).toMatch(/tolerations\[0\]/);
    expect(refusal(template({ tolerations: [{ key: 'node-role.kubernetes.io/master', operator: 'Exists' }] }))).toMatch(
      /tolerations\[0\]/,
    );
    // A team's own dedicated pool stays the team's business.
    expect(() =>
      buildJob(
        template({ tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'shop', effect: 'NoSchedule' }] }),
        ctx(),
      ),
    ).not.toThrow();
  });

  // review: privileged and added capabilities are refused, but the same escape by another name was not: seccomp or
  // AppArmor Unconfined (securityContext or the AppArmor annotation), procMount Unmasked, a Windows HostProcess
  // container. Where no Pod Security admission runs these reach the node.
  it('refuses seccomp/AppArmor Unconfined, procMount Unmasked and HostProcess, at pod and container level', () => {
    expect(refusal(template({ securityContext: { seccompProfile: { type: 'Unconfined' } } }))).toMatch(
      /securityContext\.seccompProfile/,
    );
    expect(
      refusal(
        template({
          containers: [{ name: 's', image: 'c', securityContext: { appArmorProfile: { type: 'Unconfined' } } }],
        }),
      ),
    ).toMatch(/containers\[0\]\.securityContext\.appArmorProfile/);
    expect(
      refusal(template({ containers: [{ name: 's', image: 'c', securityContext: { procMount: 'Unmasked' } }] })),
    ).toMatch(/procMount/);
    expect(refusal(template({ securityContext: { windowsOptions: { hostProcess: true } } }))).toMatch(/hostProcess/);
    expect(
      refusal(template({}, { annotations: { 'container.apparmor.security.beta.kubernetes.io/smoke': 'unconfined' } })),
    ).toMatch(/apparmor/);
    // RuntimeDefault stays allowed.
    expect(() =>
      buildJob(template({ securityContext: { seccompProfile: { type: 'RuntimeDefault' } } }), ctx()),
    ).not.toThrow();
  });

  // review: only hostPath was refused among the volume types the node mounts itself: a gitRepo volume runs git on the
  // node with the tenant's repository (CVE-2024-10220: commands on the node), and nfs/iscsi/rbd/cephfs/glusterfs/fc/
  // flexVolume make the node mount whatever server the tenant names, from the node's network. Pod Security
  // "baseline" lets all of them through.
  it('refuses volume types the node mounts itself (gitRepo, nfs, iscsi, flexVolume, ...), keeps the namespace ones', () => {
    const vol = (v: Record<string, unknown>) => template({ volumes: [{ name: 'v', ...v }] });
    expect(refusal(vol({ gitRepo: { repository: 'https://example.com/x.git' } }))).toMatch(/volumes\[0\]\.gitRepo/);
    expect(refusal(vol({ nfs: { server: '10.0.0.1', path: '/' } }))).toMatch(/volumes\[0\]\.nfs/);
    expect(refusal(vol({ iscsi: { targetPortal: '10.0.0.1:3260', iqn: 'x', lun: 0 } }))).toMatch(/volumes\[0\]\.iscsi/);
    expect(refusal(vol({ flexVolume: { driver: 'x/y' } }))).toMatch(/volumes\[0\]\.flexVolume/);
    for (const ok of [
      { emptyDir: {} },
      { configMap: { name: 'c' } },
      { secret: { secretName: 's' } },
      { projected: { sources: [] } },
      { downwardAPI: { items: [] } },
      { persistentVolumeClaim: { claimName: 'p' } },
      { ephemeral: { volumeClaimTemplate: { spec: {} } } },
      { csi: { driver: 'secrets-store.csi.k8s.io' } },
      { image: { reference: 'busybox' } },
    ])
      expect(() => buildJob(vol(ok), ctx())).not.toThrow();
    expect(() => buildJob(vol({ nfs: { server: 'n', path: '/' } }), ctx({ trusted: true }))).not.toThrow();
  });

  // review: spec.managedBy hands the Job to another controller (MultiKueue dispatches it to another cluster): the
  // built-in Job controller then enforces neither the activeDeadlineSeconds Sluice sets nor the ttl, so a Job a
  // crashed controller left behind is never removed, and its pods may run outside the namespace's cluster.
  it('refuses spec.managedBy other than the built-in Job controller', () => {
    const managed = (by: string): JobProviderSpec => ({
      spec: { managedBy: by, template: { spec: { containers: [{ name: 'smoke', image: 'curl' }] } } },
    });
    expect(refusal(managed('kueue.x-k8s.io/multikueue'))).toMatch(/spec\.managedBy/);
    expect(() => buildJob(managed('kubernetes.io/job-controller'), ctx())).not.toThrow();
    expect(() => buildJob(managed('kueue.x-k8s.io/multikueue'), ctx({ trusted: true }))).not.toThrow();
  });
});
