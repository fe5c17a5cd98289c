/**
 * Stories of the web metric provider: the real controller asks a real HTTP health endpoint (node:http on loopback,
 * which the stories' controller allows with --analysis-allowed-hosts 127.0.0.1) and reads `{$.healthy}` from its
 * JSON answer. Healthy promotes the canary; unhealthy aborts it and traffic returns to stable. A namespaced
 * template that names a host outside the allowlist gets an Error naming the field and the setting, and that host
 * is sent nothing.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useController } from './controllerProcess.ts';
import {
  createAnalysisTemplate,
  createApp,
  createRollout,
  eventMessages,
  replicaSetsOf,
  routeCanaryWeight,
  routedSpec,
  setImage,
  waitForRollout,
  waitForPromotion,
} from './rolloutStory.ts';
import { useNamespace } from './support.ts';

const ns = useNamespace('analysis-web');
useController(ns);

/** The health endpoint: answers {"healthy": <what the story says>} at /health/<service>, and records each request. */
let healthy = true;
const requests: { url: string; host: string }[] = [];
let server: Server | undefined;
let port = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push({ url: req.url ?? '', host: req.headers.host ?? '' });
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ service: req.url?.split('/')[2], healthy, checks: { db: 'up' } }));
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
});

/** A namespaced AnalysisTemplate with one web metric against `host` (the endpoint's address by another name). */
async function healthTemplate(name: string, host: string, limits: { count: number; consecutiveErrorLimit?: number }) {
  await createAnalysisTemplate(
    ns.name,
    name,
    [
      {
        name: 'health',
        interval: '1s',
        ...limits,
        successCondition: 'result == true',
        failureCondition: 'result == false',
        provider: {
          web: { url: `http://${host}:${port}/health/{{args.service}}`, jsonPath: '{$.healthy}', timeout: '2s' },
        },
      },
    ],
    [{ name: 'service' }],
  );
}

function analysisSpec(name: string, template: string) {
  const analysis = { analysis: { templates: [{ templateName: template }], args: [{ name: 'service', value: name }] } };
  return {
    ...routedSpec(name),
    strategy: { canary: { steps: [{ setWeight: 20 }, analysis, { setWeight: 50 }], abortScaleDownDelaySeconds: 0 } },
  };
}

describe('given a Rollout whose analysis asks a web health endpoint', () => {
  it('when the endpoint says healthy the canary is promoted; when it then says unhealthy the next revision aborts', async () => {
    await healthTemplate('web-health', '127.0.0.1', { count: 2 });
    await createApp(ns.name, 'shop', { replicas: 2, route: true });
    await createRollout(ns.name, 'shop', analysisSpec('shop', 'web-health'));
    const first = await waitForRollout(ns.name, 'shop', 'Healthy', (r) => r.status?.phase === 'Healthy');

    healthy = true;
    await setImage(ns.name, 'shop', 'example.invalid/app:v2');
    const promoted = await waitForPromotion(ns.name, 'shop', first, 90_000);
    expect(promoted.status?.weights).toEqual({ canary: 0, stable: 100 });
    // The argument reached the endpoint as one path segment.
    expect(requests.some((q) => q.url === '/health/shop')).toBe(true);

    healthy = false;
    await setImage(ns.name, 'shop', 'example.invalid/app:v3');
    const aborted = await waitForRollout(ns.name, 'shop', 'aborted', (r) => r.status?.abort === true, 60_000);
    expect(aborted.status?.phase).toBe('Degraded');
    expect(aborted.status?.message).toMatch(
      /metric health failed: measured false \(failureCondition result == false\)/,
    );
    // status records the decision before its traffic move (execute.ts): wait the one write that follows
    await expect.poll(() => routeCanaryWeight(ns.name, 'shop'), { timeout: 10_000 }).toBe(0);
    // Replicas return to stable: the promoted revision keeps its pods, the aborted one is scaled to 0.
    await expect
      .poll(
        async () =>
          (await replicaSetsOf(ns.name, 'shop'))
            .filter((rs) => rs.replicas > 0)
            .map((rs) => rs.revision)
            .sort(),
        { timeout: 30_000 },
      )
      .toEqual([promoted.status!.stableRevision]);
    await expect
      .poll(async () => (await eventMessages(ns.name, 'shop', 'Aborted'))[0], { timeout: 5_000 })
      .toMatch(/health failed: measured false/);
  });

  it('a namespaced template naming a host outside the allowlist gets an Error naming the field and the setting, and that host is sent nothing', async () => {
    // "localhost" is the endpoint too, but not in --analysis-allowed-hosts (127.0.0.1 only): had anything been
    // sent, the endpoint would have seen a Host header of localhost.
    await healthTemplate('web-elsewhere', 'localhost', { count: 2, consecutiveErrorLimit: 0 });
    await createApp(ns.name, 'elsewhere', { replicas: 2, route: true });
    await createRollout(ns.name, 'elsewhere', analysisSpec('elsewhere', 'web-elsewhere'));
    await waitForRollout(ns.name, 'elsewhere', 'Healthy', (r) => r.status?.phase === 'Healthy');
    await setImage(ns.name, 'elsewhere', 'example.invalid/app:v2');
    const aborted = await waitForRollout(ns.name, 'elsewhere', 'aborted', (r) => r.status?.abort === true, 60_000);
    const metric = aborted.status?.analysis?.runs.flatMap((run) => run.metrics).find((m) => m.name === 'health');
    const message = metric?.measurements.at(-1)?.message ?? '';
    expect(metric?.measurements.at(-1)?.phase).toBe('Error');
    expect(message).toContain(
      `AnalysisTemplate ${ns.name}/web-elsewhere spec.metrics[0].provider.web.url: host localhost:${port} is not in --analysis-allowed-hosts / SLUICE_ANALYSIS_ALLOWED_HOSTS (which is 127.0.0.1)`,
    );
    expect(aborted.status?.message).toMatch(/metric health errored/);
    // status records the decision before its traffic move (execute.ts): wait the one write that follows
    await expect.poll(() => routeCanaryWeight(ns.name, 'elsewhere'), { timeout: 10_000 }).toBe(0);
    expect(requests.filter((q) => q.host.startsWith('localhost') || q.url === '/health/elsewhere')).toEqual([]);
  });
});
