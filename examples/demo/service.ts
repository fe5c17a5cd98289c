/**
 * The demo service: an HTTP app whose version, error rate and latency come from its environment, so a demo can
 * release a healthy v2 and a broken v3. It exports its own Prometheus metrics (prom-client) labelled by version
 * and track, and, when SLUICE_DEMO_FLAG is set, reads that Unleash feature flag per request (unleash-client) and
 * labels requests with the variant, so an analysis can compare flag-on to flag-off traffic.
 *
 * Environment: PORT, VERSION, TRACK (stable|canary, informational), ERROR_RATE (0..1), LATENCY_MS (mean),
 * UNLEASH_URL + UNLEASH_CLIENT_TOKEN + SLUICE_DEMO_FLAG (optional).
 */
import Fastify from 'fastify';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { initialize, type Unleash } from 'unleash-client';

export interface ServiceOptions {
  port: number;
  version: string;
  track: string;
  errorRate: number;
  latencyMs: number;
  flag?: { url: string; token: string; name: string };
  /** Deterministic randomness for tests. */
  random?: () => number;
}

export async function startDemoService(opts: ServiceOptions): Promise<{ url: string; close: () => Promise<void> }> {
  const random = opts.random ?? Math.random;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const labelNames = ['version', 'track', 'code', 'variant'] as const;
  const requests = new Counter({
    name: 'demo_requests_total',
    help: 'Requests served, by version, track, status code and flag variant.',
    labelNames,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'demo_request_duration_seconds',
    help: 'Time to serve a request.',
    labelNames: ['version', 'track', 'variant'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [registry],
  });
  let unleash: Unleash | undefined;
  if (opts.flag !== undefined) {
    unleash = initialize({
      url: opts.flag.url,
      appName: 'sluice-demo',
      refreshInterval: 2_000,
      disableMetrics: true,
      customHeaders: { Authorization: opts.flag.token },
    });
    unleash.on('error', () => undefined); // an unreachable Unleash means the flag reads off; the service keeps serving
  }

  const app = Fastify({ logger: false });
  app.get('/', async (req, reply) => {
    const started = performance.now();
    const userId = (req.headers['x-user-id'] as string | undefined) ?? String(Math.floor(random() * 1e6));
    const variant =
      opts.flag === undefined ? 'none' : unleash?.isEnabled(opts.flag.name, { userId }) === true ? 'on' : 'off';
    // Exponential-ish latency around the mean, so the latency judge has a distribution to compare.
    const delay = opts.latencyMs <= 0 ? 0 : -opts.latencyMs * Math.log(1 - random() * 0.999);
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    const failed = random() < opts.errorRate;
    const code = failed ? 500 : 200;
    requests.inc({ version: opts.version, track: opts.track, code: String(code), variant });
    duration.observe({ version: opts.version, track: opts.track, variant }, (performance.now() - started) / 1000);
    return reply.code(code).send({ version: opts.version, ok: !failed });
  });
  app.get('/metrics', async (_req, reply) =>
    reply.header('Content-Type', registry.contentType).send(await registry.metrics()),
  );
  app.get('/healthz', () => 'ok');
  await app.listen({ host: '127.0.0.1', port: opts.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : opts.port;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      unleash?.destroy();
      await app.close();
    },
  };
}

function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n)) throw new Error(`${name} must be a number, got ${raw}`);
  return n;
}

if (import.meta.main) {
  const flagName = process.env.SLUICE_DEMO_FLAG;
  const svc = await startDemoService({
    port: envNumber('PORT', 8080),
    version: process.env.VERSION ?? 'v1',
    track: process.env.TRACK ?? 'stable',
    errorRate: envNumber('ERROR_RATE', 0),
    latencyMs: envNumber('LATENCY_MS', 20),
    ...(flagName !== undefined && process.env.UNLEASH_URL !== undefined
      ? { flag: { url: process.env.UNLEASH_URL, token: process.env.UNLEASH_CLIENT_TOKEN ?? '', name: flagName } }
      : {}),
  });
  console.log(`demo service ${process.env.VERSION ?? 'v1'} listening on ${svc.url}`);
  process.on('SIGTERM', () => void svc.close().then(() => process.exit(0)));
}
