/**
 * Hostile-review test for the ActionRefused condition (issue 16): a refused request is quoted into status, and
 * status has bounds the API server enforces, so the quote must be bounded too.
 */
import { describe, expect, it } from 'vitest';
import { condition } from '../api/common.schema.ts';
import { readActionRequest } from '../api/controls.ts';
import { withCanary } from './fixtures.test-support.ts';

/** The message bound the CRD declares for a condition (api/common.schema.ts), which the API server enforces. */
const maxMessage = (condition as unknown as { properties: { message: { maxLength: number } } }).properties.message
  .maxLength;

describe('the ActionRefused condition of a garbage sluice.dev/action value', () => {
  // Defect (planner/plan.ts: `b.condition('ActionRefused', { ..., message: b.action.invalid })`, new with undo;
  // api/controls.ts quotes the whole value with JSON.stringify). An annotation value may be 256 KiB; a condition
  // message may be 32768 characters (the CRD's maxLength, enforced on the status subresource). A long value (a
  // script that pastes a manifest, `undo:` followed by a log line) makes every status write a 422: the decisions
  // are never recorded, so the annotation is never removed (that waits for the status write) and every reconcile
  // fails the same way. The Rollout is wedged: a failing background analysis cannot record its abort, so traffic
  // stays on the canary. The Event is cut at 1024 characters (eventRecorder.ts); the condition must be bounded too.
  it.each([`undo:${'9'.repeat(40_000)}`, `promote${' please'.repeat(7_000)}`])(
    'fits the CRD for a value of 40 000 characters (case %#)',
    (value) => {
      const sim = withCanary();
      sim.converge(40);
      const request = readActionRequest({ 'sluice.dev/action': value });
      expect(request.kind).toBe('invalid');
      if (request.kind !== 'invalid') return;
      sim.action = { invalid: `${request.field}: ${request.message}` }; // as reconcile/observe.ts hands it over
      const plan = sim.reconcile();
      for (const c of plan.status.conditions ?? []) expect(c.message.length).toBeLessThanOrEqual(maxMessage);
      expect(plan.status.conditions?.find((c) => c.type === 'ActionRefused')?.status).toBe('True');
    },
  );
});

describe('an InvalidSpec message longer than status keeps', () => {
  // Status keeps a condition message cut to its bound; a planner that compared the uncut message with the stored
  // one would see a change on every reconcile and send the same Warning Event each time, flooding the namespace.
  it('is announced once, not on every reconcile', () => {
    const sim = withCanary();
    sim.converge(40);
    sim.specErrors = [{ field: 'spec.strategy', message: 'x'.repeat(5_000), code: 'TemplateNotFound' }];
    const first = sim.reconcile();
    expect(first.events.filter((e) => e.reason === 'InvalidSpec')).toHaveLength(1);
    const again = sim.reconcile();
    expect(again.events.filter((e) => e.reason === 'InvalidSpec')).toHaveLength(0);
  });
});
