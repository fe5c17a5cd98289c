import { describe, expect, it } from 'vitest';
import type { ManagedRoute } from '../managedRoutes.ts';
import {
  byHeaderAnnotation,
  byHeaderPatternAnnotation,
  byHeaderValueAnnotation,
  canaryIngressName,
  canaryRules,
  canaryWeightOf,
  desiredAnnotations,
  headerAnnotations,
  headerRouteOf,
  type Ingress,
} from './canaryIngress.ts';

const header = (headerValue: ManagedRoute['match'][number]['headerValue']): ManagedRoute => ({
  kind: 'header',
  name: 'qa',
  match: [{ headerName: 'X-User', headerValue }],
});

describe('canaryIngressName', () => {
  it('is <rollout>-<stableIngress>-canary while that fits a name', () => {
    expect(canaryIngressName('checkout', 'web')).toBe('checkout-web-canary');
  });

  it('is shortened with a hash of the whole name past 253 characters, and two long names still differ', () => {
    const a = canaryIngressName('checkout', `${'a'.repeat(240)}.x`);
    const b = canaryIngressName('checkout', `${'a'.repeat(240)}.y`);
    expect(a.length).toBeLessThanOrEqual(253);
    expect(a).toMatch(/^checkout-a+-[0-9a-f]{10}-canary$/);
    expect(a).not.toBe(b);
  });
});

describe('canaryRules', () => {
  const stable: Ingress = {
    spec: {
      ingressClassName: 'nginx',
      rules: [
        {
          host: 'shop.example.com',
          http: {
            paths: [
              {
                path: '/',
                pathType: 'Prefix',
                backend: { service: { name: 'checkout-stable', port: { number: 80 } } },
              },
              { path: '/admin', pathType: 'Prefix', backend: { service: { name: 'admin', port: { number: 80 } } } },
            ],
          },
        },
        { host: 'other.example.com', http: { paths: [{ path: '/', backend: { service: { name: 'other' } } }] } },
      ],
    },
  };

  it('keeps the paths to the stable Service, sent to the canary Service on the same port, and leaves the stable alone', () => {
    const before = structuredClone(stable);
    expect(canaryRules(stable, 'checkout-stable', 'checkout-canary')).toEqual([
      {
        host: 'shop.example.com',
        http: {
          paths: [
            { path: '/', pathType: 'Prefix', backend: { service: { name: 'checkout-canary', port: { number: 80 } } } },
          ],
        },
      },
    ]);
    expect(stable).toEqual(before);
  });

  it('finds nothing in an Ingress without a stable backend, or a hand-broken one', () => {
    expect(canaryRules({ spec: { rules: [{ http: { paths: [{}] } }] } }, 'checkout-stable', 'x')).toEqual([]);
    expect(canaryRules({ spec: { rules: 'nonsense' as never } }, 'checkout-stable', 'x')).toEqual([]);
  });
});

describe('header annotations', () => {
  it('writes an exact value as canary-by-header-value and reads the route back by its name, lowercase', () => {
    const annotations = headerAnnotations(header({ exact: 'qa-team' }));
    expect(annotations).toMatchObject({ [byHeaderAnnotation]: 'x-user', [byHeaderValueAnnotation]: 'qa-team' });
    expect(annotations[byHeaderPatternAnnotation]).toBeUndefined();
    expect(headerRouteOf({ ...annotations, 'nginx.ingress.kubernetes.io/canary': 'true' })).toEqual([
      { kind: 'header', name: 'qa', match: [{ headerName: 'x-user', headerValue: { exact: 'qa-team' } }] },
    ]);
  });

  it('writes an exact value ingress-nginx would refuse as a value as an anchored, escaped pattern', () => {
    expect(headerAnnotations(header({ exact: 'a b+c' }))[byHeaderPatternAnnotation]).toBe('^a b\\+c$');
  });

  it('anchors a regex (the whole value) and turns a prefix into ^<escaped prefix>.*, each read back as written', () => {
    for (const [value, pattern] of [
      [{ regex: 'qa|dev' }, '^(?:qa|dev)$'],
      [{ prefix: 'v1.2' }, '^v1\\.2.*'],
    ] as const) {
      const annotations = headerAnnotations(header(value));
      expect(annotations[byHeaderPatternAnnotation]).toBe(pattern);
      expect(headerRouteOf({ ...annotations, 'nginx.ingress.kubernetes.io/canary': 'true' })).toEqual([
        { kind: 'header', name: 'qa', match: [{ headerName: 'x-user', headerValue: value }] },
      ]);
    }
  });

  it('reads a hand-edited header rule as what ingress-nginx does with it, not as the route Sluice recorded', () => {
    const annotations = {
      ...headerAnnotations(header({ exact: 'qa-team' })),
      'nginx.ingress.kubernetes.io/canary': 'true',
      [byHeaderValueAnnotation]: 'everyone',
    };
    expect(headerRouteOf(annotations)).toEqual([
      { kind: 'header', name: 'qa', match: [{ headerName: 'x-user', headerValue: { exact: 'everyone' } }] },
    ]);
    expect(headerRouteOf({ ...annotations, 'sluice.dev/header-route': '{not json' })).toMatchObject([{ name: '' }]);
  });
});

describe('desiredAnnotations and the weight read back', () => {
  const additional = { 'nginx.ingress.kubernetes.io/canary-by-cookie': 'canary' };

  it('carries the weight out of 100 and reads it back as ingress-nginx does', () => {
    const annotations = desiredAnnotations(30, [], additional, undefined);
    expect(annotations).toEqual({
      'nginx.ingress.kubernetes.io/canary': 'true',
      'nginx.ingress.kubernetes.io/canary-weight': '30',
      'nginx.ingress.kubernetes.io/canary-weight-total': '100',
      ...additional,
    });
    expect(canaryWeightOf(annotations)).toBe(30);
    expect(canaryWeightOf({ ...annotations, 'nginx.ingress.kubernetes.io/canary-weight-total': '1000' })).toBe(3);
    expect(canaryWeightOf({ ...annotations, 'nginx.ingress.kubernetes.io/canary': 'false' })).toBe(0);
    expect(canaryWeightOf({ ...annotations, 'nginx.ingress.kubernetes.io/canary-weight': 'lots' })).toBe(0);
  });

  it('leaves the additional annotations out when nothing goes to the canary, so a cookie rule cannot route there', () => {
    expect(desiredAnnotations(0, [], additional, 'nginx')).toEqual({
      'kubernetes.io/ingress.class': 'nginx',
      'nginx.ingress.kubernetes.io/canary': 'true',
      'nginx.ingress.kubernetes.io/canary-weight': '0',
      'nginx.ingress.kubernetes.io/canary-weight-total': '100',
    });
  });
});
