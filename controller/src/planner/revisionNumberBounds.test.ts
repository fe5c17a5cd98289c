/**
 * Hostile-review tests for revision numbers (issue 16): sluice.dev/revision-number is an annotation anyone who may
 * edit ReplicaSets in the namespace can write, so the planner must not trust it unbounded.
 */
import { describe, expect, it } from 'vitest';
import { readActionRequest } from '../api/controls.ts';
import { revisionNumberOf } from '../workload/objects.ts';
import { SimCluster } from './fixtures.test-support.ts';

describe('the number the planner gives a new revision', () => {
  // Defect (workload/objects.ts revisionNumberOf takes any safe integer; planner/revisionNumbers.ts hands out
  // highest + 1). One ReplicaSet annotated with a huge number (a forged one with the Rollout's label and owner
  // reference, or `kubectl annotate rs ... sluice.dev/revision-number=...` on an old one) inflates every number
  // after it. At 2^53-1 the next number is not a safe integer: it reads back as 0 ("unknown"), so the planner
  // renumbers the current ReplicaSet on every reconcile, `kubectl sluice history` shows "-" and undo can never name
  // it. At 999999999 the next number has ten digits, which `undo:N` and `--to-revision` refuse. Every number handed
  // out must read back as itself and be one undo can name (an out-of-range annotation ignored, or refused).
  it.each([Number.MAX_SAFE_INTEGER, 999_999_999])(
    'reads back as itself and can be named by undo:N after a ReplicaSet annotated %d',
    (forged) => {
      const sim = new SimCluster();
      sim.converge();
      sim.replicaSets.set('rev-x', {
        name: 'checkout-rev-x',
        revision: 'rev-x',
        replicas: 0,
        readyReplicas: 0,
        availableReplicas: 0,
        pods: 0,
        revisionNumber: forged,
        createdAt: sim.now.toISOString(),
      });
      sim.templateRevision = 'rev-b';
      const plan = sim.reconcile();
      const number = plan.revisionNumber?.number ?? sim.replicaSets.get('rev-b')?.revisionNumber ?? 0;
      expect(number).toBeGreaterThan(0);
      const annotated = { metadata: { annotations: { 'sluice.dev/revision-number': String(number) } } };
      expect(revisionNumberOf(annotated)).toBe(number);
      expect(readActionRequest({ 'sluice.dev/action': `undo:${number}` })).toEqual({
        kind: 'action',
        action: `undo:${number}`,
      });
    },
  );
});
