import { describe, expect, it } from 'vitest';
import { parseOptions } from './options.ts';

describe('npm run bench options', () => {
  it('measures through an HTTPRoute unless --router says otherwise, so earlier results stay comparable', () => {
    expect(parseOptions([]).router).toBe('gatewayAPI');
    expect(parseOptions(['--router', 'istioSubsets']).router).toBe('istioSubsets');
    expect(parseOptions(['--router=nginx']).router).toBe('nginx');
  });

  it('refuses a router it does not know, listing the ones it does', () => {
    expect(() => parseOptions(['--router', 'linkerd'])).toThrow(
      '--router is one of gatewayAPI, grpcRoute, istio, istioSubsets, nginx, smi; got linkerd',
    );
  });

  it('runs no scale sizes with an empty --sizes, for the reaction only', () => {
    expect(parseOptions(['--sizes=', '--aborts', '20', '--promotes', '20']).sizes).toEqual([]);
  });
});
