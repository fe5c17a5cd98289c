/**
 * Hostile review of the address policy that the web provider (and Prometheus) sit on, as a tenant writing a
 * namespaced AnalysisTemplate would attack it.
 */
import { describe, expect, it } from 'vitest';
import { addressProblem, parseHostPatterns, type HostPattern } from './providerPolicy.ts';

const patterns = (text: string) => parseHostPatterns(text) as HostPattern[];

describe('review: a namespaced template never reaches the node or the controller itself', () => {
  // review: with --analysis-allowed-hosts=* (documented as "any host"), a namespaced AnalysisTemplate may send a
  // web request to the cloud metadata endpoint (169.254.169.254 in any spelling: decimal, hex, IPv4-mapped IPv6,
  // or AWS's IPv6 fd00:ec2::254) and to the controller pod's own loopback (its dashboard, which shows every
  // namespace's rollouts without a token, its metrics and health ports). The request leaves from the controller
  // pod, so NetworkPolicy that keeps tenants off those addresses does not apply: the controller is a confused
  // deputy, and the answer's value at jsonPath lands in the tenant's own status (256 chars per measurement,
  // any slice of the document by jsonPath). A wildcard for "any service" should not mean "the node's cloud
  // credentials and the controller's own ports"; only an explicit entry (or a ClusterAnalysisTemplate) should
  // reach link-local or loopback. providerPolicy.ts:hostMatches returns true for `*` before looking at the host.
  // Severity: medium (needs `*`, but `*` is what a permissive admin sets, and IMDS gives node credentials).
  const any = patterns('*');
  const check = (address: string) => addressProblem(address, { trusted: false, allowedHosts: any });
  for (const address of [
    'http://169.254.169.254/latest/meta-data/iam/security-credentials/',
    'http://2852039166/computeMetadata/v1/',
    'http://0xa9fea9fe/',
    'http://[::ffff:169.254.169.254]/',
    'http://[fd00:ec2::254]/latest/meta-data/',
    'http://127.0.0.1:8080/metrics',
    'http://[::1]:8080/',
    'http://localhost:8080/',
    'http://0/', // 0.0.0.0: Linux connects it to the local host
  ]) {
    it(`refuses ${address} under *`, () => {
      expect(check(address)).toMatch(/allowed-hosts|not allowed|link-local|loopback|metadata/);
    });
  }
});
