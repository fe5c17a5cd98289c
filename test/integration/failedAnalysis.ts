/**
 * A failed background analysis as the analysis engine records it in status: one metric judged by its conditions
 * (the failureCondition held on 0.31) and one by the statistical judge (canary 37% slower than stable), each with
 * what decided it, so that a page or a CLI story can show why. Written here so that a story does not depend on a
 * Prometheus; the controller takes it as the engine's verdict and aborts the canary.
 */
import { CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { adminKubeConfig } from './support.ts';

export async function writeFailedAnalysis(namespace: string, name: string, revision: string): Promise<void> {
  const at = (s: number) => new Date(Date.now() - (120 - s) * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
  const metric = (metricName: string, measurement: Record<string, unknown>) => ({
    name: metricName,
    phase: 'Failed',
    count: 1,
    successful: 0,
    failed: 1,
    inconclusive: 0,
    errors: 0,
    consecutiveErrors: 0,
    measurements: [{ phase: 'Failed', startedAt: at(60), finishedAt: at(62), ...measurement }],
  });
  await adminKubeConfig()
    .makeApiClient(CustomObjectsApi)
    .patchNamespacedCustomObjectStatus(
      {
        group: 'sluice.dev',
        version: 'v1alpha1',
        plural: 'rollouts',
        namespace,
        name,
        body: {
          status: {
            analysis: {
              runs: [
                {
                  name: 'background',
                  revision,
                  phase: 'Failed',
                  startedAt: at(0),
                  finishedAt: at(62),
                  message: 'error-rate failed',
                  metrics: [
                    metric('error-rate', {
                      value: '0.31',
                      message: 'failureCondition result >= 0.1',
                      decidedBy: 'failureCondition',
                    }),
                    metric('latency', {
                      value: 'High (ratio 1.37, p=0.004)',
                      judge: {
                        u: 3410,
                        p: 0.004,
                        effectSize: 1.37,
                        canaryCount: 60,
                        stableCount: 60,
                        canaryMean: 0.412,
                        stableMean: 0.3,
                      },
                    }),
                  ],
                },
              ],
            },
          },
        },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
}
