/**
 * Argo blue-green Rollouts that Sluice cannot take as they are (the corpus, testdata/argo/blue-green.yaml, has
 * those it can): each is reported with its reason, and nothing is half written.
 */
import { describe, expect, it } from 'vitest';
import { convertArgo } from './argo.ts';
import type { ConvertContext, KubeManifest } from './conversion.ts';

const deployment: KubeManifest = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'pay' },
  spec: { template: { spec: { containers: [{ name: 'app', ports: [{ containerPort: 8080 }] }] } } },
};
const withDeployment: ConvertContext = {
  objects: [deployment],
  find: (kind) => (kind === 'Deployment' ? deployment : undefined),
};

const argo = (strategy: Record<string, unknown>) =>
  convertArgo(
    {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Rollout',
      metadata: { name: 'pay' },
      spec: { workloadRef: { kind: 'Deployment', name: 'pay' }, strategy },
    },
    withDeployment,
  )!;

const reasons = (c: ReturnType<typeof argo>) => c.dropped.map((d) => `${d.path}: ${d.reason}`);

describe('convertArgo with a blue-green Sluice cannot take', () => {
  it('writes nothing for a Rollout with both strategies, which Argo refuses too', () => {
    const out = argo({ canary: { steps: [{ setWeight: 10 }] }, blueGreen: { activeService: 'pay' } });
    expect(out.objects).toEqual([]);
    expect(reasons(out)).toEqual([expect.stringMatching(/^spec\.strategy: both canary and blueGreen/)]);
  });

  it('writes nothing without an active Service, or with the preview Service the same as the active one', () => {
    const missing = argo({ blueGreen: { previewService: 'pay-preview' } });
    expect(missing.objects).toEqual([]);
    expect(reasons(missing)).toEqual([expect.stringMatching(/^spec\.strategy\.blueGreen\.activeService: not set/)]);
    const same = argo({ blueGreen: { activeService: 'pay', previewService: 'pay' } });
    expect(same.objects).toEqual([]);
    expect(reasons(same)).toEqual([
      expect.stringMatching(/^spec\.strategy\.blueGreen\.previewService: is the active Service/),
    ]);
    const odd = argo({ blueGreen: { activeService: 'Pay_Active' } });
    expect(odd.objects).toEqual([]);
    expect(reasons(odd)).toEqual([expect.stringMatching(/is not a Service name/)]);
  });

  it('names the preview Service it adds so that it never is the active one', () => {
    const out = argo({ blueGreen: { activeService: 'pay-preview' } });
    expect(out.objects[0]?.['spec']).toMatchObject({
      service: { port: 8080 },
      strategy: { blueGreen: { activeService: 'pay-preview', previewService: 'pay-green' } },
    });
  });

  it('drops a startingStep written into an analysis, and values it cannot read, instead of writing them', () => {
    const out = argo({
      blueGreen: {
        activeService: 'pay',
        previewReplicaCount: 0,
        scaleDownDelaySeconds: 100_000,
        prePromotionAnalysis: { templates: [{ templateName: 'rate' }], startingStep: 2 },
      },
    });
    expect(out.objects[0]?.['spec']).toMatchObject({
      strategy: {
        blueGreen: { activeService: 'pay', prePromotionAnalysis: { templates: [{ templateName: 'rate' }] } },
      },
    });
    const blueGreen = (out.objects[0]?.['spec'] as { strategy: { blueGreen: Record<string, unknown> } }).strategy
      .blueGreen;
    expect(blueGreen).not.toHaveProperty('previewReplicaCount');
    expect(blueGreen).not.toHaveProperty('scaleDownDelaySeconds');
    expect(out.dropped.map((d) => d.path)).toEqual(
      expect.arrayContaining([
        'spec.strategy.blueGreen.previewReplicaCount',
        'spec.strategy.blueGreen.prePromotionAnalysis.startingStep',
        'spec.strategy.blueGreen.scaleDownDelaySeconds',
      ]),
    );
  });

  it('says what is lost when the check after the switch cannot be converted', () => {
    const out = argo({ blueGreen: { activeService: 'pay', postPromotionAnalysis: { templates: [] } } });
    expect(reasons(out)).toContainEqual(
      expect.stringMatching(/^spec\.strategy\.blueGreen\.postPromotionAnalysis: the check after the switch/),
    );
    expect(out.objects[0]?.['spec']).toMatchObject({ strategy: { blueGreen: { activeService: 'pay' } } });
  });
});
