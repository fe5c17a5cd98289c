import { describe, expect, it } from 'vitest';
import { resources } from '../api/resources.ts';
import { untilCrdsCurrent } from './crdCurrency.ts';
import { behindDocument, endOnAbort } from './crdCurrency.test-support.ts';

describe('a transient failure reading the published CRD schemas at start-up', () => {
  // Defect (crdCurrency.ts untilCrdsCurrent, the 'unknown' branch): ONE failed read (a 500 from an API server that
  // is restarting, a request timeout from the pooled client on a slow or hung /openapi/v3 answer) resolves the
  // wait at once, and runController.ts then marks the replica Ready and campaigns for the lease. A new controller on CRDs
  // that are behind (the exact helm-upgrade case this check exists for) thus leads on a blip, its status writes are
  // pruned by the API server, and it plans from status that lost its decisions. The old replicas had kept leading
  // correctly; a transient error must be read again (as 'behind' is) before it is taken as "cannot tell".
  it('given a 500 once and then CRDs behind, then it does not resolve on the 500: it reports them behind', async () => {
    const answers: (() => Promise<unknown>)[] = [
      () => Promise.reject(new Error('GET /openapi/v3/apis/sluice.dev/v1alpha1: HTTP 500')),
      () => Promise.resolve(behindDocument()),
      () => Promise.resolve(behindDocument()),
    ];
    const errors: string[] = [];
    const done = untilCrdsCurrent(
      () => (answers.shift() ?? (() => new Promise<never>(() => undefined)))() as Promise<never>,
      resources,
      { error: (_, m) => errors.push(m), warn: () => undefined },
      new AbortController().signal,
      () => Promise.resolve(),
    ).then(() => 'resolved');
    const outcome = await Promise.race([done, new Promise((r) => setTimeout(() => r('still waiting'), 50))]);
    expect(errors.join('\n')).toMatch(/Rollout\.spec\.restartAt/);
    expect(outcome).toBe('still waiting');
  });

  // Defect (same loop): the read is not given `signal`, nor raced against it, so a SIGTERM while the OpenAPI read
  // hangs leaves the wait pending until the client's own deadline; the shutdown then leans on its 10 s exit timer.
  it('given a read that never answers, then aborting the signal ends the wait', async () => {
    const outcome = await endOnAbort(() => new Promise<never>(() => undefined), new AbortController(), 0, 100);
    expect(outcome).toBe('rejected');
  });
});
