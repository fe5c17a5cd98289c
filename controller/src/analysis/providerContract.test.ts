import { describe, expect, it } from 'vitest';
import type { Metric } from '../api/types.ts';
import { takeMeasurement } from './measure.ts';
import type { MetricProvider, ProviderAnswer, ProviderRequest } from './provider.ts';

/** A provider whose answer the test chooses; registered under the prometheus key, which the engine dispatches by. */
function fake(
  answer: (req: ProviderRequest) => Promise<ProviderAnswer>,
  timeoutMs = 200,
): MetricProvider<'prometheus'> {
  return { key: 'prometheus', timeoutMs: () => timeoutMs, measure: (_spec, req) => answer(req) };
}

const metric = (more: Partial<Metric> = {}): Metric => ({
  name: 'm',
  successCondition: 'result < 10',
  provider: { prometheus: { address: 'http://p:9090', query: 'x' } },
  ...more,
});

async function measureWith(provider: MetricProvider<'prometheus'>, m: Metric = metric()) {
  return takeMeasurement(
    {
      metric: m,
      args: { values: new Map(), secrets: [] },
      namespace: 'shop',
      field: 'AnalysisTemplate shop/t metrics[m]',
      startedAt: new Date(),
    },
    { providers: { prometheus: provider }, readSecret: () => undefined, clock: () => new Date() },
  );
}

describe('the provider contract, enforced by the engine', () => {
  it('a JSON value that is not numbers reaches the conditions as it is', async () => {
    const p = fake(() => Promise.resolve({ kind: 'json', value: { ok: true } }));
    expect(await measureWith(p, metric({ successCondition: 'result.ok == true' }))).toMatchObject({
      phase: 'Successful',
      value: '{"ok":true}',
    });
  });

  it('a string where the condition compares a number is an Error that names what came', async () => {
    const m = await measureWith(fake(() => Promise.resolve({ kind: 'json', value: 'ok' })));
    expect(m.phase).toBe('Error');
    expect(m.message).toMatch(/result is a string \("ok"\), not a number/);
  });

  it('JSON null, [] and nothing at the path are no data: Inconclusive', async () => {
    for (const value of [null, [], undefined]) {
      const m = await measureWith(fake(() => Promise.resolve({ kind: 'json', value })));
      expect(m).toMatchObject({ phase: 'Inconclusive', value: 'no data' });
    }
  });

  it('a JSON number is judged as a number', async () => {
    expect(await measureWith(fake(() => Promise.resolve({ kind: 'json', value: 3 })))).toMatchObject({
      phase: 'Successful',
      value: '3',
    });
  });

  it('a provider that never answers is an Error at its timeout, and its signal is aborted', async () => {
    let signal: AbortSignal | undefined;
    const started = Date.now();
    const m = await measureWith(
      fake((req) => {
        signal = req.signal;
        return new Promise(() => {});
      }, 100),
    );
    expect(m).toMatchObject({ phase: 'Error', message: expect.stringMatching(/did not answer within/) as unknown });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(signal?.aborted).toBe(true);
  });

  it('a provider that throws is an Error, not a crash', async () => {
    const m = await measureWith(fake(() => Promise.reject(new Error('socket hang up'))));
    expect(m).toMatchObject({ phase: 'Error', message: expect.stringMatching(/socket hang up/) as unknown });
  });

  it("a verdict is the provider's own judgement: the conditions are not run", async () => {
    const p = fake(() => Promise.resolve({ kind: 'verdict', phase: 'Failed', message: 'Job failed: exit 1' }));
    expect(await measureWith(p)).toMatchObject({ phase: 'Failed', message: 'Job failed: exit 1' });
  });

  it('compare needs numbers from both tracks: a JSON object is an Error saying so', async () => {
    const m = metric({
      successCondition: undefined,
      compare: {},
      provider: {
        prometheus: { address: 'http://p:9090', query: 'x{track="{{track}}"}', range: { lookback: '1m', step: '10s' } },
      },
    });
    const tracks: string[] = [];
    const p = fake((req) => {
      tracks.push(req.vars.track ?? '');
      return Promise.resolve({ kind: 'json', value: { a: 1 } });
    });
    expect(await measureWith(p, m)).toMatchObject({
      phase: 'Error',
      message: expect.stringMatching(/compare needs numbers/) as unknown,
    });
    expect(tracks.sort()).toEqual(['canary', 'stable']);
  });

  it('a metric whose provider this controller does not run is an Error naming the field', async () => {
    const m = await takeMeasurement(
      {
        metric: metric(),
        args: { values: new Map(), secrets: [] },
        namespace: 'shop',
        field: 'T',
        startedAt: new Date(),
      },
      { providers: {}, readSecret: () => undefined, clock: () => new Date() },
    );
    expect(m).toMatchObject({
      phase: 'Error',
      message: 'T.provider.prometheus: this controller does not run the prometheus provider',
    });
  });
});
