import { describe, expect, it } from 'vitest';
import type { JobProviderSpec } from '../api/jobProvider.schema.ts';
import { refusalOf } from './jobTemplate.test-support.ts';
import { buildJob, finishedJobTtlSeconds, type JobTemplateContext } from './jobTemplate.ts';

const ctx = (more: Partial<JobTemplateContext> = {}): JobTemplateContext => ({
  namespace: 'shop',
  rollout: { name: 'checkout', uid: 'uid-1' },
  measurementId: 'step-2/rev/at/smoke/0',
  field: 'AnalysisTemplate shop/smoke metrics[smoke].provider.job',
  trusted: false,
  timeoutMs: 600_000,
  args: {
    values: new Map([
      ['service', 'checkout-canary'],
      ['token', 's3cret'],
    ]),
    secrets: ['s3cret'],
  },
  ...more,
});

const podSpec = (more: Record<string, unknown> = {}) => ({
  containers: [{ name: 'smoke', image: 'curlimages/curl', args: ['http://checkout-canary/healthz'] }],
  ...more,
});

const template = (spec: Record<string, unknown> = {}, pod: Record<string, unknown> = {}): JobProviderSpec => ({
  spec: { template: { spec: podSpec(pod) }, ...spec },
});

const refusal = (t: JobProviderSpec, c = ctx()) => refusalOf(t, c);

describe('the Job built from a template', () => {
  it("runs once, in the Rollout's namespace, within the measurement's timeout, and is removed by the cluster should Sluice never come back", () => {
    const job = buildJob(template(), ctx());
    expect(job.metadata?.namespace).toBe('shop');
    expect(job.spec).toMatchObject({
      backoffLimit: 0,
      activeDeadlineSeconds: 600,
      suspend: false,
      ttlSecondsAfterFinished: finishedJobTtlSeconds,
    });
    expect(job.spec?.template.spec?.restartPolicy).toBe('Never');
  });

  it("keeps the template's own shorter deadline and retries, and never a longer deadline than the timeout", () => {
    expect(buildJob(template({ activeDeadlineSeconds: 30, backoffLimit: 2 }), ctx()).spec).toMatchObject({
      activeDeadlineSeconds: 30,
      backoffLimit: 2,
    });
    expect(
      buildJob(template({ activeDeadlineSeconds: 86_400 }), ctx({ timeoutMs: 90_500 })).spec?.activeDeadlineSeconds,
    ).toBe(91);
  });

  it('does not change the template it was given (the cache shares it with every reconcile)', () => {
    const t = template();
    const before = JSON.stringify(t);
    buildJob(t, ctx());
    expect(JSON.stringify(t)).toBe(before);
  });

  it("takes only labels and annotations from the pod template's metadata: no owner or namespace of the tenant's choice", () => {
    const t: JobProviderSpec = {
      spec: {
        template: {
          metadata: { labels: { app: 'smoke' }, namespace: 'kube-system', ownerReferences: [{ uid: 'x' }] },
          spec: podSpec(),
        },
      },
    };
    expect(buildJob(t, ctx()).spec?.template.metadata).toEqual({ labels: { app: 'smoke' } });
  });

  it.each([
    [
      'another namespace',
      { metadata: { namespace: 'kube-system' }, spec: template().spec } as JobProviderSpec,
      /not "kube-system"/,
    ],
    ['a selector of its own', template({ selector: { matchLabels: { app: 'x' } } }), /spec\.selector/],
    ['manualSelector', template({ manualSelector: true }), /spec\.manualSelector/],
    ['a fan-out of pods', template({ parallelism: 500 }), /spec\.parallelism: must be a whole number from 0 to 10/],
    ['endless retries', template({ backoffLimit: 1000 }), /spec\.backoffLimit/],
    ['the host network', template({}, { hostNetwork: true }), /hostNetwork/],
    ['the host PID namespace', template({}, { hostPID: true }), /hostPID/],
    ['a node of its choice', template({}, { nodeName: 'control-plane' }), /nodeName/],
    [
      'a hostPath volume',
      template({}, { volumes: [{ name: 'root', hostPath: { path: '/' } }] }),
      /volumes\[0\]\.hostPath/,
    ],
    [
      'a port on the node',
      template({}, { containers: [{ name: 'c', image: 'i', ports: [{ containerPort: 80, hostPort: 80 }] }] }),
      /containers\[0\]\.ports\[0\]\.hostPort/,
    ],
    [
      'a privileged container',
      template({}, { containers: [{ name: 'c', image: 'i', securityContext: { privileged: true } }] }),
      /containers\[0\]\.securityContext\.privileged/,
    ],
    [
      'an added capability in an init container',
      template(
        {},
        { initContainers: [{ name: 'c', image: 'i', securityContext: { capabilities: { add: ['SYS_ADMIN'] } } }] },
      ),
      /initContainers\[0\]\.securityContext\.capabilities\.add/,
    ],
    [
      "Sluice's pod labels (its Services select on them)",
      { spec: { template: { metadata: { labels: { 'sluice.dev/rollout': 'checkout' } }, spec: podSpec() } } },
      /sluice\.dev\/rollout is Sluice's/,
    ],
    [
      'a template of 40 KiB',
      template({}, { containers: [{ name: 'c', image: 'i', args: ['x'.repeat(40_000)] }] }),
      /bytes, more than 32768/,
    ],
    ['no pod template', { spec: { backoffLimit: 0 } }, /needs a pod template/],
  ])('refuses %s, naming the field', (_what, t, message) => {
    expect(refusal(t)).toMatch(message);
  });

  it("lets a ClusterAnalysisTemplate (a cluster admin's) use the host, but never another namespace or a selector", () => {
    const trusted = ctx({ trusted: true, field: 'ClusterAnalysisTemplate smoke metrics[smoke].provider.job' });
    expect(buildJob(template({}, { hostNetwork: true }), trusted).spec?.template.spec?.hostNetwork).toBe(true);
    expect(
      refusal({ metadata: { namespace: 'kube-system' }, spec: template().spec } as JobProviderSpec, trusted),
    ).toMatch(/not "kube-system"/);
    expect(refusal(template({ manualSelector: true }), trusted)).toMatch(/manualSelector/);
  });
});

describe('template arguments in a Job', () => {
  it('are replaced in every string of the template, as text', () => {
    const t: JobProviderSpec = {
      metadata: { labels: { target: '{{args.service}}' } },
      spec: {
        template: {
          spec: podSpec({ containers: [{ name: 'c', image: 'i', args: ['http://{{args.service}}/healthz'] }] }),
        },
      },
    };
    const job = buildJob(t, ctx());
    expect(job.spec?.template.spec?.containers[0]?.args).toEqual(['http://checkout-canary/healthz']);
    expect(job.metadata?.labels?.target).toBe('checkout-canary');
  });

  it("never put a Secret's value into the Job, and name an unknown argument", () => {
    const withSecret = template(
      {},
      { containers: [{ name: 'c', image: 'i', env: [{ name: 'T', value: '{{args.token}}' }] }] },
    );
    expect(refusal(withSecret)).toMatch(
      /containers\[0\]\.env\[0\]\.value: an argument from a Secret would be stored in the Job/,
    );
    expect(refusal(template({}, { containers: [{ name: 'c', image: 'i', args: ['{{args.nope}}'] }] }))).toMatch(
      /names no argument/,
    );
  });
});
