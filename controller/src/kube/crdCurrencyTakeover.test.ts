import { ApiException } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { resources } from '../api/resources.ts';
import { crdsLetLead } from './crdCurrency.ts';
import { behindDocument, publishedDocument } from './crdCurrency.test-support.ts';

/** crdsLetLead with one answer to its read, and what it reported. */
async function takeOver(answer: () => Promise<unknown>) {
  let reads = 0;
  const errors: string[] = [];
  const warnings: string[] = [];
  const mayLead = await crdsLetLead(
    () => {
      reads++;
      return answer() as Promise<never>;
    },
    resources,
    { error: (_, m) => errors.push(m), warn: (_, m) => warnings.push(m) },
    new AbortController().signal,
    () => Promise.resolve(), // no real pause between reads
  );
  return { mayLead, reads, errors, warnings };
}

describe('a standby that takes over the lease checks the CRDs again before its workers start', () => {
  it('given CRDs replaced by older ones since start-up, then it may not lead, and says what is missing and the fix', async () => {
    const outcome = await takeOver(() => Promise.resolve(behindDocument()));
    expect(outcome.mayLead).toBe(false);
    expect(outcome.reads).toBe(1);
    expect(outcome.errors).toHaveLength(1);
    expect(outcome.errors[0]).toMatch(/Rollout\.spec\.restartAt/);
    expect(outcome.errors[0]).toContain('kubectl apply --server-side -k crds/');
  });

  it('given current CRDs, then it leads after one read, saying nothing', async () => {
    const outcome = await takeOver(() => Promise.resolve(publishedDocument()));
    expect(outcome).toEqual({ mayLead: true, reads: 1, errors: [], warnings: [] });
  });

  it('given a read that fails in a way that may pass (HTTP 503), then it does not lead on CRDs it could not check', async () => {
    const outcome = await takeOver(() => Promise.reject(new ApiException(503, 'HTTP 503', '', {})));
    expect(outcome.mayLead).toBe(false);
    expect(outcome.reads, 'tried three times before refusing').toBe(3);
    expect(outcome.warnings).toHaveLength(1);
  });

  it('given one failed read and then current CRDs, then it leads: one dropped connection costs no restart', async () => {
    let n = 0;
    const outcome = await takeOver(() =>
      n++ === 0 ? Promise.reject(new ApiException(503, 'HTTP 503', '', {})) : Promise.resolve(publishedDocument()),
    );
    expect(outcome).toEqual({ mayLead: true, reads: 2, errors: [], warnings: [] });
  });

  it('given a schema the API server will not serve (HTTP 403), then it leads with a warning, as at start-up', async () => {
    const outcome = await takeOver(() => Promise.reject(new ApiException(403, 'HTTP 403', '', {})));
    expect(outcome.mayLead).toBe(true);
    expect(outcome.warnings).toHaveLength(1);
  });
});
