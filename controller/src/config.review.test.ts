/**
 * Review of leader election's settings (runController.ts, kube/leaderElection.ts): what the Lease can hold.
 */
import { describe, expect, it } from 'vitest';
import { problemsOf } from './config.test-support.ts';

describe('review: --lease-duration and the Lease it is written into', () => {
  // review: kube/leaderElection.ts writes spec.leaseDurationSeconds as leaseDurationMs / 1000, and the setting takes
  // any duration ("1500ms", "15500ms", "2.5s"). A Lease's leaseDurationSeconds is an int32: the API server refuses
  // 15.5 on every create and replace ("cannot unmarshal number 15.5 ... of type int32"), so no replica ever becomes
  // leader and nothing is reconciled, while every replica looks healthy and logs only "leader election request
  // failed" warnings. The setting should refuse it at start, naming the flag.
  it.each(['15500ms', '1500ms', '2.5s'])('refuses --lease-duration=%s, which is not whole seconds', (value) => {
    const problems = problemsOf([`--lease-duration=${value}`, '--renew-deadline=1s', '--retry-period=500ms']);
    expect(problems.some((p) => p.includes('--lease-duration') && /whole seconds/.test(p))).toBe(true);
  });
});
