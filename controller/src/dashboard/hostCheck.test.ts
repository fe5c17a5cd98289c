import { describe, expect, it } from 'vitest';
import { allowedDashboardHosts, checkHost, hostNameOf } from './hostCheck.ts';

describe('hostCheck', () => {
  const allowed = allowedDashboardHosts('sluice-7d9f', [' dash.example.com ', 'proxy.internal:8443', 'not a host'], {
    lo: [{ address: '127.0.0.1' } as never],
    eth0: [{ address: '10.244.1.7' } as never, { address: 'fe80::1' } as never],
  });

  it('reads the name from a Host header, port and brackets aside', () => {
    expect(['Example.COM:8080', '[::1]:3100', '[::1]', 'host.', 'a b', 'x:99999999', ''].map(hostNameOf)).toEqual([
      'example.com',
      '::1',
      '::1',
      'host',
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('allows loopback, the pod, its addresses and the configured names', () => {
    expect([...allowed].sort()).toEqual([
      '10.244.1.7',
      '127.0.0.1',
      '::1',
      'dash.example.com',
      'fe80::1',
      'localhost',
      'proxy.internal',
      'sluice-7d9f',
    ]);
    expect(checkHost('[fe80::1]:3100', allowed)).toEqual({ ok: true });
    expect(checkHost('dash.example.com', allowed)).toEqual({ ok: true });
  });

  it('refuses other names and a missing Host, saying which', () => {
    expect(checkHost(undefined, allowed)).toEqual({ ok: false, reason: 'the request has no Host header' });
    expect(checkHost('rebind.attacker.example:3100', allowed)).toEqual({
      ok: false,
      reason: 'the dashboard is not served as "rebind.attacker.example:3100"',
    });
  });
});
