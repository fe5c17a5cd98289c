import type { V1Job } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import {
  isMeasurementJob,
  jobLabels,
  jobMetadata,
  jobName,
  labelValue,
  ownLabels,
  type JobOwner,
} from './jobIdentity.ts';

const owner = (more: Partial<JobOwner> = {}): JobOwner => ({
  namespace: 'shop',
  rollout: { name: 'checkout', uid: 'uid-1' },
  measurementId: 'step-2/7f6b5c4d2/2026-11-30T10:00:00.000Z/smoke/0',
  ...more,
});

const dns1123Label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const labelValuePattern = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

describe('the Job of a measurement', () => {
  it('has the same name for the same measurement (a restart finds it) and another for any other', () => {
    expect(jobName(owner())).toBe(jobName(owner()));
    expect(jobName(owner())).toMatch(/^sluice-checkout-[0-9a-f]{16}$/);
    const others = [
      owner({ measurementId: 'step-2/7f6b5c4d2/2026-11-30T10:00:00.000Z/smoke/1' }),
      owner({ rollout: { name: 'checkout', uid: 'uid-2' } }),
      owner({ namespace: 'other' }),
    ];
    for (const o of others) expect(jobName(o)).not.toBe(jobName(owner()));
  });

  it('is a DNS-1123 label of at most 63 characters whatever the Rollout is called', () => {
    for (const name of ['x'.repeat(253), 'a.b.c', 'UPPER_case', '-', '---a---', '']) {
      const n = jobName(owner({ rollout: { name, uid: undefined } }));
      expect(n.length).toBeLessThanOrEqual(63);
      expect(n).toMatch(dns1123Label);
    }
  });

  it('is labelled with the run, revision, metric and measurement, every value a valid label value', () => {
    expect(ownLabels(owner())).toMatchObject({
      [jobLabels.run]: 'step-2',
      [jobLabels.revision]: '7f6b5c4d2',
      [jobLabels.metric]: 'smoke',
      [jobLabels.index]: '0',
      [jobLabels.rollout]: 'checkout',
      [jobLabels.rolloutUid]: 'uid-1',
    });
    const odd = ownLabels(
      owner({ measurementId: `${'r'.repeat(80)}/rev/at/m/3`, rollout: { name: 'a.'.repeat(50), uid: 'u' } }),
    );
    for (const v of Object.values(odd)) expect(v).toMatch(labelValuePattern);
    expect(labelValue('x'.repeat(64))).toMatch(/^h-[0-9a-f]{16}$/);
  });

  it("is owned by the Rollout without controlling it or blocking its deletion, and carries the template's labels under Sluice's", () => {
    const meta = jobMetadata(owner(), { labels: { team: 'shop', [jobLabels.measurement]: 'forged' } });
    expect(meta.ownerReferences).toEqual([
      expect.objectContaining({
        kind: 'Rollout',
        name: 'checkout',
        uid: 'uid-1',
        controller: false,
        blockOwnerDeletion: false,
      }),
    ]);
    expect(meta.labels?.team).toBe('shop');
    expect(meta.labels?.[jobLabels.measurement]).not.toBe('forged');
  });
});

describe('adopting an existing Job of that name', () => {
  const made = (o: JobOwner): V1Job => ({ metadata: jobMetadata(o, undefined) });

  it("adopts the measurement's own Job", () => {
    expect(isMeasurementJob(made(owner()), owner())).toBe(true);
  });

  it('refuses a Job whose labels, id annotation or owner say it is not this measurement', () => {
    const own = made(owner());
    const unlabelled: V1Job = { metadata: { ...own.metadata, labels: {} } };
    const otherId: V1Job = {
      metadata: { ...own.metadata, annotations: { 'sluice.dev/analysis-measurement-id': 'x' } },
    };
    const otherOwner: V1Job = {
      metadata: {
        ...own.metadata,
        ownerReferences: [{ apiVersion: 'v1', kind: 'Rollout', name: 'checkout', uid: 'uid-9' }],
      },
    };
    const noOwner: V1Job = { metadata: { ...own.metadata, ownerReferences: [] } };
    for (const job of [unlabelled, otherId, otherOwner, noOwner, {}])
      expect(isMeasurementJob(job, owner())).toBe(false);
  });
});
