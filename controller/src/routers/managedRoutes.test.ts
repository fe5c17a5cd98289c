import { describe, expect, it } from 'vitest';
import { canonicalMatch, sameRoutes, type ManagedRoute } from './managedRoutes.ts';

const header = (match: ManagedRoute['match']): ManagedRoute => ({ kind: 'header', name: 'testers', match });

describe('managed routes compared as the routers read them back', () => {
  it('ignore the order of the headers and the case of their names: all must match, whatever the order', () => {
    // Found by the istio-header-routing example: Istio keeps the headers in a map, stored with sorted keys.
    const asWritten = header([
      { headerName: 'X-User', headerValue: { regex: '(qa|dev)-.+' } },
      { headerName: 'x-tenant', headerValue: { exact: 'internal' } },
    ]);
    const asRead = header([
      { headerName: 'x-tenant', headerValue: { exact: 'internal' } },
      { headerName: 'x-user', headerValue: { regex: '(qa|dev)-.+' } },
    ]);
    expect(sameRoutes([asWritten], [asRead])).toBe(true);
    expect(canonicalMatch(asWritten.match).map((m) => m.headerName)).toEqual(['x-tenant', 'x-user']);
  });

  it('still tell different values, kinds of match and route order apart', () => {
    const a = header([{ headerName: 'x-user', headerValue: { exact: 'qa' } }]);
    const prefix = header([{ headerName: 'x-user', headerValue: { prefix: 'qa' } }]);
    const other = header([{ headerName: 'x-user', headerValue: { exact: 'dev' } }]);
    const mirror: ManagedRoute = { kind: 'mirror', name: 'shadow', percentage: 10, match: [] };
    expect(sameRoutes([a], [prefix])).toBe(false);
    expect(sameRoutes([a], [other])).toBe(false);
    expect(sameRoutes([a, mirror], [mirror, a])).toBe(false);
    expect(sameRoutes([mirror], [{ ...mirror, percentage: 20 }])).toBe(false);
  });
});
