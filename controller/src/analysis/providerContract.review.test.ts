/**
 * Hostile review of the provider contract as the engine enforces it (measure.ts, providerAnswer.ts, condition.ts),
 * for JSON answers such as the web provider's: "no data / NaN / an infinity / a value that is not what the
 * condition expects is never a pass", Secret values never in status, and the engine's bounds applying to `compare`
 * as they do to the conditions. Each test fails on the code under review and names the defect.
 */
import { describe, expect, it } from 'vitest';
import type { Metric } from '../api/types.ts';
import { takeMeasurement } from './measure.ts';
import type { JsonValue, MetricProvider, ProviderAnswer } from './provider.ts';

/** A provider answering `answer` (for each track with compare); registered under the prometheus key. */
function fake(answer: () => ProviderAnswer): MetricProvider<'prometheus'> {
  return { key: 'prometheus', timeoutMs: () => 5_000, measure: () => Promise.resolve(answer()) };
}

const json = (value: JsonValue | undefined) => fake(() => ({ kind: 'json', value }));

function metric(more: Partial<Metric>): Metric {
  return { name: 'm', provider: { prometheus: { address: 'http://p:9090', query: 'x' } }, ...more };
}

async function measureWith(provider: MetricProvider<'prometheus'>, m: Metric, secrets: string[] = []) {
  return takeMeasurement(
    {
      metric: m,
      args: { values: new Map(secrets.map((s, i) => [`s${i}`, s])), secrets },
      namespace: 'shop',
      field: 'AnalysisTemplate shop/t metrics[m]',
      startedAt: new Date(),
    },
    { providers: { prometheus: provider }, readSecret: () => undefined, clock: () => new Date() },
  );
}

describe('review: an infinity inside a JSON object or nested list is never a pass', () => {
  // review: an infinity inside a JSON object or a nested/mixed list passes. JSON.parse reads 1e999 as Infinity
  // (docs/api-reference.md promises "read as +Inf, which never passes"), but fromJson (providerAnswer.ts:11-17)
  // turns only a bare number or a flat list of numbers into numbers; anything else becomes {kind: 'json'}, and
  // condition.ts numbersOf() returns [] for it, so the NaN/Inf rule (condition.ts:144) never looks inside. A web
  // endpoint answering {"availability": 1e999} with jsonPath {$} and successCondition result.availability >= 0.99
  // promotes the canary, and status shows the value as {"availability":null}. Severity: high (a broken metric
  // promotes; the rule "an infinity is never a pass" is the contract's own).
  const cases: [string, JsonValue, string][] = [
    ['an object field', { availability: Infinity }, 'result.availability >= 0.99'],
    ['a nested list', [[Infinity]], 'result[0][0] > 0'],
    ['a list that is not all numbers', [-Infinity, 'checkout'], 'result[0] < 0.05'],
  ];
  for (const [what, value, successCondition] of cases) {
    it(`in ${what}`, async () => {
      const m = await measureWith(json(value), metric({ successCondition }));
      expect(m.phase, `${m.value} ${m.message}`).not.toBe('Successful');
    });
  }
});

describe('review: a value that is not what the condition compares with is never a pass', () => {
  // review: with only a failureCondition, a JSON string where the condition compares a boolean passes. CEL's
  // heterogeneous equality makes "false" == false simply false (no error), and condition.ts:151-154 calls a
  // failureCondition that did not hold on "real data" a pass. A health endpoint answering {"healthy": "false"}
  // (a string, common in hand-written JSON) to failureCondition `result == false` is Successful, and the canary
  // is promoted. provider.ts promises "a value that is not a number where a condition expects one is an Error";
  // the same must hold for a boolean. Severity: high for failureCondition-only web metrics.
  it('the string "false" against failureCondition result == false', async () => {
    const m = await measureWith(json('false'), metric({ failureCondition: 'result == false' }));
    expect(m.phase, `${m.value} ${m.message}`).not.toBe('Successful');
  });

  // review: a list in which every value is null is no data, yet a failureCondition-only metric calls it a pass.
  // fromJson (providerAnswer.ts:11-13) treats null and [] as no data, but `$.checks[*].status` over checks whose
  // status is null gives [null, null], which is {kind: 'json'}; result.exists(s, s == "down") is false, and the
  // failureCondition-only rule makes it Successful. "No data is never a pass" must hold for a list of nothing too.
  it('a list of nulls against a failureCondition', async () => {
    const m = await measureWith(json([null, null]), metric({ failureCondition: 'result.exists(s, s == "down")' }));
    expect(m.phase, `${m.value} ${m.message}`).toBe('Inconclusive');
  });
});

describe('review: a Secret value never reaches status, not even a part of it', () => {
  const secret = 'Zq9Vw3Lk8Tr2Hx7Mp4NcYb6Rt5Ue1Io0Pa8Sd2Fg4Hj';
  const prefix = secret.slice(0, 12);

  // review: a JSON value is cut before it is redacted, so a Secret echoed near the cut leaks its first characters.
  // formatResult (measure.ts:90-93) cuts the JSON text at 236 characters and takeMeasurement redacts afterwards
  // (measure.ts:257-259): a secret straddling the cut no longer matches and its prefix reaches status.value. An
  // endpoint that echoes the request's Authorization header inside a longer string does exactly this. Severity:
  // medium (part of a token in the Rollout's status, readable by everyone who can read the Rollout).
  it('in the value, when the value is cut', async () => {
    const value = `${'x'.repeat(215)}${secret}${'y'.repeat(40)}`;
    const m = await measureWith(json(value), metric({ successCondition: 'result == "ok"' }), [secret]);
    expect(m.value).not.toContain(prefix);
  });

  // review: the condition's error message quotes the value through describeJson (providerAnswer.ts:47-52), which
  // cuts it at 57 characters before the engine redacts, so a secret past the first few characters leaks its
  // prefix into status.message (and the dashboard and kubectl sluice status). Same for compare's "compare needs
  // numbers" message. Severity: medium.
  it('in the message, when the value is quoted', async () => {
    const value = `${'x'.repeat(20)}${secret}`;
    const m = await measureWith(json(value), metric({ successCondition: 'result < 10' }), [secret]);
    expect(m.phase).toBe('Error');
    expect(m.message).not.toContain(prefix);
  });
});

describe('review: compare is held to the engine bounds', () => {
  // review: compare has no bound on samples. The conditions refuse more than maxConditionSamples (11,000:
  // condition.ts resultTooLarge), but measureCompare (measure.ts:131-158) hands whatever samplesOf() gives to
  // judge(), which is synchronous, on the event loop. A web answer (1 MiB cap) of "[0,0,0,...]" is ~500,000
  // numbers per track; 120,000 per track already blocks the controller's event loop for seconds (leases,
  // watches, other rollouts' reconciles all stall). A tenant can repeat that every interval. Severity: high.
  it('a track of 120,000 samples is an Error naming the bound, not judged on the event loop', async () => {
    const samples = Array.from({ length: 120_000 }, (_, i) => (i % 97) / 97);
    const m = await measureWith(
      json(samples),
      metric({
        compare: {},
        provider: {
          prometheus: { address: 'http://p:9090', query: 'x{{track}}', range: { lookback: '1m', step: '10s' } },
        },
      }),
    );
    expect(m.phase, `${m.value} ${m.message}`).toBe('Error');
    expect(m.message).toMatch(/samples/);
  }, 60_000);
});
