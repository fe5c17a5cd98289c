import { afterAll, describe, expect, it } from 'vitest';
import { CelSandbox } from './celSandbox.ts';

/** Records the worst delay of a 10 ms interval timer: how long the event loop was blocked at a stretch. */
function lagProbe() {
  let worst = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last - 10);
    last = now;
  }, 10);
  return {
    stop: () => {
      clearInterval(timer);
      return worst;
    },
  };
}

/** Two nested comprehensions over 11,000 samples: 121 million steps, half a minute of CEL. */
const pathological = 'result.all(a, result.all(b, a + b > -1.0))';
const largeResult = Array.from({ length: 11_000 }, (_, i) => i / 11_000);

describe('CelSandbox', () => {
  const sandbox = new CelSandbox({ deadlineMs: 200 });
  afterAll(() => sandbox.close());

  it('evaluates a condition in the worker', async () => {
    await expect(sandbox.evaluate('result.all(x, x < 1.0)', [0.1, 0.2])).resolves.toEqual({ value: true });
    await expect(sandbox.evaluate('result > 1', 0.5)).resolves.toEqual({ value: false });
    const broken = await sandbox.evaluate('result < "x"', 0.5);
    expect('error' in broken && broken.error).toMatch(/no such overload/);
  });

  it('stops a pathological condition at its deadline while the event loop stays responsive', async () => {
    await sandbox.evaluate('true', 0); // the worker is up: its start is not what this test measures
    const probe = lagProbe();
    const started = performance.now();
    const outcome = await sandbox.evaluate(pathological, largeResult);
    const took = performance.now() - started;
    const worstLag = probe.stop();

    expect(outcome).toEqual({ overBudget: 'it ran longer than 200 ms' });
    expect(took).toBeLessThan(2_000);
    // Evaluated on this thread, the condition would hold the event loop for its whole 200 ms budget; in the worker,
    // what lag there is comes from other processes on the machine (117 ms seen in CI beside a parallel test run).
    expect(worstLag).toBeLessThan(200);
    expect(sandbox.overruns).toBeGreaterThanOrEqual(1);
  }, 10_000);

  it('serves the next condition after one was stopped, and keeps the order of requests', async () => {
    const [stopped, next] = await Promise.all([
      sandbox.evaluate(pathological, largeResult),
      sandbox.evaluate('result == 2', 2),
    ]);
    expect(stopped).toHaveProperty('overBudget');
    expect(next).toEqual({ value: true });
  }, 10_000);

  it('stops a condition that builds huge lists, by memory, without harming the controller', async () => {
    const small = new CelSandbox({ deadlineMs: 5_000, maxHeapMb: 16 });
    try {
      const outcome = await small.evaluate(
        'result.map(a, result.map(b, [a, b, a, b])).size() > 0',
        largeResult.slice(0, 4_000),
      );
      expect(outcome).toHaveProperty('overBudget');
    } finally {
      await small.close();
    }
  }, 20_000);
});
