/** The measurement the Job provider's tests (job.test.ts, job.review.test.ts) take: its owner and its request. */
import type { ProviderRequest } from './provider.ts';

export const owner = {
  namespace: 'shop',
  rollout: { name: 'checkout', uid: 'uid-1' },
  measurementId: 'run/rev/at/smoke/0',
};

export function request(signal = new AbortController().signal): ProviderRequest {
  return {
    ...owner,
    field: 'AnalysisTemplate shop/smoke metrics[smoke].provider.job',
    startedAt: new Date(),
    trusted: false,
    args: { values: new Map(), secrets: [] },
    vars: {},
    secret: () => '',
    scrub: () => undefined,
    signal,
  };
}
