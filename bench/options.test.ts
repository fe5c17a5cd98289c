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

  it('measures 20 rounds of the blue-green switch unless --blue-green says otherwise, and 0 skips them', () => {
    expect(parseOptions([]).blueGreen).toBe(20);
    expect(parseOptions(['--blue-green', '5']).blueGreen).toBe(5);
    expect(parseOptions(['--blue-green=0']).blueGreen).toBe(0);
    expect(() => parseOptions(['--blue-green', 'many'])).toThrow('--blue-green takes a whole number of at least 0');
  });

  it('runs no scale sizes with an empty --sizes, for the reaction only', () => {
    expect(parseOptions(['--sizes=', '--aborts', '20', '--promotes', '20']).sizes).toEqual([]);
  });

  it("runs the controller with the image's node options unless --node-options says otherwise", () => {
    expect(parseOptions([]).nodeOptions).toEqual(['--max-semi-space-size=2', '--optimize-for-size', '--expose-gc']);
    expect(parseOptions(['--node-options', '--max-old-space-size=128']).nodeOptions).toEqual([
      '--max-old-space-size=128',
    ]);
    expect(parseOptions(['--node-options=']).nodeOptions).toEqual([]);
  });

  it('compares with Argo Rollouts only when --compare argo asks, and names what it can compare with', () => {
    expect(parseOptions([]).compare).toBeUndefined();
    expect(parseOptions(['--compare', 'argo', '--sizes', '100,1000']).compare).toBe('argo');
    expect(parseOptions(['--compare=argo']).compare).toBe('argo');
    expect(parseOptions(['--compare', 'sluice']).compare).toBe('sluice');
    expect(() => parseOptions(['--compare', 'flagger'])).toThrow(
      "--compare takes argo (Sluice and Argo Rollouts side by side) or sluice (Sluice's side alone); got flagger",
    );
    expect(() => parseOptions(['--compare'])).toThrow('--compare needs a value');
  });
});
