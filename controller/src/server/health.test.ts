import { Registry, Counter } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { WorkQueue } from '../queue/workQueue.ts';
import { heldHandler, ManualClock, settle } from '../queue/workQueue.test-support.ts';
import { healthServer, reconcileHangLimitMs, wedgedReconcile } from './health.ts';

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

  describe('a wedged reconcile loop', () => {
    const setup = (start = true) => {
      const clock = new ManualClock();
      const held = heldHandler();
      const queue = new WorkQueue({ handler: held.handler, clock, concurrency: 2 });
      if (start) queue.start();
      const app = healthServer({ registry: new Registry(), ready: () => true, problem: wedgedReconcile(queue) });
      return { clock, held, queue, app };
    };

    it('fails /healthz when a reconcile hangs past the limit, and recovers when it ends', async () => {
      const { clock, held, queue, app } = setup();
      queue.add('shop/checkout');
      await settle();
      await clock.advance(reconcileHangLimitMs);
      expect((await app.inject('/healthz')).statusCode).toBe(200);
      // Another key finishing does not hide the one that hangs: its worker and its Rollout are stuck.
      queue.add('team-b/cart');
      await settle();
      held.runs[1]!.finish();
      await clock.advance(1_000);
      const res = await app.inject('/healthz');
      expect(res.statusCode).toBe(500);
      expect(res.body).toContain('reconcile loop is wedged');
      held.runs[0]!.finish();
      await settle();
      expect((await app.inject('/healthz')).statusCode).toBe(200);
    });

    it('an idle loop is healthy however long nothing happens, and so is a follower whose queue does not run', async () => {
      const idle = setup();
      idle.queue.add('shop/checkout');
      await settle();
      idle.held.runs[0]!.finish({ requeueAfterMs: 3_600_000 });
      await idle.clock.advance(30 * 60_000);
      expect((await idle.app.inject('/healthz')).statusCode).toBe(200);

      const follower = setup(false);
      follower.queue.add('shop/checkout');
      await follower.clock.advance(30 * 60_000);
      expect((await follower.app.inject('/healthz')).statusCode).toBe(200);
    });
  });
});
