/** The Prometheus fixture scrapes a real prom-client process and answers PromQL through its HTTP API. */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { connectPrometheus } from '../fixtures/prometheus.ts';
import { freePort } from '../support/ports.ts';
import { waitFor } from '../support/wait.ts';

const info = inject('prometheus');
const children: ChildProcess[] = [];
afterAll(() => children.forEach((c) => c.kill('SIGTERM')));

describe('the Prometheus fixture', () => {
  it('scrapes a prom-client counter and returns it through PromQL', async () => {
    if (info === null) throw new Error('this suite needs Prometheus: include "prometheus" in SLUICE_TEST_SERVICES');
    const prom = connectPrometheus(info.url, info.targetsDir);
    const port = await freePort();
    const child = spawn(process.execPath, [join(import.meta.dirname, '../fixtures/counterExporter.ts')], {
      env: { ...process.env, EXPORTER_PORT: String(port), EXPORTER_COUNT: '42', EXPORTER_ERRORS: '7' },
      stdio: 'inherit',
    });
    children.push(child);
    prom.setTargets('fixture-counter', [`127.0.0.1:${port}`], { track: 'canary' });

    const result = await waitFor(
      async () => {
        const r = await prom.query('sum by (track) (sluice_fixture_requests_total{job="fixture-counter"})');
        return r.length > 0 ? r : undefined;
      },
      { timeoutMs: 30_000, what: 'the fixture counter in Prometheus' },
    );
    expect(result).toHaveLength(1);
    expect(result[0]!.metric).toEqual({ track: 'canary' });
    expect(Number(result[0]!.value[1])).toBe(49);

    const errorRatio = await prom.query(
      'sum(sluice_fixture_requests_total{job="fixture-counter",code=~"5.."}) / sum(sluice_fixture_requests_total{job="fixture-counter"})',
    );
    expect(Number(errorRatio[0]!.value[1])).toBeCloseTo(7 / 49, 10);
  });
});
