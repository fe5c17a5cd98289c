import { Registry, Counter } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { healthServer } from './health.ts';

describe('health endpoints', () => {
  it('serves metrics, and says ready only once caches are synced', async () => {
    const registry = new Registry();
    new Counter({ name: 'sluice_test_total', help: 'test', registers: [registry] }).inc(3);
    let ready = false;
    let problem: string | undefined = undefined;
    const app = healthServer({ registry, ready: () => ready, problem: () => problem });
    expect((await app.inject('/metrics')).body).toContain('sluice_test_total 3');
    expect((await app.inject('/readyz')).statusCode).toBe(503);
    ready = true;
    expect((await app.inject('/readyz')).statusCode).toBe(200);
    expect((await app.inject('/healthz')).body).toBe('ok');
    problem = 'the Rollout informer has not made progress for 10m';
    const res = await app.inject('/healthz');
    expect(res.statusCode).toBe(500);
    expect(res.body).toContain('not made progress');
  });
});
