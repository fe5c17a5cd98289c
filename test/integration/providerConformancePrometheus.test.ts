/**
 * The provider conformance suite (analysis/conformance.test-support.ts) for Prometheus, against the real Prometheus
 * the harness starts: each scenario is a PromQL query whose answer is that scenario (vector(0) / 0 is NaN, a string
 * literal is a string result). The slow scenario is a Prometheus address that accepts the connection and never
 * answers, as a hung server or a network partition does.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, inject } from 'vitest';
import { providerConformance, type Scenario } from '../../controller/src/analysis/conformance.test-support.ts';
import { PrometheusProvider } from '../../controller/src/analysis/prometheus.ts';
import { prometheusMetricProvider } from '../../controller/src/analysis/prometheusMetric.ts';

const info = inject('prometheus');
let address = '';
let hung: Server | undefined;
let hungAddress = '';
const sockets = new Set<Socket>();

const queries: Record<Exclude<Scenario, 'slow'>, string> = {
  pass: 'vector(1)',
  fail: 'vector(500)',
  empty: 'up{job="sluice-conformance-no-such-job"}',
  error: 'sum(',
  nan: 'vector(0) / 0',
  inf: 'vector(1) / 0',
  notANumber: '"ok"',
};

beforeAll(async () => {
  if (info === null) throw new Error('this suite needs Prometheus: include "prometheus" in SLUICE_TEST_SERVICES');
  address = info.url;
  hung = createServer((socket) => void sockets.add(socket));
  await new Promise<void>((resolve) => hung!.listen(0, '127.0.0.1', resolve));
  const port = (hung.address() as { port: number }).port;
  hungAddress = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((resolve) => (hung === undefined ? resolve() : hung.close(() => resolve())));
});

providerConformance('prometheus', {
  providers: () => ({
    prometheus: prometheusMetricProvider(new PrometheusProvider({ userAgent: 'sluice-conformance' })),
  }),
  provider: (scenario) =>
    Promise.resolve(
      scenario === 'slow'
        ? { prometheus: { address: hungAddress, query: 'vector(1)', timeout: '1s' } }
        : { prometheus: { address, query: queries[scenario], timeout: '5s' } },
    ),
});
