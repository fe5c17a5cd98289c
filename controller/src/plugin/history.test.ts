import type { V1ReplicaSet } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { Rollout } from '../api/types.ts';
import { parseArgs, undoAction } from './cli.ts';
import { historyTable, previousRevisionNumber, revisionLines, revisionsSummary } from './history.ts';
import { describe as describeRollout } from './render.ts';

const rs = (revision: string, annotations: Record<string, string>, replicas: number): V1ReplicaSet => ({
  metadata: { name: `checkout-${revision}`, labels: { 'sluice.dev/revision': revision }, annotations },
  spec: { replicas, selector: {}, template: {} },
  status: { replicas, readyReplicas: replicas },
});

const rollout: Rollout = {
  apiVersion: 'sluice.dev/v1alpha1',
  kind: 'Rollout',
  metadata: { name: 'checkout', namespace: 'shop' },
  spec: { strategy: { canary: { steps: [{ setWeight: 20 }] } } },
  status: {
    stableRevision: 'bbb',
    canaryRevision: 'aaa',
    rollbackWithinWindow: true,
    previousStableRevisions: ['aaa'],
  },
};

const sets = [
  rs('bbb', { 'sluice.dev/revision-number': '2' }, 3),
  rs('ccc', { 'sluice.dev/sequence': '1' }, 0), // numbered by a Sluice from before the rename
  rs('aaa', { 'sluice.dev/revision-number': '3' }, 3),
  rs('old', {}, 0),
];

describe('kubectl sluice history', () => {
  it('lists the revisions newest first, with the number undo takes and what each is to the Rollout', () => {
    expect(historyTable(rollout, revisionLines(sets))).toBe(
      [
        'REVISION   POD-TEMPLATE   PODS   ROLE',
        '3          aaa            3/3    canary (rollback within window), was stable',
        '2          bbb            3/3    stable',
        '1          ccc            0/0',
        '-          old            0/0',
      ].join('\n'),
    );
  });

  it('status shows the same revisions on one line', () => {
    const line = revisionsSummary(rollout, revisionLines(sets));
    expect(line).toBe('3 aaa (canary (rollback within window), was stable), 2 bbb (stable), 1 ccc, - old');
    const text = describeRollout(rollout, [], new Date(), line);
    expect(text).toContain(`Revisions:    ${line}`);
    expect(text).toContain('Canary:       aaa (rollback within window: steps skipped)');
  });

  it('cleans what the cluster wrote into a revision label', () => {
    const hostile = rs('x\u001b[2Jy', { 'sluice.dev/revision-number': '1' }, 1);
    expect(historyTable(rollout, revisionLines([hostile]))).not.toContain('\u001b');
  });
});

describe('kubectl sluice undo', () => {
  it('asks for the previous revision, or revision N with --to-revision', () => {
    expect(undoAction(parseArgs(['undo', 'checkout']).toRevision)).toBe('undo');
    expect(undoAction(parseArgs(['undo', 'checkout', '--to-revision', '3']).toRevision)).toBe('undo:3');
    expect(undoAction(parseArgs(['undo', 'checkout', '--to-revision=12']).toRevision)).toBe('undo:12');
  });

  it.each(['0', 'abc', '-1', '2.5'])('refuses --to-revision %s before asking anything', (value) => {
    expect(() => undoAction(value)).toThrow(/a revision is a number, as kubectl sluice history lists them/);
  });
});

describe('the revision a plain kubectl sluice undo names', () => {
  const line = (number: number, revision: string) => ({ number, revision, replicas: 0, ready: 0 });
  const lines = [line(3, 'c'), line(2, 'b'), line(1, 'a')];

  it('is the newest one that is not the current template, by number', () => {
    expect(previousRevisionNumber(lines, 'c')).toBe(2);
  });

  it('skips an unnumbered or forged number, and has none without an earlier revision', () => {
    expect(previousRevisionNumber([line(999_999_999, 'x'), line(0, 'y'), ...lines], 'c')).toBe(2);
    expect(previousRevisionNumber([line(1, 'a')], 'a')).toBeUndefined();
  });
});
