/**
 * Story: an AnalysisTemplate whose successCondition compares every sample with every other over a 10,000-sample
 * range from the real Prometheus (100 million CEL steps, about a minute of work). CEL has no cost limit, so on the
 * controller's event loop it stalled every reconcile, the lease renewal and /healthz. Conditions now run in a
 * worker under a deadline: the offending analysis ends in Error saying the condition was too expensive, while
 * /healthz keeps answering and another Rollout in the same controller is promoted.
 */
import { describe, expect, inject, it } from 'vitest';
import {
  clients,
  createApp,
  createRollout,
  routedSpec,
  setImage,
  waitForRollout,
  waitForPromotion,
} from './rolloutStory.ts';
import { useNamespace } from './support.ts';
import { usePrometheusStory } from './analysisStory.ts';

const ns = useNamespace('pathological');
const info = inject('prometheus');
const story = usePrometheusStory(ns);

/** Asks /healthz every 100 ms; `stop` gives the slowest answer (a stalled loop shows as one long wait). */
function healthProbe(url: string) {
  let slowestMs = 0;
  let failures = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const started = performance.now();
      const ok = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(10_000) }).then(
        (r) => r.ok,
        () => false,
      );
      if (!ok) failures++;
      slowestMs = Math.max(slowestMs, performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { slowestMs, failures };
    },
  };
}

describe('given an analysis whose condition is far too expensive for its result', () => {
  it('the analysis ends in Error saying so, /healthz answers quickly throughout, and another Rollout is promoted', async () => {
    await clients().custom.createNamespacedCustomObject({
      group: 'sluice.dev',
      version: 'v1alpha1',
      plural: 'analysistemplates',
      namespace: ns.name,
      body: {
        apiVersion: 'sluice.dev/v1alpha1',
        kind: 'AnalysisTemplate',
        metadata: { name: 'every-pair' },
        spec: {
          metrics: [
            {
              name: 'every-pair',
              interval: '1s',
              count: 3,
              consecutiveErrorLimit: 0,
              // Two nested comprehensions pass the static check; over 10,000 samples they are 100 million steps.
              successCondition: 'result.all(a, result.all(b, a + b >= 0.0))',
              provider: {
                prometheus: { address: info!.url, query: 'vector(1)', range: { lookback: '10000s', step: '1s' } },
              },
            },
          ],
        },
      },
    });
    await createApp(ns.name, 'heavy', { replicas: 1, route: true });
    await createApp(ns.name, 'steady', { replicas: 1, route: true });
    await createRollout(ns.name, 'heavy', {
      ...routedSpec('heavy'),
      strategy: {
        canary: {
          steps: [{ setWeight: 20 }, { analysis: { templates: [{ templateName: 'every-pair' }] } }, { setWeight: 60 }],
        },
      },
    });
    await createRollout(ns.name, 'steady', {
      ...routedSpec('steady'),
      strategy: { canary: { steps: [{ setWeight: 30 }, { pause: { duration: '2s' } }, { setWeight: 70 }] } },
    });
    await waitForRollout(ns.name, 'heavy', 'Healthy', (r) => r.status?.phase === 'Healthy');
    const steadyBefore = await waitForRollout(ns.name, 'steady', 'Healthy', (r) => r.status?.phase === 'Healthy');

    // How slow /healthz is on this machine right now, with nothing expensive running: the bound below is on top.
    const quiet = healthProbe(story.controller.metricsUrl);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const baseline = await quiet.stop();
    const probe = healthProbe(story.controller.metricsUrl);
    await setImage(ns.name, 'heavy', 'example.invalid/app:v2');
    await waitForRollout(
      ns.name,
      'heavy',
      'measuring',
      (r) => (r.status?.analysis?.runs[0]?.metrics[0]?.count ?? 0) > 0 || r.status?.abort === true,
    );
    await setImage(ns.name, 'steady', 'example.invalid/app:v2');
    const steady = await waitForPromotion(ns.name, 'steady', steadyBefore, 90_000);
    const heavy = await waitForRollout(ns.name, 'heavy', 'aborted', (r) => r.status?.abort === true, 60_000);
    const health = await probe.stop();
    console.log(
      `[pathological story] slowest /healthz answer ${Math.round(health.slowestMs)} ms (${Math.round(baseline.slowestMs)} ms when quiet), ${health.failures} failures`,
    );

    expect(steady.status?.weights).toEqual({ canary: 0, stable: 100 });
    const metric = heavy.status?.analysis?.runs[0]?.metrics[0];
    expect(metric?.phase).toBe('Error');
    expect(metric?.measurements.at(-1)?.message).toMatch(
      /^successCondition .* was too expensive to evaluate and was stopped \(it ran longer than \d+ ms\): compare an aggregate/,
    );
    expect(heavy.status?.currentStepIndex).toBe(1);
    expect(health.failures).toBe(0);
    expect(baseline.failures).toBe(0);
    // A loop held by the condition waits about a minute (measured on the old code); a loaded 2-core machine can stall
    // a healthy one for a second or so: five seconds over the quiet baseline tells the two apart.
    expect(health.slowestMs).toBeLessThan(5_000 + baseline.slowestMs);
  }, 240_000);

  it('a query timeout above 60s is refused by the API server, naming the field', async () => {
    const refused = await clients()
      .custom.createNamespacedCustomObject({
        group: 'sluice.dev',
        version: 'v1alpha1',
        plural: 'analysistemplates',
        namespace: ns.name,
        body: {
          apiVersion: 'sluice.dev/v1alpha1',
          kind: 'AnalysisTemplate',
          metadata: { name: 'patient' },
          spec: {
            metrics: [
              {
                name: 'patient',
                successCondition: 'result < 1.0',
                provider: {
                  prometheus: {
                    address: info!.url,
                    query: 'vector(1)',
                    timeout: '5m',
                    range: { lookback: '24h', step: '1s' },
                  },
                },
              },
            ],
          },
        },
      })
      .then(
        () => undefined,
        (err: unknown) => String((err as { body?: unknown }).body ?? err),
      );
    expect(refused).toMatch(
      /spec\.metrics\[0\]\.provider\.prometheus\.timeout: Invalid value: [^:]*5m[^:]*: must be at most 60s/,
    );
    expect(refused).toMatch(
      /spec\.metrics\[0\]\.provider\.prometheus\.range\.step: Invalid value: .{0,20}range\.lookback \/ range\.step gives more than 11000 samples/,
    );
  });
});
